package sluice

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestKindForStatus(t *testing.T) {
	tests := []struct {
		status int
		want   Kind
	}{
		{400, KindBadRequest}, {401, KindAuth}, {402, KindPermission}, {403, KindPermission},
		{404, KindNotFound}, {408, KindTimeout}, {413, KindBadRequest}, {422, KindBadRequest},
		{429, KindRateLimit}, {500, KindServer}, {502, KindServer}, {503, KindOverloaded},
		{504, KindTimeout}, {529, KindOverloaded}, {418, KindBadRequest}, {200, KindUnknown},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			if got := KindForStatus(tt.status); got != tt.want {
				t.Fatalf("KindForStatus(%d) = %v, want %v", tt.status, got, tt.want)
			}
		})
	}
}

// TestKindHTTPStatus pins the status of every kind, and that a kind
// KindForStatus can produce survives the round trip through its status.
func TestKindHTTPStatus(t *testing.T) {
	tests := []struct {
		kind Kind
		want int
	}{
		{KindUnknown, 500}, {KindAuth, 401}, {KindPermission, 403}, {KindNotFound, 404},
		{KindBadRequest, 400}, {KindRateLimit, 429}, {KindOverloaded, 503}, {KindServer, 500},
		{KindTimeout, 504}, {KindStall, 504}, {KindConnection, 502}, {KindCanceled, 499},
		{KindContentFilter, 400}, {KindBudget, 400}, {KindTruncated, 502}, {KindProtocol, 502},
	}
	if len(tests) != len(kindNames) {
		t.Fatalf("%d kinds tested, %d exist", len(tests), len(kindNames))
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			got := tt.kind.HTTPStatus()
			if got != tt.want {
				t.Fatalf("HTTPStatus() = %d, want %d", got, tt.want)
			}
			switch tt.kind {
			case KindAuth, KindPermission, KindNotFound, KindBadRequest, KindRateLimit, KindOverloaded, KindServer, KindTimeout:
				if back := KindForStatus(got); back != tt.kind {
					t.Fatalf("KindForStatus(%d) = %v", got, back)
				}
			}
		})
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		h    map[string]string
		want time.Duration
	}{
		{"none", nil, 0},
		{"seconds", map[string]string{"Retry-After": "2"}, 2 * time.Second},
		{"fractional seconds", map[string]string{"Retry-After": "1.5"}, 1500 * time.Millisecond},
		{"ms wins", map[string]string{"Retry-After": "2", "Retry-After-Ms": "1"}, time.Millisecond},
		{"fractional ms", map[string]string{"Retry-After-Ms": "0.5"}, 500 * time.Microsecond},
		{"http date", map[string]string{"Retry-After": now.Add(7 * time.Second).Format(http.TimeFormat)}, 7 * time.Second},
		{"past date", map[string]string{"Retry-After": now.Add(-time.Hour).Format(http.TimeFormat)}, 0},
		{"zero ignored", map[string]string{"Retry-After": "0"}, 0},
		{"negative", map[string]string{"Retry-After": "-3"}, 0},
		{"garbage", map[string]string{"Retry-After": "soon", "Retry-After-Ms": "x"}, 0},
		{"bad ms falls back", map[string]string{"Retry-After": "3", "Retry-After-Ms": "NaN"}, 3 * time.Second},
		{"huge", map[string]string{"Retry-After": "1e300"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for k, v := range tt.h {
				h.Set(k, v)
			}
			if got := RetryAfter(h, now); got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestErrorMessageAndUnwrap(t *testing.T) {
	cause := errors.New("boom")
	e := &Error{Kind: KindRateLimit, Provider: "openai", Status: 429, Code: "rate_limit_exceeded",
		Message: "Rate limit reached", RetryAfter: 2 * time.Second, Hint: "slow down", Err: cause}
	want := "openai: rate_limit (429 rate_limit_exceeded): Rate limit reached (retry after 2s); slow down"
	if e.Error() != want {
		t.Fatalf("got  %q\nwant %q", e.Error(), want)
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", e), cause) {
		t.Fatal("errors.Is does not reach the cause")
	}
	var got *Error
	if !errors.As(fmt.Errorf("wrapped: %w", e), &got) || got != e {
		t.Fatal("errors.As does not find the Error")
	}
	if !e.Retryable() {
		t.Fatal("a rate limit before streaming is retryable")
	}
}

func TestAsError(t *testing.T) {
	tests := []struct {
		err  error
		want Kind
	}{
		{context.Canceled, KindCanceled},
		{fmt.Errorf("read: %w", context.DeadlineExceeded), KindTimeout},
		{errors.New("connection reset by peer"), KindConnection},
		{&Error{Kind: KindStall}, KindStall},
	}
	for _, tt := range tests {
		if got := AsError(tt.err); got.Kind != tt.want {
			t.Errorf("AsError(%v).Kind = %v, want %v", tt.err, got.Kind, tt.want)
		}
	}
	if AsError(nil) != nil {
		t.Error("AsError(nil) != nil")
	}
}

func TestKindText(t *testing.T) {
	for k := KindUnknown; k <= KindProtocol; k++ {
		b, _ := k.MarshalText()
		var back Kind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Fatalf("%v: round trip gave %v, %v", k, back, err)
		}
	}
}

func TestUsage(t *testing.T) {
	start := Usage{Input: ReportedCount(10), CacheRead: ReportedCount(90), Output: ReportedCount(1)}
	delta := Usage{Output: ReportedCount(15), Reasoning: ReportedCount(0)}
	u := start.Merge(delta)
	if u.Input.N != 10 || u.CacheRead.N != 90 || u.Output.N != 15 || u.Reasoning != ReportedCount(0) || u.CacheWrite.Known() {
		t.Fatalf("merge = %+v", u)
	}
	if u.InputTotal() != 100 || u.Total() != 115 {
		t.Fatalf("totals %d %d", u.InputTotal(), u.Total())
	}
	if got := u.Merge(Usage{Output: EstimatedCount(99)}); got.Output.N != 15 {
		t.Fatal("an estimate overrode a reported count")
	}
	u.Output = EstimatedCount(15)
	b, err := u.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"input_tokens":10,"cache_read_tokens":90,"output_tokens":15,"reasoning_tokens":0,"estimated":["output_tokens"]}`
	if string(b) != want {
		t.Fatalf("json\n got %s\nwant %s", b, want)
	}
	var back Usage
	if err := back.UnmarshalJSON(b); err != nil || back != u {
		t.Fatalf("round trip %+v, %v", back, err)
	}
	if (Usage{}).IsZero() != true || u.IsZero() {
		t.Fatal("IsZero")
	}
}

func TestRequestValidate(t *testing.T) {
	ok := Request{Model: "m", Messages: []Message{UserMessage("hi")}}
	tests := []struct {
		name string
		mod  func(r *Request)
		want string
	}{
		{"valid", func(*Request) {}, ""},
		{"no model", func(r *Request) { r.Model = "" }, "names no model"},
		{"no messages", func(r *Request) { r.Messages = nil }, "no messages"},
		{"negative max", func(r *Request) { r.MaxTokens = -1 }, "max tokens is -1"},
		{"bad role", func(r *Request) { r.Messages[0].Role = "robot" }, `role "robot"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			r.Messages = append([]Message(nil), ok.Messages...)
			tt.mod(&r)
			err := r.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) || AsError(err).Kind != KindBadRequest {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestSplitModel(t *testing.T) {
	p, m, err := SplitModel("local/models/x.gguf")
	if err != nil || p != "local" || m != "models/x.gguf" {
		t.Fatalf("%q %q %v", p, m, err)
	}
	for _, bad := range []string{"gpt-4o", "/x", "openai/", ""} {
		if _, _, err := SplitModel(bad); err == nil {
			t.Errorf("SplitModel(%q) accepted", bad)
		}
	}
}
