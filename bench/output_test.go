package bench

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// twoModels runs a small benchmark of two fake models, one failing now and
// then, for the output tests.
func twoModels(t *testing.T) *Report {
	t.Helper()
	slo, _ := ParseSLO("ttft=1s")
	rep, err := Run(context.Background(), Config{
		Targets: []Target{
			{Name: "fake/fast", Provider: &fakeProvider{Tokens: 6, Gap: time.Millisecond}, Model: "fast"},
			{Name: "fake/slow", Provider: &fakeProvider{Tokens: 4, Gap: 3 * time.Millisecond, FailEvery: 3}, Model: "slow"},
		},
		Load: Load{Requests: 6, Concurrency: 2}, SLO: slo})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestJSONRoundTrip(t *testing.T) {
	rep := twoModels(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&b)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Samples) != len(rep.Samples) || len(back.Models) != 2 || back.Models[1].Errors["rate_limit"] != 2 {
		t.Fatalf("read back %d samples, models %+v", len(back.Samples), back.Models)
	}
	for i, s := range rep.Samples {
		got := back.Samples[i]
		// Durations travel in ms with three decimals: exact to the µs.
		if got.Model != s.Model || got.OK != s.OK || got.TTFT.Round(time.Microsecond) != s.TTFT.Round(time.Microsecond) ||
			len(got.ITL) != len(s.ITL) || got.TokenSource != s.TokenSource || got.Good != s.Good {
			t.Errorf("sample %d: wrote %+v, read %+v", i, s, got)
		}
	}
	if back.Definitions["tpot_ms"] == "" || back.Load.Requests != 6 {
		t.Errorf("definitions %v, load %+v", back.Definitions, back.Load)
	}
	if _, err := ReadJSON(strings.NewReader(`{"schema":"other/v9"}`)); err == nil {
		t.Error("a report of another schema was read")
	}
}

func TestCSVRoundTrip(t *testing.T) {
	rep := twoModels(t)
	var b bytes.Buffer
	if err := WriteCSV(&b, rep.Samples); err != nil {
		t.Fatal(err)
	}
	back, err := ReadCSV(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if len(back) != len(rep.Samples) {
		t.Fatalf("%d rows read, %d written", len(back), len(rep.Samples))
	}
	for i, s := range rep.Samples {
		got := back[i]
		if got.Model != s.Model || got.Seq != s.Seq || got.OK != s.OK || got.ErrorKind != s.ErrorKind ||
			got.E2E.Round(time.Microsecond) != s.E2E.Round(time.Microsecond) || len(got.ITL) != len(s.ITL) ||
			got.OutputTokens != s.OutputTokens || got.Finish != s.Finish {
			t.Errorf("row %d: wrote %+v, read %+v", i, s, got)
		}
		for j := range s.ITL {
			if got.ITL[j].Round(time.Microsecond) != s.ITL[j].Round(time.Microsecond) {
				t.Errorf("row %d gap %d: %v, want %v", i, j, got.ITL[j], s.ITL[j])
			}
		}
	}
	if _, err := ReadCSV(strings.NewReader("a,b\n1,2\n")); err == nil {
		t.Error("a CSV with another header was read")
	}
}

func TestHTMLIsSelfContained(t *testing.T) {
	rep := twoModels(t)
	var b bytes.Buffer
	if err := WriteHTML(&b, rep); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if u := regexp.MustCompile(`(?i)https?://`).FindString(page); u != "" {
		t.Errorf("the page refers to %q; it must open offline", u)
	}
	for _, tag := range []string{"<script src", "<link", "@import", "url("} {
		if strings.Contains(page, tag) {
			t.Errorf("the page loads something (%q)", tag)
		}
	}
	for _, id := range []string{"ttft", "tps", "percentiles", "itl"} {
		if !strings.Contains(page, `<h2 id="`+id+`">`) {
			t.Errorf("no %s chart", id)
		}
	}
	if n := strings.Count(page, "<svg"); n < 6 {
		t.Errorf("%d SVG elements, want the 4 charts (3 percentile panels) and a legend", n)
	}
	for _, want := range []string{"fake/fast", "fake/slow", `class="best"`, "rate_limit 2", "time_to_first_token"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not contain %q", want)
		}
	}
}

func TestTable(t *testing.T) {
	rep := twoModels(t)
	tests := []struct {
		color bool
		want  []string
	}{
		{false, []string{"TTFT", "p99", "fake/fast", "★", "errors: rate_limit 2", "goodput", "closed loop, concurrency 2"}},
		{true, []string{styleBest}},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		if err := WriteTable(&b, rep, tt.color); err != nil {
			t.Fatal(err)
		}
		for _, w := range tt.want {
			if !strings.Contains(b.String(), w) {
				t.Errorf("color %v: the table has no %q:\n%s", tt.color, w, b.String())
			}
		}
		if !tt.color && strings.Contains(b.String(), "\x1b[") {
			t.Error("escape codes without color")
		}
	}
	// The fast model is best on ITL: its ITL rows carry the star.
	var b bytes.Buffer
	WriteTable(&b, rep, false)
	lines := strings.Split(b.String(), "\n")
	i := slices.IndexFunc(lines, func(l string) bool { return strings.HasPrefix(l, "ITL") })
	if i < 0 || !strings.HasSuffix(lines[i], "★") {
		t.Errorf("the ITL row of the fast model is not marked best: %q", lines[i])
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		want   []float64
	}{
		{0, 10, []float64{0, 2, 4, 6, 8, 10}},
		{0, 1, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{249.3, 250.5, []float64{249.5, 250, 250.5}},
		{5, 5, []float64{5}},
	}
	for _, tt := range tests {
		got := niceTicks(tt.lo, tt.hi, 5)
		if len(got) != len(tt.want) {
			t.Errorf("niceTicks(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
			continue
		}
		for i := range got {
			if d := got[i] - tt.want[i]; d > 1e-9 || d < -1e-9 {
				t.Errorf("niceTicks(%v, %v) = %v, want %v", tt.lo, tt.hi, got, tt.want)
				break
			}
		}
	}
}
