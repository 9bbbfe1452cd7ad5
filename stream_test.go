package sluice_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unsafe"

	"github.com/sluicehq/sluice"
)

// script is a Decoder over a fixed list of events, ending with end (io.EOF
// for a clean end).
type script struct {
	events []sluice.Event
	end    error
	i      int
	ctx    context.Context
}

func (s *script) Next() (sluice.Event, error) {
	if s.ctx != nil && s.ctx.Err() != nil {
		return sluice.Event{}, s.ctx.Err()
	}
	if s.i < len(s.events) {
		s.i++
		return s.events[s.i-1], nil
	}
	return sluice.Event{}, s.end
}

type closer struct{ closed int }

func (c *closer) Close() error { c.closed++; return nil }

func textEvents(words ...string) []sluice.Event {
	evs := []sluice.Event{
		{Type: sluice.EventStart, ID: "resp_1", Model: "m-2024"},
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
	}
	for _, w := range words {
		evs = append(evs, sluice.Event{Type: sluice.EventText, Text: w})
	}
	return append(evs,
		sluice.Event{Type: sluice.EventItemDone, Kind: sluice.ItemMessage},
		sluice.Event{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "end_turn"},
		sluice.Event{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: sluice.ReportedCount(5), Output: sluice.ReportedCount(int64(len(words)))}},
	)
}

func newStream(dec sluice.Decoder, body io.Closer, cancel context.CancelFunc) *sluice.Stream {
	return sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "test", Model: "m", Decoder: dec, Body: body, Cancel: cancel})
}

func TestStreamCleanEnd(t *testing.T) {
	body := &closer{}
	s := newStream(&script{events: textEvents("Hel", "lo", "!"), end: io.EOF}, body, nil)
	var got strings.Builder
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		if ev.Type == sluice.EventText {
			got.WriteString(ev.Text)
		}
	}
	res := s.Result()
	if got.String() != "Hello!" || res.Text != "Hello!" {
		t.Fatalf("text = %q, result %q", got.String(), res.Text)
	}
	if res.Partial || res.Err != nil || res.Finish != sluice.FinishStop || res.RawFinish != "end_turn" {
		t.Fatalf("result = %+v", res)
	}
	if res.ID != "resp_1" || res.Model != "m-2024" || res.Provider != "test" {
		t.Fatalf("meta = %q %q %q", res.ID, res.Model, res.Provider)
	}
	if res.Metrics.OutputTokens != 3 || res.Metrics.TokensEstimated || res.Metrics.ContentEvents != 3 || len(res.Metrics.ITL) != 2 {
		t.Fatalf("metrics = %+v", res.Metrics)
	}
	if body.closed != 1 {
		t.Fatalf("body closed %d times", body.closed)
	}
	if s.Err() != nil {
		t.Fatalf("Err = %v", s.Err())
	}
}

func TestStreamErrorKeepsPartialText(t *testing.T) {
	evs := textEvents("a", "b")[:4]
	upstream := &sluice.Error{Kind: sluice.KindOverloaded, Code: "overloaded_error", Message: "Overloaded"}
	s := newStream(&script{events: evs, end: upstream}, &closer{}, nil)
	var last error
	n := 0
	for _, err := range s.Events() {
		n++
		if last != nil {
			t.Fatal("an item followed the error")
		}
		last = err
	}
	var e *sluice.Error
	if !errors.As(last, &e) || e.Kind != sluice.KindOverloaded || !e.Streamed || e.Provider != "test" {
		t.Fatalf("error = %#v", last)
	}
	res := s.Result()
	if !res.Partial || res.Text != "ab" || res.Finish != sluice.FinishError || res.Err == nil {
		t.Fatalf("result = %+v", res)
	}
	if !errors.Is(s.Err(), e) && s.Err().Error() != e.Error() {
		t.Fatalf("Err() = %v, want %v", s.Err(), e)
	}
	if e.Retryable() {
		t.Fatal("an error after streamed content must not be retryable")
	}
}

func TestStreamBreakCancelsUpstream(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	body := &closer{}
	s := sluice.NewStream(ctx, sluice.StreamConfig{Provider: "test", Decoder: &script{events: textEvents("a", "b", "c"), end: io.EOF, ctx: ctx}, Body: body, Cancel: cancel})
	for ev := range s.Events() {
		if ev.Type == sluice.EventText {
			break
		}
	}
	if ctx.Err() == nil {
		t.Fatal("breaking out of the loop did not cancel the upstream request")
	}
	if body.closed != 1 {
		t.Fatalf("body closed %d times", body.closed)
	}
	res := s.Result()
	if !res.Partial || res.Finish != sluice.FinishCanceled || res.Text != "a" {
		t.Fatalf("result = %+v", res)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if body.closed != 1 {
		t.Fatal("Close is not idempotent")
	}
}

func TestStreamSingleUse(t *testing.T) {
	s := newStream(&script{events: textEvents("a"), end: io.EOF}, nil, nil)
	for range s.Events() {
	}
	for _, err := range s.Events() {
		if err == nil {
			t.Fatal("second range yielded an event")
		}
		return
	}
	t.Fatal("second range yielded nothing")
}

func TestStreamCloseBeforeRange(t *testing.T) {
	s := newStream(&script{events: textEvents("a"), end: io.EOF}, &closer{}, nil)
	s.Close()
	res := s.Result()
	if !res.Partial || res.Finish != sluice.FinishCanceled {
		t.Fatalf("result = %+v", res)
	}
	for _, err := range s.Events() {
		if sluice.AsError(err).Kind != sluice.KindCanceled {
			t.Fatalf("err = %v", err)
		}
	}
}

func TestStreamContextCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := sluice.NewStream(ctx, sluice.StreamConfig{Provider: "p", Decoder: &script{events: textEvents("a", "b"), end: io.EOF, ctx: ctx}, Cancel: cancel})
	var last error
	for ev, err := range s.Events() {
		if ev.Type == sluice.EventText {
			cancel()
		}
		last = err
	}
	if e := sluice.AsError(last); e == nil || e.Kind != sluice.KindCanceled || !e.Streamed {
		t.Fatalf("last = %v", last)
	}
}

type wordCounter struct{ n int }

func (w *wordCounter) Add(s string) int { w.n += len(strings.Fields(s)); return w.n }

func TestStreamEstimatesMissingUsage(t *testing.T) {
	evs := textEvents("one two", " three")
	evs = evs[:len(evs)-1] // no usage event
	s := newStream(&script{events: evs, end: io.EOF}, nil, nil)
	s.CountWith(&wordCounter{})
	for range s.Events() {
	}
	res := s.Result()
	if res.Usage.Output != sluice.EstimatedCount(3) || !res.Metrics.TokensEstimated || res.Metrics.OutputTokens != 3 {
		t.Fatalf("usage = %+v metrics = %+v", res.Usage, res.Metrics)
	}
}

func TestResultToolLoopMessage(t *testing.T) {
	evs := []sluice.Event{
		{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
		{Type: sluice.EventReasoning, Item: 0, Text: "think"},
		{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueSignature, Text: "sig=="},
		{Type: sluice.EventItemDone, Item: 0},
		{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "call_1", Name: "shell"},
		{Type: sluice.EventToolCall, Item: 1, Text: `{"cmd":`},
		{Type: sluice.EventToolCall, Item: 1, Text: `"echo hi"}`},
		{Type: sluice.EventItemDone, Item: 1},
		{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "tool_use"},
	}
	s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "anthropic", Decoder: &script{events: evs, end: io.EOF}})
	for range s.Events() {
	}
	res := s.Result()
	if len(res.ToolCalls) != 1 || res.ToolCalls[0] != (sluice.ToolCall{ID: "call_1", Name: "shell", Arguments: `{"cmd":"echo hi"}`}) {
		t.Fatalf("tool calls = %+v", res.ToolCalls)
	}
	m := res.Message()
	if len(m.Content) != 2 || m.Content[0].Type != sluice.PartReasoning || m.Content[1].Type != sluice.PartToolCall {
		t.Fatalf("message = %+v", m)
	}
	if op := m.Content[0].Opaque; len(op) != 1 || op[0] != (sluice.Opaque{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: "sig=="}) {
		t.Fatalf("opaque = %+v", op)
	}
	if res.Reasoning != "think" {
		t.Fatalf("reasoning = %q", res.Reasoning)
	}
}

// TestResultText: Result.Text is the text of choice 0's message items in
// order, whatever comes between them, and a single message item's text is
// held once, not copied into a second string.
func TestResultText(t *testing.T) {
	text := func(item, choice int, s string) sluice.Event {
		return sluice.Event{Type: sluice.EventText, Item: item, Choice: choice, Text: s}
	}
	tests := []struct {
		name   string
		events []sluice.Event
		want   string
		shared bool
	}{
		{"one item", []sluice.Event{text(0, 0, "Hel"), text(0, 0, "lo")}, "Hello", true},
		{"items around a tool call", []sluice.Event{
			text(0, 0, "Let me look. "),
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "c", Name: "f"},
			{Type: sluice.EventToolCall, Item: 1, Text: "{}"},
			text(2, 0, "Found it."),
		}, "Let me look. Found it.", false},
		{"other choices left out", []sluice.Event{text(0, 0, "a"), text(1, 1, "x"), text(0, 0, "b")}, "ab", true},
		{"reasoning left out", []sluice.Event{
			{Type: sluice.EventReasoning, Item: 0, Text: "hmm"},
			text(1, 0, "yes"),
		}, "yes", true},
		{"none", []sluice.Event{{Type: sluice.EventReasoning, Text: "hmm"}}, "", false},
		{"item opened by its signature", []sluice.Event{
			{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueSignature, Text: "sig"},
			text(0, 0, "signed text"),
		}, "signed text", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "p", Decoder: &script{events: tt.events, end: io.EOF}})
			for range s.Events() {
			}
			res := s.Result()
			if res.Text != tt.want {
				t.Fatalf("Text = %q, want %q", res.Text, tt.want)
			}
			if !tt.shared {
				return
			}
			for _, it := range res.Items {
				if it.Kind == sluice.ItemMessage && it.Choice == 0 && unsafe.StringData(it.Text) != unsafe.StringData(res.Text) {
					t.Errorf("Text is a copy of item %d's text; one message item's text should be held once", it.Index)
				}
			}
		})
	}
}

// paced delays each event by the matching entry of gaps.
type paced struct {
	script
	gaps []time.Duration
}

func (p *paced) Next() (sluice.Event, error) {
	if p.i < len(p.gaps) {
		time.Sleep(p.gaps[p.i])
	}
	return p.script.Next()
}

func TestMetricsDefinitions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		time.Sleep(30 * time.Millisecond) // headers arrive
		header := time.Now()
		evs := textEvents("a", "b", "c", "d") // start, item, 4 texts, done, finish, usage(4)
		gaps := []time.Duration{0, 0, 70 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 0, 0, 0, 5 * time.Millisecond}
		s := sluice.NewStream(context.Background(), sluice.StreamConfig{Decoder: &paced{script{events: evs, end: io.EOF}, gaps}, Start: start, Header: header})
		for range s.Events() {
		}
		m := s.Result().Metrics
		ms := time.Millisecond
		if m.TTFB != 30*ms || m.TTFT != 100*ms || m.E2E != 165*ms {
			t.Fatalf("TTFB %v TTFT %v E2E %v", m.TTFB, m.TTFT, m.E2E)
		}
		if len(m.ITL) != 3 || m.ITL[0] != 10*ms || m.ITL[1] != 20*ms || m.ITL[2] != 30*ms {
			t.Fatalf("ITL = %v", m.ITL)
		}
		// 4 tokens over 60ms between first and last content: TPOT 20ms, TPS 66.67.
		if m.TPOT != 20*ms || m.TPS < 66.66 || m.TPS > 66.67 || m.OutputTokens != 4 {
			t.Fatalf("TPOT %v TPS %v tokens %d", m.TPOT, m.TPS, m.OutputTokens)
		}
		b, err := m.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		var back sluice.Metrics
		if err := back.UnmarshalJSON(b); err != nil {
			t.Fatal(err)
		}
		if back.TTFT != m.TTFT || back.TPOT != m.TPOT || back.ITL[2] != m.ITL[2] || !strings.Contains(string(b), `"ttft_ms":100`) {
			t.Fatalf("round trip: %s -> %+v", b, back)
		}
	})
}

// With OnGap the gaps go to the function as they are measured and the
// stream keeps none; every other metric is the same.
func TestStreamOnGap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		evs := textEvents("a", "b", "c", "d")
		gaps := []time.Duration{0, 0, 70 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond}
		s := sluice.NewStream(context.Background(), sluice.StreamConfig{Decoder: &paced{script{events: evs, end: io.EOF}, gaps}})
		var got []time.Duration
		s.OnGap(func(d time.Duration) { got = append(got, d) })
		for range s.Events() {
		}
		m := s.Result().Metrics
		ms := time.Millisecond
		if len(got) != 3 || got[0] != 10*ms || got[1] != 20*ms || got[2] != 30*ms {
			t.Fatalf("gaps passed on %v, want 10ms 20ms 30ms", got)
		}
		if m.ITL != nil || m.TTFT != 70*ms || m.TPOT != 20*ms || m.ContentEvents != 4 {
			t.Fatalf("metrics %+v, want no ITL kept and the rest as without OnGap", m)
		}
		if b, _ := m.MarshalJSON(); strings.Contains(string(b), "itl_ms") {
			t.Errorf("JSON %s has an itl_ms without gaps", b)
		}
	})
}

func TestResultJSONRoundTrip(t *testing.T) {
	s := newStream(&script{events: append(textEvents("x"), sluice.Event{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "c", Name: "f"}), end: io.EOF}, nil, nil)
	for range s.Events() {
	}
	res := s.Result()
	b, err := json.Marshal(&res)
	if err != nil {
		t.Fatal(err)
	}
	var back sluice.Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if back.Text != "x" || len(back.Items) != 2 || back.Items[1].Kind != sluice.ItemToolCall || back.Usage != res.Usage {
		t.Fatalf("round trip = %+v", back)
	}
	ev := sluice.Event{Type: sluice.EventReasoning, Kind: sluice.ItemReasoning, Text: "t"}
	b, _ = json.Marshal(ev)
	var evBack sluice.Event
	if err := json.Unmarshal(b, &evBack); err != nil || evBack.Type != ev.Type || evBack.Kind != ev.Kind {
		t.Fatalf("event round trip %s: %+v %v", b, evBack, err)
	}
}

// Gemini signs the function call part itself; Message must carry the
// signature back on the tool call, not drop it.
func TestResultMessageKeepsOpaqueOnToolCalls(t *testing.T) {
	evs := []sluice.Event{
		{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemToolCall, CallID: "call_0", Name: "f"},
		{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueThoughtSignature, Text: "c2ln"},
		{Type: sluice.EventToolCall, Item: 0, Text: `{}`},
	}
	s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "gemini", Decoder: &script{events: evs, end: io.EOF}})
	for range s.Events() {
	}
	res := s.Result()
	m := res.Message()
	if len(m.Content) != 1 || m.Content[0].Type != sluice.PartToolCall || len(m.Content[0].Opaque) != 1 || m.Content[0].Opaque[0].Data != "c2ln" {
		t.Fatalf("message = %+v", m)
	}
}

// charCounter counts one token per byte, so budgets are easy to reason about.
type charCounter struct{ n int }

func (c *charCounter) Add(s string) int { c.n += len(s); return c.n }

func TestStreamStopAfterBudget(t *testing.T) {
	tests := []struct {
		name   string
		words  []string
		budget int
		text   string
	}{
		{"cut inside a fragment", []string{"abc", "defg", "hij"}, 5, "abcde"},
		{"exactly at a boundary", []string{"abc", "defg", "hij"}, 7, "abcdefg"},
		{"first fragment too long", []string{"abcdefgh"}, 3, "abc"},
		{"budget never reached", []string{"ab", "cd"}, 10, "abcd"},
		{"multi-byte runes are not split", []string{"ab", "ééé"}, 5, "abé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			body := &closer{}
			s := sluice.NewStream(ctx, sluice.StreamConfig{Provider: "p", Decoder: &script{events: textEvents(tt.words...), end: io.EOF}, Body: body, Cancel: cancel})
			s.CountWith(&charCounter{})
			s.StopAfter(tt.budget, func(s string) int { return len(s) })
			var got strings.Builder
			for ev, err := range s.Events() {
				if err != nil {
					t.Fatalf("budget stop yielded an error: %v", err)
				}
				got.WriteString(ev.Text)
			}
			res := s.Result()
			reached := len(strings.Join(tt.words, "")) > tt.budget
			if res.Text != tt.text || got.String() != tt.text {
				t.Fatalf("text %q / %q, want %q", res.Text, got.String(), tt.text)
			}
			if !reached {
				if res.Finish != sluice.FinishStop {
					t.Fatalf("finish %s", res.Finish)
				}
				return
			}
			if res.Finish != sluice.FinishBudget || res.Partial || res.Err != nil {
				t.Fatalf("result %+v", res)
			}
			if ctx.Err() == nil || body.closed != 1 {
				t.Fatal("the upstream was not cancelled at the budget")
			}
			if res.Usage.Output.Source != sluice.Estimated || res.Usage.Output.N != int64(len(tt.text)) {
				t.Fatalf("usage %+v", res.Usage.Output)
			}
		})
	}
}

// An early usage report (Anthropic's message_start) is not final: when the
// stream is cut short, the streamed tokens count.
func TestStreamPartialUsageIsNotUnderReported(t *testing.T) {
	evs := []sluice.Event{
		{Type: sluice.EventStart},
		{Type: sluice.EventUsage, Usage: &sluice.Usage{Input: sluice.ReportedCount(9), Output: sluice.ReportedCount(1)}},
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Text: "one"},
		{Type: sluice.EventText, Text: " two"},
		{Type: sluice.EventText, Text: " three"},
	}
	s := newStream(&script{events: evs, end: &sluice.Error{Kind: sluice.KindOverloaded}}, nil, nil)
	for range s.Events() {
	}
	res := s.Result()
	if res.Usage.Output != sluice.EstimatedCount(3) || res.Usage.Input != sluice.ReportedCount(9) || res.Metrics.OutputTokens != 3 || !res.Metrics.TokensEstimated {
		t.Fatalf("usage %+v metrics tokens %d", res.Usage, res.Metrics.OutputTokens)
	}
}

// lineDecoder decodes one text event per line read from r.
type lineDecoder struct{ r *bufio.Reader }

func (d *lineDecoder) Next() (sluice.Event, error) {
	line, err := d.r.ReadString('\n')
	if err != nil {
		return sluice.Event{}, err
	}
	return sluice.Event{Type: sluice.EventText, Text: strings.TrimSuffix(line, "\n")}, nil
}

// countingReader counts the reads it is asked for.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) { c.reads++; return c.r.Read(p) }

// OnWait's function runs before every read of the network, and only then:
// the events one read delivered are all yielded before it runs again. A
// stream without a WaitReader says it cannot tell.
func TestStreamOnWait(t *testing.T) {
	src := &countingReader{r: strings.NewReader("a\nb\nc\n")}
	wr := sluice.NewWaitReader(src)
	s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "test", Decoder: &lineDecoder{r: bufio.NewReader(wr)},
		Body: &closer{}, OnWait: wr.OnWait})
	var log []string
	if !s.OnWait(func() { log = append(log, "wait") }) {
		t.Fatal("OnWait reported false for a stream with a WaitReader")
	}
	for ev, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
		log = append(log, ev.Text)
	}
	// One read delivers all three lines; the second read finds EOF.
	if got, want := strings.Join(log, " "), "wait a b c wait"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if src.reads != 2 {
		t.Errorf("%d reads, want 2", src.reads)
	}
	if newStream(&script{end: io.EOF}, &closer{}, nil).OnWait(func() {}) {
		t.Error("OnWait reported true for a stream that does not read the network")
	}
}

// A Stream over events already in memory ends cleanly after the last one.
func TestEventsDecoder(t *testing.T) {
	s := newStream(sluice.EventsDecoder(textEvents("Hello", ", world")), &closer{}, nil)
	for _, err := range s.Events() {
		if err != nil {
			t.Fatal(err)
		}
	}
	if r := s.Result(); r.Text != "Hello, world" || r.Err != nil || r.Finish != sluice.FinishStop {
		t.Errorf("result %q, err %v, finish %q", r.Text, r.Err, r.Finish)
	}
}
