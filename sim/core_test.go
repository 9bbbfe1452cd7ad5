package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
)

// lineDialect is a test protocol: one JSON event per line, "END" as its end
// marker, so the core's timing and faults are tested apart from any real
// protocol.
var lineDialect = &dialect{
	name:        "lines",
	contentType: "application/x-ndjson",
	opaque:      sluice.OpaqueSignature,
	respPrefix:  "r_",
	callPrefix:  "c_",
	usage:       usageCaps{cacheRead: true, cacheWrite: true, reasoning: true},
	comment:     []byte("#keep-alive\n"),
	malformed:   []byte("{\"type\":\n"),
	unknownEvent: func() sluice.Event {
		return sluice.Event{Type: sluice.EventPassthrough, Name: "future_event", Raw: json.RawMessage(`{"type":"future_event"}`)}
	},
	parse: func(_ *Config, body []byte, model string) (*call, error) {
		var req struct {
			sluice.Request
			Stream *bool `json:"stream"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			return nil, err
		}
		c := &call{req: &req.Request, stream: req.Stream == nil || *req.Stream}
		c.newEncoder = func(w io.Writer) sluice.Encoder { return &lineEncoder{w: w} }
		c.nonStream = func(res *sluice.Result) ([]byte, error) { return json.Marshal(res) }
		return c, nil
	},
	writeError: func(w http.ResponseWriter, e *sluice.Error) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(e.Status)
		json.NewEncoder(w).Encode(e)
	},
}

type lineEncoder struct {
	w   io.Writer
	buf bytes.Buffer
}

func (e *lineEncoder) Encode(ev *sluice.Event) error {
	if ev.Type == sluice.EventError {
		e.buf.WriteString("ERROR " + ev.Err.Message + "\n")
		return nil
	}
	b, err := json.Marshal(ev)
	e.buf.Write(b)
	e.buf.WriteByte('\n')
	return err
}
func (e *lineEncoder) End() error { e.buf.WriteString("END\n"); return nil }
func (e *lineEncoder) Flush() error {
	_, err := e.w.Write(e.buf.Bytes())
	e.buf.Reset()
	if f, ok := e.w.(interface{ Flush() error }); ok && err == nil {
		err = f.Flush()
	}
	return err
}

// timedWriter records each write with the (fake, under synctest) time since
// the request began.
type timedWriter struct {
	mu     sync.Mutex
	start  time.Time
	header http.Header
	status int
	writes []timedWrite
	// onWrite runs before each write is recorded, e.g. to slow the client.
	onWrite func(n int)
}

type timedWrite struct {
	at   time.Duration
	data string
}

func newTimedWriter() *timedWriter {
	return &timedWriter{start: time.Now(), header: http.Header{}}
}

func (w *timedWriter) Header() http.Header { return w.header }
func (w *timedWriter) WriteHeader(s int)   { w.status = s }
func (w *timedWriter) Flush()              {}
func (w *timedWriter) Write(p []byte) (int, error) {
	if w.onWrite != nil {
		w.onWrite(len(w.writes))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.writes = append(w.writes, timedWrite{at: time.Since(w.start), data: string(p)})
	return len(p), nil
}

// lines returns the lines written, each with the time of its write.
func (w *timedWriter) lines() []timedWrite {
	var out []timedWrite
	for _, wr := range w.writes {
		sc := bufio.NewScanner(strings.NewReader(wr.data))
		for sc.Scan() {
			out = append(out, timedWrite{at: wr.at, data: sc.Text()})
		}
	}
	return out
}

// serveLines runs one request through the core with the test dialect.
func serveLines(ctx context.Context, s *Server, w http.ResponseWriter, body string, header http.Header) {
	r := httptest.NewRequestWithContext(ctx, http.MethodPost, "/lines", strings.NewReader(body))
	for k, v := range header {
		r.Header[k] = v
	}
	s.stream(lineDialect, w, r, "")
}

func req(model string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":[{"type":"text","text":"hello there"}]}]}`
}

// contentLines returns the decoded events of the content lines, with times.
type lineEvent struct {
	at time.Duration
	ev sluice.Event
}

func parseLines(t *testing.T, w *timedWriter) (evs []lineEvent, tail []string) {
	t.Helper()
	for _, l := range w.lines() {
		if !strings.HasPrefix(l.data, "{\"type\":\"") || !json.Valid([]byte(l.data)) {
			tail = append(tail, l.data)
			continue
		}
		var ev struct {
			Type  string `json:"type"`
			Item  int    `json:"item"`
			Text  string `json:"text"`
			Name  string `json:"name"`
			Kind  string `json:"kind"`
			Opaq  string `json:"opaque"`
			Fin   string `json:"finish"`
			Usage *sluice.Usage
		}
		json.Unmarshal([]byte(l.data), &ev)
		var e sluice.Event
		for ty := sluice.EventStart; ty <= sluice.EventPassthrough; ty++ {
			if ty.String() == ev.Type {
				e.Type = ty
			}
		}
		e.Item, e.Text, e.Name, e.Opaque, e.Finish, e.Usage = ev.Item, ev.Text, ev.Name, sluice.OpaqueKind(ev.Opaq), sluice.FinishReason(ev.Fin), ev.Usage
		evs = append(evs, lineEvent{at: l.at, ev: e})
	}
	return evs, tail
}

func contentTimes(evs []lineEvent) []time.Duration {
	var out []time.Duration
	for _, e := range evs {
		if e.ev.Type.IsContent() {
			out = append(out, e.at)
		}
	}
	return out
}

func TestTimingIsExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{TTFT: 300 * time.Millisecond, ITL: 30 * time.Millisecond, Tokens: 5})
		w := newTimedWriter()
		serveLines(t.Context(), s, w, req("text"), nil)
		evs, tail := parseLines(t, w)
		if got := contentTimes(evs); len(got) != 5 {
			t.Fatalf("content events at %v, want 5", got)
		} else {
			for i, at := range got {
				want := 300*time.Millisecond + time.Duration(i)*30*time.Millisecond
				if at != want {
					t.Errorf("delta %d at %v, want %v", i, at, want)
				}
			}
		}
		if evs[0].at != 0 || evs[0].ev.Type != sluice.EventStart {
			t.Errorf("first event %v at %v, want start at 0", evs[0].ev.Type, evs[0].at)
		}
		if len(tail) != 1 || tail[0] != "END" {
			t.Errorf("tail %q, want END", tail)
		}
		if w.header.Get("Content-Type") != "application/x-ndjson" {
			t.Errorf("Content-Type %q", w.header.Get("Content-Type"))
		}
	})
}

// TestTimingNoDrift: a client that makes one write slow delays that event,
// but the events after it keep their planned times instead of shifting.
func TestTimingNoDrift(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{ITL: 10 * time.Millisecond, Tokens: 10})
		w := newTimedWriter()
		w.onWrite = func(n int) {
			if n == 3 {
				time.Sleep(25 * time.Millisecond)
			}
		}
		serveLines(t.Context(), s, w, req("text"), nil)
		evs, _ := parseLines(t, w)
		got := contentTimes(evs)
		want := []time.Duration{0, 10, 45, 45, 45, 50, 60, 70, 80, 90}
		for i := range want {
			want[i] *= time.Millisecond
		}
		if len(got) != len(want) {
			t.Fatalf("content at %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("content at %v, want %v", got, want)
			}
		}
	})
}

func TestJitterIsBoundedAndReproducible(t *testing.T) {
	run := func() []time.Duration {
		var got []time.Duration
		synctest.Test(t, func(t *testing.T) {
			s := New(Config{ITL: 20 * time.Millisecond, Jitter: 5 * time.Millisecond, Tokens: 50, Seed: 7})
			w := newTimedWriter()
			serveLines(t.Context(), s, w, req("text"), nil)
			evs, _ := parseLines(t, w)
			got = contentTimes(evs)
		})
		return got
	}
	a, b := run(), run()
	if len(a) != 50 {
		t.Fatalf("%d deltas", len(a))
	}
	varied := false
	for i := 1; i < len(a); i++ {
		gap := a[i] - a[i-1]
		if gap < 15*time.Millisecond || gap > 25*time.Millisecond {
			t.Errorf("gap %d is %v, want 20ms ± 5ms", i, gap)
		}
		if gap != 20*time.Millisecond {
			varied = true
		}
		if a[i] != b[i] {
			t.Errorf("delta %d at %v then %v: the same seed must give the same timing", i, a[i], b[i])
		}
	}
	if !varied {
		t.Error("jitter changed no gap")
	}
}

func TestKeepAlive(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{TTFT: time.Second, KeepAlive: 300 * time.Millisecond, Tokens: 2})
		w := newTimedWriter()
		serveLines(t.Context(), s, w, req("text"), nil)
		var at []time.Duration
		for _, l := range w.lines() {
			if l.data == "#keep-alive" {
				at = append(at, l.at)
			}
		}
		want := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, 900 * time.Millisecond}
		if len(at) != len(want) {
			t.Fatalf("keep-alives at %v, want %v", at, want)
		}
		for i := range want {
			if at[i] != want[i] {
				t.Fatalf("keep-alives at %v, want %v", at, want)
			}
		}
	})
}

func TestFaults(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		header    http.Header
		wantText  string
		wantTail  []string
		wantExtra sluice.EventType
		status    int
	}{
		{name: "truncate", model: "tokens=6+truncate@2", wantText: Text(2)},
		{name: "truncate past the end", model: "tokens=3+truncate@9", wantText: Text(3)},
		{name: "midstream error", model: "tokens=6+midstream_error@3", wantText: Text(3),
			wantTail: []string{"ERROR sim: injected mid-stream error: The server had an error while processing your request. Sorry about that!"}},
		{name: "midstream error by header", model: "tokens=6", header: http.Header{"X-Sim-Fault": {"error@0:529"}}, wantText: "",
			wantTail: []string{"ERROR sim: injected mid-stream error: Overloaded"}},
		{name: "malformed", model: "tokens=6+malformed@1", wantText: Text(1), wantTail: []string{`{"type":`}},
		{name: "unknown event", model: "tokens=4+unknown_event@2", wantText: Text(4), wantTail: []string{"END"}, wantExtra: sluice.EventPassthrough},
		{name: "stall", model: "tokens=4+stall@2:10ms", wantText: Text(4), wantTail: []string{"END"}},
		{name: "status", model: "tokens=4+429", status: 429},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := New(Config{})
				w := newTimedWriter()
				serveLines(t.Context(), s, w, req(tt.model), tt.header)
				if tt.status != 0 {
					if w.status != tt.status {
						t.Fatalf("status %d, want %d", w.status, tt.status)
					}
					if got := w.header.Get("Retry-After-Ms"); got != "1" {
						t.Errorf("retry-after-ms %q, want 1", got)
					}
					if got := w.header.Get("Retry-After"); got != "1" {
						t.Errorf("retry-after %q, want 1", got)
					}
					return
				}
				evs, tail := parseLines(t, w)
				var text strings.Builder
				extra := false
				for _, e := range evs {
					if e.ev.Type == sluice.EventText {
						text.WriteString(e.ev.Text)
					}
					if e.ev.Type == tt.wantExtra {
						extra = true
					}
				}
				if text.String() != tt.wantText {
					t.Errorf("text %q, want %q", text.String(), tt.wantText)
				}
				if strings.Join(tail, "|") != strings.Join(tt.wantTail, "|") {
					t.Errorf("tail %q, want %q", tail, tt.wantTail)
				}
				if tt.wantExtra != 0 && !extra {
					t.Errorf("no %v event", tt.wantExtra)
				}
				tr, _ := s.Last()
				if tr.Text != tt.wantText || !tr.Complete {
					t.Errorf("transcript %+v", tr)
				}
			})
		})
	}
}

func TestStallIsSilent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{KeepAlive: 100 * time.Millisecond, ITL: 10 * time.Millisecond, Tokens: 4})
		w := newTimedWriter()
		serveLines(t.Context(), s, w, req("stall@2:1s"), nil)
		var prev time.Duration
		for _, l := range w.lines() {
			if l.data == "#keep-alive" {
				t.Fatalf("keep-alive at %v during a stall", l.at)
			}
			prev = l.at
		}
		if want := time.Second + 30*time.Millisecond; prev != want {
			t.Errorf("stream ended at %v, want %v", prev, want)
		}
	})
}

func TestTimesLimitsAFault(t *testing.T) {
	s := New(Config{})
	var statuses []int
	for range 4 {
		w := newTimedWriter()
		serveLines(t.Context(), s, w, req("status=503*2"), nil)
		statuses = append(statuses, w.status)
	}
	if want := []int{503, 503, 200, 200}; !equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
	st := s.Stats()
	if st.Requests != 4 || st.Rejected != 2 || st.Completed != 2 || st.Active != 0 {
		t.Errorf("stats %+v", st)
	}
}

func equal[T comparable](a, b []T) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDisconnectIsCounted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := New(Config{ITL: time.Second, Tokens: 10})
		ctx, cancel := context.WithCancel(t.Context())
		w := newTimedWriter()
		w.onWrite = func(n int) {
			if n == 3 {
				cancel()
			}
		}
		done := make(chan struct{})
		go func() {
			serveLines(ctx, s, w, req("text"), nil)
			close(done)
		}()
		if err := s.WaitFor(t.Context(), func(st Stats) bool { return st.Disconnected == 1 }); err != nil {
			t.Fatal(err)
		}
		<-done
		if st := s.Stats(); st.Active != 0 || st.Completed != 0 || st.Streams != 1 {
			t.Errorf("stats %+v", st)
		}
		if tr, _ := s.Last(); tr.Complete {
			t.Error("transcript of a disconnected stream says complete")
		}
	})
}

func TestWaitForHonoursContext(t *testing.T) {
	s := New(Config{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.WaitFor(ctx, func(Stats) bool { return false }); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor = %v, want context.Canceled", err)
	}
}

func TestReasoningAndSignature(t *testing.T) {
	s := New(Config{ReasoningTokens: 3, Tokens: 2})
	w := newTimedWriter()
	serveLines(t.Context(), s, w, req("reasoning"), nil)
	evs, _ := parseLines(t, w)
	var kinds []string
	for _, e := range evs {
		kinds = append(kinds, e.ev.Type.String())
	}
	want := "start usage? item_start reasoning reasoning reasoning reasoning_data item_done item_start text text item_done finish usage"
	want = strings.ReplaceAll(want, "usage? ", "")
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("events\n got %s\nwant %s", got, want)
	}
	tr, _ := s.Last()
	if tr.Reasoning != ReasoningText(3) || tr.Text != Text(2) || !s.signer.verify(tr.Reasoning, tr.Signature) {
		t.Errorf("transcript %+v", tr)
	}
	u := tr.Usage
	if u.Output.N != 5 || u.Reasoning.N != 3 {
		t.Errorf("usage %+v, want output 5, reasoning 3", u)
	}
}

func TestSignatureCheck(t *testing.T) {
	s := New(Config{SignatureKey: []byte("k")})
	sig := s.signer.sign("thought")
	turn := func(parts ...sluice.Part) *sluice.Request {
		return &sluice.Request{Messages: []sluice.Message{
			sluice.UserMessage("hi"),
			{Role: sluice.RoleAssistant, Content: parts},
			{Role: sluice.RoleUser, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: "c", Text: "ok"}}},
		}}
	}
	call := sluice.Part{Type: sluice.PartToolCall, CallID: "c", Name: "f", Arguments: "{}"}
	reason := func(text, data string) sluice.Part {
		return sluice.Part{Type: sluice.PartReasoning, Text: text, Opaque: []sluice.Opaque{{Kind: sluice.OpaqueSignature, Data: data}}}
	}
	tests := []struct {
		name string
		req  *sluice.Request
		ok   bool
	}{
		{"intact", turn(reason("thought", sig), call), true},
		{"signature alone", turn(reason("", sig), call), true},
		{"changed text", turn(reason("thought!", sig), call), false},
		{"changed signature", turn(reason("thought", sig[:len(sig)-4]+"AAA="), call), false},
		{"dropped reasoning", turn(call), false},
		{"no tool call, no reasoning", turn(sluice.Text("hi")), true},
		{"foreign signature", turn(reason("thought", New(Config{}).signer.sign("thought")), call), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := s.signer.checkSignatures(tt.req, sluice.OpaqueSignature)
			if (e == nil) != tt.ok {
				t.Errorf("checkSignatures = %v, want ok=%v", e, tt.ok)
			}
			if e != nil && e.Status != 400 {
				t.Errorf("status %d", e.Status)
			}
		})
	}
	if e := s.signer.checkSignatures(turn(call), ""); e != nil {
		t.Errorf("a protocol without signatures was checked: %v", e)
	}
}

func TestRequireSignatureRejects(t *testing.T) {
	s := New(Config{})
	body := `{"model":"reasoning+tools","messages":[{"role":"user","content":[{"type":"text","text":"hi"}]},
	{"role":"assistant","content":[{"type":"tool_call","call_id":"c","name":"f","arguments":"{}"}]},
	{"role":"tool","content":[{"type":"tool_result","call_id":"c","text":"ok"}]}],
	"tools":[{"name":"f"}]}`
	w := newTimedWriter()
	serveLines(t.Context(), s, w, body, http.Header{"X-Sim-Require-Signature": {"true"}})
	if w.status != 400 {
		t.Fatalf("status %d, want 400", w.status)
	}
	w = newTimedWriter()
	serveLines(t.Context(), s, w, body, nil)
	if w.status != 200 {
		t.Fatalf("without the requirement: status %d, want 200", w.status)
	}
	tr, _ := s.Last()
	if tr.Text != "The tool returned: ok" {
		t.Errorf("turn 2 text %q", tr.Text)
	}
}

func TestToolLoop(t *testing.T) {
	s := New(Config{})
	body := `{"model":"tools","messages":[{"role":"user","content":[{"type":"text","text":"list files"}]}],
	"tools":[{"name":"shell","parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}},"timeout":{"type":"integer"}},"required":["command"]}}]}`
	w := newTimedWriter()
	serveLines(t.Context(), s, w, body, nil)
	tr, _ := s.Last()
	if len(tr.ToolCalls) != 1 || tr.Finish != sluice.FinishToolCalls {
		t.Fatalf("transcript %+v", tr)
	}
	c := tr.ToolCalls[0]
	if c.Name != "shell" || c.Arguments != `{"command":["echo","hello","from","sluice","sim"]}` || !strings.HasPrefix(c.ID, "c_") {
		t.Errorf("tool call %+v", c)
	}
}

func TestToolArguments(t *testing.T) {
	tests := []struct{ name, params, want string }{
		{"bash", ``, `{"command":"echo hello from sluice sim"}`},
		{"exec_command", `{"type":"object","properties":{"cmd":{"type":"string"},"workdir":{"type":"string"}},"required":["cmd"]}`, `{"cmd":"echo hello from sluice sim"}`},
		{"get_weather", `{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string","enum":["c","f"]},"days":{"type":"integer"},"ok":{"type":["boolean","null"]}}}`,
			`{"city":"sluice","days":1,"ok":true,"unit":"c"}`},
		{"noargs", `{"type":"object"}`, `{}`},
		{"broken", `{`, `{}`},
	}
	for _, tt := range tests {
		if got := toolArguments(sluice.Tool{Name: tt.name, Parameters: json.RawMessage(tt.params)}); got != tt.want {
			t.Errorf("%s: %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestMaxTokensCapsTheAnswer(t *testing.T) {
	s := New(Config{Tokens: 10})
	body := `{"model":"text","max_tokens":3,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`
	serveLines(t.Context(), s, newTimedWriter(), body, nil)
	tr, _ := s.Last()
	if tr.Text != Text(3) || tr.Finish != sluice.FinishLength {
		t.Errorf("transcript %+v", tr)
	}
}

func TestEcho(t *testing.T) {
	s := New(Config{})
	serveLines(t.Context(), s, newTimedWriter(), req("echo"), nil)
	if tr, _ := s.Last(); tr.Text != "hello there" {
		t.Errorf("echo %q", tr.Text)
	}
}

func TestNonStream(t *testing.T) {
	s := New(Config{Tokens: 3})
	body := `{"model":"text","stream":false,"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}]}`
	w := newTimedWriter()
	serveLines(t.Context(), s, w, body, nil)
	var res struct {
		Text   string
		Finish sluice.FinishReason `json:"finish_reason"`
	}
	if err := json.Unmarshal([]byte(w.writes[0].data), &res); err != nil {
		t.Fatal(err)
	}
	if res.Text != Text(3) || res.Finish != sluice.FinishStop {
		t.Errorf("result %+v", res)
	}
}

func TestParseBehavior(t *testing.T) {
	tests := []struct {
		in   string
		want string // String()
		err  bool
	}{
		{"", "text", false},
		{"gpt-4o-mini", "text", false},
		{"claude-3-5-sonnet@20240620", "text", false},
		{"reasoning+tools+cache", "reasoning+tools+cache", false},
		{"thinking,tool", "reasoning+tools", false},
		{"echo+tokens=5", "echo+tokens=5", false},
		{"gpt-4o+429", "429", false},
		{"status=503*2", "status=503*2", false},
		{"529*1", "529*1", false},
		{"200", "text", false},
		{"midstream_error@5", "midstream_error@5", false},
		{"error@5:529", "error@5:529", false},
		{"truncate@0", "truncate@0", false},
		{"stall@5:2s", "stall@5:2s", false},
		{"malformed@3+unknown_event@1", "malformed@3+unknown_event@1", false},
		{"signed", "signed", false},
		{"stall@5", "", true},
		{"stall@x:1s", "", true},
		{"truncate@-1", "", true},
		{"status=200", "", true},
		{"tokens=0", "", true},
		{"truncate@2:1s", "", true},
		{"status=429*0", "", true},
	}
	for _, tt := range tests {
		b, err := ParseBehavior(tt.in)
		if (err != nil) != tt.err {
			t.Errorf("ParseBehavior(%q) error = %v, want error %v", tt.in, err, tt.err)
			continue
		}
		if err == nil && b.String() != tt.want {
			t.Errorf("ParseBehavior(%q) = %s, want %s", tt.in, b.String(), tt.want)
		}
		var se *sluice.Error
		if err != nil && (!errors.As(err, &se) || se.Kind != sluice.KindBadRequest) {
			t.Errorf("ParseBehavior(%q) error %v is not a bad-request *sluice.Error", tt.in, err)
		}
	}
}

func TestSplitWords(t *testing.T) {
	for _, s := range []string{"", "a", " a  b\nc ", "The tool returned: ok", "héllo wörld"} {
		if got := strings.Join(splitWords(s), ""); got != s {
			t.Errorf("splitWords(%q) joins to %q", s, got)
		}
	}
	if got := splitWords("a b  c"); !equal(got, []string{"a", " b", "  c"}) {
		t.Errorf("splitWords = %q", got)
	}
	if got := strings.Join(splitN("héllo wörld", 2), ""); got != "héllo wörld" {
		t.Errorf("splitN joins to %q", got)
	}
	if Text(3) != "Streams carry tokens" {
		t.Errorf("Text(3) = %q", Text(3))
	}
}

func TestBehaviorFromHeaders(t *testing.T) {
	tests := []struct {
		model   string
		header  http.Header
		require bool
		want    string
		err     bool
	}{
		{"gpt-4o", http.Header{"X-Sim-Behavior": {"reasoning+tools"}}, false, "reasoning+tools", false},
		{"cache", http.Header{"X-Sim-Fault": {"truncate@5", "status=429*1"}}, false, "cache+truncate@5+status=429*1", false},
		{"text", http.Header{"X-Sim-Require-Signature": {"true"}}, false, "signed", false},
		{"signed", http.Header{"X-Sim-Require-Signature": {"false"}}, true, "text", false},
		{"text", nil, true, "signed", false},
		{"text", http.Header{"X-Sim-Require-Signature": {"maybe"}}, false, "", true},
		{"text", http.Header{"X-Sim-Fault": {"stall@1"}}, false, "", true},
	}
	for _, tt := range tests {
		b, err := behaviorFor(tt.model, tt.header, tt.require)
		if (err != nil) != tt.err {
			t.Errorf("behaviorFor(%q, %v) error %v", tt.model, tt.header, err)
			continue
		}
		if err == nil && b.String() != tt.want {
			t.Errorf("behaviorFor(%q, %v) = %s, want %s", tt.model, tt.header, b, tt.want)
		}
	}
}
