package bench

import (
	"strings"
	"testing"
	"time"
)

func TestParseSLO(t *testing.T) {
	tests := []struct {
		in      string
		want    SLO
		wantErr string
	}{
		{"", SLO{}, ""},
		{"ttft=500ms,tpot=50ms", SLO{TTFT: 500 * time.Millisecond, TPOT: 50 * time.Millisecond}, ""},
		{"ttft:250", SLO{TTFT: 250 * time.Millisecond}, ""},
		{" e2el=2s , max_itl=300ms, tps=20 ", SLO{E2E: 2 * time.Second, MaxITL: 300 * time.Millisecond, TPS: 20}, ""},
		{"TTFB=1.5", SLO{TTFB: 1500 * time.Microsecond}, ""},
		{"ttft", SLO{}, "no value"},
		{"latency=1s", SLO{}, "unknown SLO"},
		{"ttft=-1s", SLO{}, "positive"},
		{"ttft=fast", SLO{}, "positive"},
		{"tps=0", SLO{}, "tps"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSLO(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseSLO(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
			back, err := ParseSLO(got.String())
			if err != nil || back != got {
				t.Errorf("String() %q does not parse back: %+v, %v", got.String(), back, err)
			}
		})
	}
}

func TestSLOMet(t *testing.T) {
	ok := Sample{OK: true, TTFB: 5 * time.Millisecond, TTFT: 100 * time.Millisecond, TPOT: 20 * time.Millisecond,
		E2E: time.Second, OutputTokens: 40, TPS: 50, ITL: []time.Duration{10 * time.Millisecond, 90 * time.Millisecond}}
	oneToken := Sample{OK: true, TTFT: 100 * time.Millisecond, E2E: 100 * time.Millisecond, OutputTokens: 1}
	failed := ok
	failed.OK = false
	tests := []struct {
		name string
		slo  string
		s    Sample
		want bool
	}{
		{"all met", "ttft=100ms,tpot=20ms,e2e=1s,ttfb=5ms", ok, true},
		{"ttft missed", "ttft=99ms", ok, false},
		{"tpot missed", "tpot=19ms", ok, false},
		{"e2e missed", "e2e=999ms", ok, false},
		{"max itl met", "max_itl=90ms", ok, true},
		{"max itl missed", "max_itl=89ms", ok, false},
		{"tps met", "tps=50", ok, true},
		{"tps missed", "tps=51", ok, false},
		{"a failed request is never good", "ttft=10s", failed, false},
		{"one token meets tpot and tps", "tpot=1ms,tps=1000", oneToken, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			slo, err := ParseSLO(tt.slo)
			if err != nil {
				t.Fatal(err)
			}
			if got := slo.Met(&tt.s); got != tt.want {
				t.Errorf("Met = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestGoodput(t *testing.T) {
	slo, _ := ParseSLO("ttft=100ms")
	var samples []Sample
	for i, ttft := range []time.Duration{50, 80, 120, 200} {
		s := Sample{Model: "m", Seq: i, OK: true, Start: time.Duration(i) * 500 * time.Millisecond,
			TTFT: ttft * time.Millisecond, E2E: 500 * time.Millisecond, OutputTokens: 10, ContentEvents: 10}
		s.Good = slo.Met(&s)
		samples = append(samples, s)
	}
	samples = append(samples, Sample{Model: "m", Seq: 4, Start: 1500 * time.Millisecond, E2E: 500 * time.Millisecond, ErrorKind: "rate_limit"})
	mr := summarizeModel("m", samples, slo)
	// Two good requests over a 2 s window.
	if mr.Goodput == nil || *mr.Goodput != 1 || *mr.GoodFraction != 0.4 {
		t.Fatalf("goodput %v, fraction %v; want 1 req/s and 0.4", mr.Goodput, mr.GoodFraction)
	}
	if mr.Errors["rate_limit"] != 1 || mr.OK != 4 || mr.Requests != 5 {
		t.Errorf("requests %d ok %d errors %v", mr.Requests, mr.OK, mr.Errors)
	}
	if mr := summarizeModel("m", samples, SLO{}); mr.Goodput != nil {
		t.Error("goodput reported without SLOs")
	}
}
