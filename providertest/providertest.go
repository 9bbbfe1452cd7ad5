// Package providertest is the conformance suite every sluice provider
// adapter passes, run against the simulator (package sim) rather than a live
// API, in the manner of testing/slogtest.
//
// A provider package tests itself with one call:
//
//	func TestConformance(t *testing.T) {
//		providertest.Run(t, func(t *testing.T, baseURL string) sluice.Provider {
//			return openai.New(openai.Config{BaseURL: baseURL + "/v1", APIKey: "test"})
//		})
//	}
//
// Run starts a fresh simulator for every subtest, so subtests are independent
// and each can read what the simulator sent (sim.Transcript) and compare it
// with what the provider decoded: text, reasoning and its signature, tool
// calls, usage, finish reason, and for each fault the error's Kind, HTTP
// status, RetryAfter, Streamed flag and the partial text kept in the Result.
// The simulator records which protocol each request came in on, and promises
// only the usage buckets that protocol carries, so one suite fits every
// adapter.
package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sim"
)

// NewProviderFunc returns the provider under test, talking to the simulator
// whose root URL is baseURL ("http://127.0.0.1:port", no trailing slash); it
// adds its protocol's own prefix, such as "/v1" for OpenAI.
type NewProviderFunc func(t *testing.T, baseURL string) sluice.Provider

// Option changes how Run tests a provider.
type Option func(*options)

type options struct {
	skip  map[string]string
	kinds map[string]sluice.Kind
	cfg   sim.Config
}

// Skip skips the named subtests ("reasoning", "fault/stall", …), giving the
// reason in the test log; use it for what a protocol cannot express.
func Skip(reason string, names ...string) Option {
	return func(o *options) {
		for _, n := range names {
			o.skip[n] = reason
		}
	}
}

// ExpectKind overrides the error Kind a fault subtest expects, for a protocol
// whose wire cannot say more (Ollama's in-stream error is a bare message).
func ExpectKind(name string, k sluice.Kind) Option {
	return func(o *options) { o.kinds[name] = k }
}

// SimConfig sets the simulator's configuration (timing, lengths); Run's
// default is the zero Config with 8 answer tokens and 4 reasoning tokens.
func SimConfig(cfg sim.Config) Option { return func(o *options) { o.cfg = cfg } }

// Run runs the conformance suite as subtests of t. Each subtest starts its own
// simulator on 127.0.0.1, calls newProvider with its URL and streams through
// the provider. The subtests, by the names Skip and ExpectKind take:
//
//	text, length, reasoning, tool_loop, cache,
//	fault/401, fault/429, fault/500, fault/503, fault/529,
//	fault/midstream_error, fault/midstream_overloaded, fault/truncate,
//	fault/malformed, fault/stall, fault/unknown_event, cancel
func Run(t *testing.T, newProvider NewProviderFunc, opts ...Option) {
	t.Helper()
	o := options{skip: map[string]string{}, kinds: map[string]sluice.Kind{}, cfg: sim.Config{Tokens: 8, ReasoningTokens: 4}}
	for _, opt := range opts {
		opt(&o)
	}
	// The expectations are computed from the lengths, so they must be set.
	if o.cfg.Tokens <= 0 {
		o.cfg.Tokens = 8
	}
	if o.cfg.ReasoningTokens <= 0 {
		o.cfg.ReasoningTokens = 4
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if why, ok := o.skip[c.name]; ok {
				t.Skip(why)
			}
			srv := sim.New(o.cfg)
			hs := httptest.NewServer(srv)
			t.Cleanup(hs.Close)
			h := &harness{T: t, sim: srv, p: newProvider(t, hs.URL), cfg: o.cfg, kinds: o.kinds, name: c.name}
			c.run(h)
		})
	}
}

// harness is one subtest's simulator and provider.
type harness struct {
	*testing.T
	sim   *sim.Server
	p     sluice.Provider
	cfg   sim.Config
	kinds map[string]sluice.Kind
	name  string
}

// collected is one streamed response.
type collected struct {
	events []sluice.Event
	err    error
	res    sluice.Result
	tr     sim.Transcript
}

func request(model string, msgs ...sluice.Message) *sluice.Request {
	if len(msgs) == 0 {
		msgs = []sluice.Message{sluice.UserMessage("Say something.")}
	}
	return &sluice.Request{Model: model, Messages: msgs, MaxTokens: 1024}
}

// stream sends req and collects every event; stop, if not nil, is called
// after each event and ends the loop early when it returns true.
func (h *harness) stream(req *sluice.Request, stop func(ev sluice.Event, seen []sluice.Event) bool) collected {
	h.Helper()
	ctx, cancel := context.WithTimeout(h.Context(), 30*time.Second)
	defer cancel()
	s, err := h.p.Stream(ctx, req)
	if err != nil {
		h.Fatalf("Stream(%s): %v", req.Model, err)
	}
	defer s.Close()
	var c collected
	for ev, err := range s.Events() {
		if err != nil {
			c.err = err
			break
		}
		ev.Raw = nil // aliases the decoder's buffer
		c.events = append(c.events, ev)
		if stop != nil && stop(ev, c.events) {
			break
		}
	}
	if c.err == nil {
		c.err = s.Err()
	}
	c.res = s.Result()
	c.tr = h.transcript()
	return c
}

// transcript returns what the simulator sent for the latest request, waiting
// for its handler to record it (the client may have its last byte before the
// handler has returned).
func (h *harness) transcript() sim.Transcript {
	h.Helper()
	ctx, cancel := context.WithTimeout(h.Context(), 10*time.Second)
	defer cancel()
	if err := h.sim.WaitFor(ctx, func(st sim.Stats) bool {
		return st.Active == 0 && st.Completed+st.Disconnected+st.Rejected >= st.Requests
	}); err != nil {
		h.Fatalf("the simulator did not finish its response: %v (stats %+v)", err, h.sim.Stats())
	}
	tr, ok := h.sim.Last()
	if !ok {
		h.Fatal("the simulator recorded no response")
	}
	return tr
}

// expectKind returns the Kind a fault subtest expects.
func (h *harness) expectKind(k sluice.Kind) sluice.Kind {
	if o, ok := h.kinds[h.name]; ok {
		return o
	}
	return k
}

type testCase struct {
	name string
	run  func(h *harness)
}

var cases = []testCase{
	{"text", testText},
	{"length", testLength},
	{"reasoning", testReasoning},
	{"tool_loop", testToolLoop},
	{"cache", testCache},
	{"fault/401", statusFault(http.StatusUnauthorized, sluice.KindAuth, 0)},
	{"fault/429", statusFault(http.StatusTooManyRequests, sluice.KindRateLimit, time.Millisecond)},
	{"fault/500", statusFault(http.StatusInternalServerError, sluice.KindServer, 0)},
	{"fault/503", statusFault(http.StatusServiceUnavailable, sluice.KindOverloaded, time.Millisecond)},
	{"fault/529", statusFault(529, sluice.KindOverloaded, time.Millisecond)},
	{"fault/midstream_error", midstreamFault("midstream_error@3", sluice.KindServer)},
	{"fault/midstream_overloaded", midstreamFault("midstream_error@3:529", sluice.KindOverloaded)},
	{"fault/truncate", midstreamFault("truncate@3", sluice.KindTruncated)},
	{"fault/malformed", midstreamFault("malformed@3", sluice.KindProtocol)},
	{"fault/stall", testStall},
	{"fault/unknown_event", testUnknownEvent},
	{"cancel", testCancel},
}

func testText(h *harness) {
	c := h.stream(request("text"), nil)
	h.noError(c)
	h.checkEvents(c, sluice.ItemMessage)
	if want := sim.Text(h.cfg.Tokens); c.res.Text != want || c.tr.Text != want {
		h.Errorf("text %q (the simulator sent %q), want %q", c.res.Text, c.tr.Text, want)
	}
	if c.res.Finish != sluice.FinishStop {
		h.Errorf("finish %q, want stop", c.res.Finish)
	}
	if c.res.Partial {
		h.Error("a complete stream is marked Partial")
	}
	h.checkUsage(c)
	if c.res.Metrics.ContentEvents != h.cfg.Tokens {
		h.Errorf("%d content events, want %d", c.res.Metrics.ContentEvents, h.cfg.Tokens)
	}
}

func testLength(h *harness) {
	req := request("tokens=6")
	req.MaxTokens = 3
	c := h.stream(req, nil)
	h.noError(c)
	if want := sim.Text(3); c.res.Text != want {
		h.Errorf("text %q, want %q", c.res.Text, want)
	}
	if c.res.Finish != sluice.FinishLength {
		h.Errorf("finish %q, want length", c.res.Finish)
	}
}

func testReasoning(h *harness) {
	c := h.stream(request("reasoning"), nil)
	h.noError(c)
	h.checkEvents(c, sluice.ItemReasoning, sluice.ItemMessage)
	if c.res.Reasoning != c.tr.Reasoning || c.tr.Reasoning == "" {
		h.Errorf("reasoning %q, the simulator sent %q", c.res.Reasoning, c.tr.Reasoning)
	}
	if c.res.Text != c.tr.Text {
		h.Errorf("text %q, the simulator sent %q", c.res.Text, c.tr.Text)
	}
	if c.tr.Signature != "" {
		it := c.res.Items[0]
		if len(it.Opaque) != 1 || it.Opaque[0].Data != c.tr.Signature || it.Opaque[0].Kind == "" {
			h.Errorf("reasoning opaque data %+v, want the signature %q", it.Opaque, c.tr.Signature)
		}
	}
	h.checkUsage(c)
}

// weatherTool is the tool of the tool loop.
var weatherTool = sluice.Tool{Name: "get_weather", Description: "Get the weather in a city.",
	Parameters: json.RawMessage(`{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["city","unit"]}`)}

func testToolLoop(h *harness) {
	user := sluice.UserMessage("What is the weather in Paris?")
	req := request("reasoning+tools+signed", user)
	req.Tools = []sluice.Tool{weatherTool}
	c := h.stream(req, nil)
	h.noError(c)
	h.checkEvents(c, sluice.ItemReasoning, sluice.ItemToolCall)
	if c.res.Finish != sluice.FinishToolCalls {
		h.Errorf("turn 1: finish %q, want tool_calls", c.res.Finish)
	}
	if len(c.res.ToolCalls) != 1 || len(c.tr.ToolCalls) != 1 {
		h.Fatalf("turn 1: tool calls %+v, the simulator sent %+v", c.res.ToolCalls, c.tr.ToolCalls)
	}
	got, want := c.res.ToolCalls[0], c.tr.ToolCalls[0]
	if got.Name != "get_weather" || got.Name != want.Name || !sameJSON(got.Arguments, want.Arguments) {
		h.Errorf("turn 1: tool call %+v, the simulator sent %+v", got, want)
	}
	if want.ID != "" && got.ID != want.ID {
		h.Errorf("turn 1: call id %q, the simulator sent %q", got.ID, want.ID)
	}

	result := "18 degrees and sunny"
	toolMsg := sluice.Message{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: got.ID, Name: got.Name, Text: result}}}
	turn2 := func(assistant sluice.Message) *sluice.Request {
		r := request("reasoning+tools+signed", user, assistant, toolMsg)
		r.Tools = req.Tools
		return r
	}

	if c.tr.Signature != "" {
		// The simulator requires the signature: a turn that drops it fails
		// as the real API fails.
		tampered := c.res.Message()
		tampered.Content = slices.DeleteFunc(slices.Clone(tampered.Content), func(p sluice.Part) bool { return p.Type == sluice.PartReasoning })
		ctx, cancel := context.WithTimeout(h.Context(), 30*time.Second)
		s, err := h.p.Stream(ctx, turn2(tampered))
		if err == nil {
			for range s.Events() {
			}
			err = s.Err()
			s.Close()
		}
		cancel()
		var e *sluice.Error
		if !errors.As(err, &e) || e.Kind != sluice.KindBadRequest || e.Status != http.StatusBadRequest {
			h.Errorf("turn 2 without the signature: error %v, want a 400 bad_request", err)
		}
	}

	c2 := h.stream(turn2(c.res.Message()), nil)
	h.noError(c2)
	if want := "The tool returned: " + result; !strings.Contains(c2.res.Text, result) || c2.res.Text != want {
		h.Errorf("turn 2: text %q, want %q", c2.res.Text, want)
	}
	if c2.res.Finish != sluice.FinishStop {
		h.Errorf("turn 2: finish %q, want stop", c2.res.Finish)
	}
}

func testCache(h *harness) {
	c := h.stream(request("cache"), nil)
	h.noError(c)
	if !c.tr.Usage.CacheRead.Known() && !c.tr.Usage.CacheWrite.Known() {
		h.Log("the protocol carries no cache usage; checking the other buckets")
	}
	h.checkUsage(c)
}

func statusFault(status int, kind sluice.Kind, retryAfter time.Duration) func(*harness) {
	return func(h *harness) {
		ctx, cancel := context.WithTimeout(h.Context(), 30*time.Second)
		defer cancel()
		s, err := h.p.Stream(ctx, request("text+status="+strconv.Itoa(status)))
		if err == nil {
			s.Close()
			h.Fatalf("Stream returned a stream for an HTTP %d; want the error before any event", status)
		}
		var e *sluice.Error
		if !errors.As(err, &e) {
			h.Fatalf("error %T %v is not a *sluice.Error", err, err)
		}
		if want := h.expectKind(kind); e.Kind != want {
			h.Errorf("Kind %v, want %v (%v)", e.Kind, want, e)
		}
		if e.Status != status {
			h.Errorf("Status %d, want %d", e.Status, status)
		}
		if e.RetryAfter != retryAfter {
			h.Errorf("RetryAfter %v, want %v (retry-after-ms: 1)", e.RetryAfter, retryAfter)
		}
		if e.Streamed {
			h.Error("Streamed is true before any event")
		}
		if e.Message == "" {
			h.Error("the provider's message was lost")
		}
	}
}

func midstreamFault(fault string, kind sluice.Kind) func(*harness) {
	return func(h *harness) {
		c := h.stream(request("tokens=8+"+fault), nil)
		h.partial(c, h.expectKind(kind))
		if want := sim.Text(3); c.res.Text != want || c.tr.Text != want {
			h.Errorf("partial text %q (the simulator sent %q), want %q", c.res.Text, c.tr.Text, want)
		}
	}
}

// testStall stalls the stream after 3 deltas and leaves; the provider must
// give back the partial text, and the simulator must see the client go.
func testStall(h *harness) {
	c := h.stream(request("tokens=8+stall@3:1h"), stopAfterText(3))
	h.partial(c, h.expectKind(sluice.KindCanceled))
	if want := sim.Text(3); c.res.Text != want {
		h.Errorf("partial text %q, want %q", c.res.Text, want)
	}
	if c.tr.Complete || h.sim.Stats().Disconnected != 1 {
		h.Errorf("the simulator did not see the client leave: %+v", h.sim.Stats())
	}
}

func testCancel(h *harness) {
	c := h.stream(request("tokens=8+stall@2:1h"), stopAfterText(1))
	if c.err != nil && sluice.AsError(c.err).Kind != sluice.KindCanceled {
		h.Errorf("error %v, want none or canceled", c.err)
	}
	if !c.res.Partial || c.res.Finish != sluice.FinishCanceled {
		h.Errorf("Partial %v, Finish %q; want true, canceled", c.res.Partial, c.res.Finish)
	}
	if c.res.Text != sim.Text(1) {
		h.Errorf("text %q, want %q", c.res.Text, sim.Text(1))
	}
	if h.sim.Stats().Disconnected != 1 {
		h.Errorf("breaking out of the loop did not close the upstream: %+v", h.sim.Stats())
	}
}

func testUnknownEvent(h *harness) {
	c := h.stream(request("tokens=4+unknown_event@2"), nil)
	h.noError(c)
	if len(c.tr.Unknown) != 1 {
		h.Fatalf("the simulator sent unknown events %q, want one", c.tr.Unknown)
	}
	var names []string
	for _, ev := range c.events {
		if ev.Type == sluice.EventPassthrough {
			names = append(names, ev.Name)
		}
	}
	if !slices.Contains(names, c.tr.Unknown[0]) {
		h.Errorf("passthrough events named %q, want one named %q", names, c.tr.Unknown[0])
	}
	if want := sim.Text(4); c.res.Text != want {
		h.Errorf("text %q, want %q: an unknown event must not end the stream", c.res.Text, want)
	}
}

func stopAfterText(n int) func(sluice.Event, []sluice.Event) bool {
	return func(ev sluice.Event, seen []sluice.Event) bool {
		k := 0
		for _, e := range seen {
			if e.Type == sluice.EventText {
				k++
			}
		}
		return k >= n
	}
}

func (h *harness) noError(c collected) {
	h.Helper()
	if c.err != nil {
		h.Fatalf("stream failed: %v", c.err)
	}
}

// partial checks a stream ended by an error of kind k after content.
func (h *harness) partial(c collected, k sluice.Kind) {
	h.Helper()
	var e *sluice.Error
	if !errors.As(c.err, &e) {
		h.Fatalf("error %T %v, want a *sluice.Error of kind %v", c.err, c.err, k)
	}
	if e.Kind != k {
		h.Errorf("Kind %v, want %v (%v)", e.Kind, k, e)
	}
	if !e.Streamed {
		h.Error("Streamed is false after content")
	}
	if e.Status != 0 && e.Status != http.StatusOK {
		h.Errorf("Status %d for an error inside a 200 stream", e.Status)
	}
	if !c.res.Partial || c.res.Err == nil {
		h.Errorf("Result.Partial %v, Err %v; want true and the error", c.res.Partial, c.res.Err)
	}
}

// checkEvents checks the event contract: a start first, every content event
// inside an item announced before it, items of the given kinds in that order,
// each closed, and the usage and finish after the last content.
func (h *harness) checkEvents(c collected, kinds ...sluice.ItemKind) {
	h.Helper()
	if len(c.events) == 0 || c.events[0].Type != sluice.EventStart {
		h.Errorf("the first event is not a start: %v", types(c.events))
		return
	}
	started := map[int]sluice.ItemKind{}
	done := map[int]bool{}
	var order []sluice.ItemKind
	lastContent, usage, finish := -1, -1, -1
	for i, ev := range c.events {
		switch ev.Type {
		case sluice.EventItemStart:
			if _, dup := started[ev.Item]; dup {
				h.Errorf("item %d started twice", ev.Item)
			}
			if ev.Item != len(order) {
				h.Errorf("item start %d after %d items: items are numbered in arrival order", ev.Item, len(order))
			}
			started[ev.Item] = ev.Kind
			order = append(order, ev.Kind)
			if ev.Kind == sluice.ItemToolCall && (ev.CallID == "" || ev.Name == "") {
				h.Errorf("tool call item without call id or name: %+v", ev)
			}
		case sluice.EventItemDone:
			done[ev.Item] = true
		case sluice.EventUsage:
			usage = i
		case sluice.EventFinish:
			finish = i
		}
		if ev.Type.IsContent() || ev.Type == sluice.EventReasoningData {
			if _, ok := started[ev.Item]; !ok {
				h.Errorf("event %d (%v) belongs to item %d, which was not started", i, ev.Type, ev.Item)
			}
			if done[ev.Item] {
				h.Errorf("event %d (%v) comes after item %d was done", i, ev.Type, ev.Item)
			}
			lastContent = i
		}
	}
	if !slices.Equal(order, kinds) {
		h.Errorf("items %v, want %v", order, kinds)
	}
	for i := range order {
		if !done[i] {
			h.Errorf("item %d (%v) was never done", i, order[i])
		}
	}
	if usage < lastContent || finish < lastContent {
		h.Errorf("usage (event %d) and finish (event %d) must follow the last content (event %d): %v", usage, finish, lastContent, types(c.events))
	}
}

// checkUsage compares every bucket the simulator sent with the Result.
func (h *harness) checkUsage(c collected) {
	h.Helper()
	want, got := c.tr.Usage, c.res.Usage
	for _, b := range []struct {
		name      string
		want, got sluice.Count
	}{
		{"input", want.Input, got.Input},
		{"cache read", want.CacheRead, got.CacheRead},
		{"cache write", want.CacheWrite, got.CacheWrite},
		{"output", want.Output, got.Output},
		{"reasoning", want.Reasoning, got.Reasoning},
	} {
		if b.want.Known() && b.got != b.want {
			h.Errorf("usage %s: %+v, the simulator sent %+v", b.name, b.got, b.want)
		}
	}
	if !want.Output.Known() {
		h.Errorf("the simulator sent no output usage (transcript %+v)", c.tr)
	}
}

func types(evs []sluice.Event) string {
	var b strings.Builder
	for i, ev := range evs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(ev.Type.String())
	}
	return b.String()
}

func sameJSON(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return string(xa) == string(ya)
}
