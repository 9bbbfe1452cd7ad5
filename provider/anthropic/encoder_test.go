package anthropic

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sse"
)

// wireEvent is one SSE event with its data parsed as JSON.
type wireEvent struct {
	name string
	data any
	raw  string
}

// wireEvents parses an event stream. Pings are left out: they are
// keep-alives, and the encoder places its own ping after the first block
// start wherever the recording had one. That is the only thing the round
// trip ignores.
func wireEvents(t *testing.T, data []byte) []wireEvent {
	t.Helper()
	var out []wireEvent
	for ev, err := range sse.Read(bytes.NewReader(data)) {
		if err != nil {
			t.Fatal(err)
		}
		if ev.Type == "ping" {
			continue
		}
		var v any
		if err := json.Unmarshal(ev.Data, &v); err != nil {
			t.Fatalf("event %s: %v: %s", ev.Type, err, ev.Data)
		}
		out = append(out, wireEvent{name: ev.Type, data: v, raw: string(ev.Data)})
	}
	return out
}

// relay decodes stream and encodes its events back through an Encoder, as a
// same-protocol gateway does.
func relay(t *testing.T, stream []byte, opts EncoderOptions) []byte {
	t.Helper()
	var out bytes.Buffer
	enc := NewEncoder(&out, opts)
	d := NewDecoder(bytes.NewReader(stream))
	for {
		ev, err := d.Next()
		if err == io.EOF {
			if err := enc.End(); err != nil {
				t.Fatal(err)
			}
			break
		}
		if err != nil {
			var e *sluice.Error
			if !errors.As(err, &e) {
				t.Fatal(err)
			}
			if err := enc.Encode(&sluice.Event{Type: sluice.EventError, Err: e}); err != nil {
				t.Fatal(err)
			}
			break
		}
		if err := enc.Encode(&ev); err != nil {
			t.Fatal(err)
		}
		if err := enc.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// TestRoundTrip decodes every recorded stream and encodes it back: the same
// events, with the same JSON, must come out.
func TestRoundTrip(t *testing.T) {
	for _, name := range streamFiles(t) {
		t.Run(name, func(t *testing.T) {
			in := readFile(t, name)
			out := relay(t, in, EncoderOptions{})
			want, got := wireEvents(t, in), wireEvents(t, out)
			for i := range max(len(want), len(got)) {
				if i >= len(want) || i >= len(got) {
					t.Fatalf("got %d events, want %d; output:\n%s", len(got), len(want), out)
				}
				if got[i].name != want[i].name || !reflect.DeepEqual(got[i].data, want[i].data) {
					t.Errorf("event %d:\n got %s %s\nwant %s %s", i, got[i].name, got[i].raw, want[i].name, want[i].raw)
				}
				if typ, _ := got[i].data.(map[string]any)["type"].(string); typ != got[i].name {
					t.Errorf("event %d: event name %q but type %q", i, got[i].name, typ)
				}
			}
			if !bytes.Contains(out, []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n")) && bytes.Contains(out, []byte("content_block_start")) {
				t.Errorf("no ping after the first block start:\n%s", out)
			}
		})
	}
}

// TestRoundTripPadded relays with padding on: the padded stream must decode
// to the same events as the original.
func TestRoundTripPadded(t *testing.T) {
	for _, name := range streamFiles(t) {
		in := readFile(t, name)
		out := relay(t, in, EncoderOptions{Pad: 15})
		if !bytes.Contains(out, []byte(" }\n")) {
			t.Errorf("%s: no padding in\n%s", name, out)
		}
		want, werr := decodeAll(bytes.NewReader(in))
		got, gerr := decodeAll(bytes.NewReader(out))
		if a, b := strings.Join(describeAll(got), "\n"), strings.Join(describeAll(want), "\n"); a != b || (werr == nil) != (gerr == nil) {
			t.Errorf("%s: padded relay decodes to\n%s\n%v\nwant\n%s\n%v", name, a, gerr, b, werr)
		}
	}
}

// encode runs events through a fresh Encoder and returns what it wrote.
func encode(t *testing.T, opts EncoderOptions, end bool, evs ...sluice.Event) string {
	t.Helper()
	var out bytes.Buffer
	enc := NewEncoder(&out, opts)
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	if end {
		if err := enc.End(); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Flush(); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

func usage(in, cacheRead, out int64) *sluice.Usage {
	u := &sluice.Usage{Input: sluice.ReportedCount(in), Output: sluice.ReportedCount(out)}
	if cacheRead >= 0 {
		u.CacheRead = sluice.ReportedCount(cacheRead)
	}
	return u
}

// lines joins wire events written one per line for readability.
func lines(s ...string) string {
	var b strings.Builder
	for _, l := range s {
		name, data, _ := strings.Cut(l, " ")
		b.WriteString("event: " + name + "\ndata: " + data + "\n\n")
	}
	return b.String()
}

func TestEncoderFromOtherProtocols(t *testing.T) {
	openai := &sluice.Extra{Protocol: "openai", Fields: json.RawMessage(`{"system_fingerprint":"fp"}`)}
	tests := []struct {
		name string
		opts EncoderOptions
		end  bool
		evs  []sluice.Event
		want string
	}{{
		name: "chat completion with a tool call and late usage",
		end:  true,
		evs: []sluice.Event{
			{Type: sluice.EventStart, ID: "chatcmpl-1", Model: "gpt-4o", Extra: openai},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Item: 0, Text: "Hi \"you\"\n"},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "call_1", Name: "get"},
			{Type: sluice.EventToolCall, Item: 1, Text: `{"a":`},
			{Type: sluice.EventToolCall, Item: 1, Text: `1}`},
			{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls, RawFinish: "tool_calls"},
			{Type: sluice.EventUsage, Usage: usage(10, 5, 7)},
			{Type: sluice.EventPassthrough, Name: "chat.completion.chunk", Raw: json.RawMessage(`{}`), Extra: &sluice.Extra{Protocol: "openai"}},
		},
		want: lines(
			`message_start {"type":"message_start","message":{"id":"chatcmpl-1","type":"message","role":"assistant","content":[],"model":"gpt-4o","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`ping {"type": "ping"}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi \"you\"\n"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`content_block_start {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_1","name":"get","input":{}}}`,
			`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":"}}`,
			`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}`,
			`content_block_stop {"type":"content_block_stop","index":1}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":10,"cache_read_input_tokens":5,"output_tokens":7}}`,
			`message_stop {"type":"message_stop"}`,
		),
	}, {
		name: "usage right after start lands in message_start",
		end:  true,
		evs: []sluice.Event{
			{Type: sluice.EventStart, ID: "r1", Model: "m"},
			{Type: sluice.EventUsage, Usage: usage(3, 2, 1)},
			{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Text: "x"},
			{Type: sluice.EventItemDone, Kind: sluice.ItemMessage},
			{Type: sluice.EventUsage, Usage: usage(3, 2, 9)},
			{Type: sluice.EventFinish, Finish: sluice.FinishLength, RawFinish: "length"},
		},
		want: lines(
			`message_start {"type":"message_start","message":{"id":"r1","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"cache_read_input_tokens":2,"output_tokens":1}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`ping {"type": "ping"}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":3,"cache_read_input_tokens":2,"output_tokens":9}}`,
			`message_stop {"type":"message_stop"}`,
		),
	}, {
		name: "foreign reasoning is unsigned thinking, foreign opaque data is dropped",
		end:  true,
		evs: []sluice.Event{
			{Type: sluice.EventStart, ID: "resp_1", Model: "o4"},
			{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning, ID: "rs_1"},
			{Type: sluice.EventReasoning, Item: 0, Text: "plan", Summary: true},
			{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueEncrypted, Text: "gAAAA"},
			{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
			{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemReasoning, ID: "rs_2"},
			{Type: sluice.EventReasoningData, Item: 1, Opaque: sluice.OpaqueEncrypted, Text: "gBBBB"},
			{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemReasoning},
			{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemMessage},
			{Type: sluice.EventRefusal, Item: 2, Text: "no"},
			{Type: sluice.EventItemStart, Item: 3, Kind: sluice.ItemOther, Name: "web_search_call"},
			{Type: sluice.EventFinish, Finish: sluice.FinishStop, RawFinish: "completed"},
		},
		want: lines(
			`message_start {"type":"message_start","message":{"id":"resp_1","type":"message","role":"assistant","content":[],"model":"o4","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
			`ping {"type": "ping"}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"plan"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`content_block_start {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
			`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"no"}}`,
			`content_block_stop {"type":"content_block_stop","index":1}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		),
	}, {
		name: "no start and no item starts",
		opts: EncoderOptions{ID: "msg_fixed", Model: "llama3"},
		end:  true,
		evs: []sluice.Event{
			{Type: sluice.EventText, Text: "a"},
			{Type: sluice.EventReasoningData, Item: 1, Opaque: sluice.OpaqueSignature, Text: "sig"},
			{Type: sluice.EventToolCall, Item: 2, Text: "{}"},
			{Type: sluice.EventText, Choice: 1, Text: "other choice"},
		},
		want: lines(
			`message_start {"type":"message_start","message":{"id":"msg_fixed","type":"message","role":"assistant","content":[],"model":"llama3","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`ping {"type": "ping"}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`content_block_start {"type":"content_block_start","index":1,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
			`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"signature_delta","signature":"sig"}}`,
			`content_block_stop {"type":"content_block_stop","index":1}`,
			`content_block_start {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"","name":"","input":{}}}`,
			`content_block_delta {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}`,
			`content_block_stop {"type":"content_block_stop","index":2}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		),
	}, {
		name: "an error ends the stream",
		end:  true, // End after the error writes nothing
		evs: []sluice.Event{
			{Type: sluice.EventStart, ID: "m", Model: "x"},
			{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
			{Type: sluice.EventText, Text: "part"},
			{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindTruncated, Provider: "openai", Message: "the stream ended before [DONE]"}},
			{Type: sluice.EventText, Text: "late"},
		},
		want: lines(
			`message_start {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","content":[],"model":"x","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`ping {"type": "ping"}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"part"}}`,
			`error {"type":"error","error":{"type":"api_error","message":"the stream ended before [DONE]"}}`,
		),
	}, {
		name: "an error before anything",
		evs: []sluice.Event{
			{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindRateLimit, Code: "rate_limit_exceeded", Message: "slow down"}},
		},
		want: lines(`error {"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`),
	}, {
		name: "an Anthropic error type survives",
		evs: []sluice.Event{
			{Type: sluice.EventError, Err: &sluice.Error{Kind: sluice.KindPermission, Code: "billing_error", Message: "pay"}},
		},
		want: lines(`error {"type":"error","error":{"type":"billing_error","message":"pay"}}`),
	}, {
		name: "empty stream",
		opts: EncoderOptions{ID: "msg_e", Model: "m"},
		end:  true,
		want: lines(
			`message_start {"type":"message_start","message":{"id":"msg_e","type":"message","role":"assistant","content":[],"model":"m","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := encode(t, tt.opts, tt.end, tt.evs...)
			if got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestEncoderPadding(t *testing.T) {
	got := encode(t, EncoderOptions{ID: "m", Model: "x", Pad: 4}, true, sluice.Event{Type: sluice.EventText, Text: "hi"})
	for _, ev := range wireEvents(t, []byte(got)) {
		if !strings.HasSuffix(ev.raw, " }") {
			t.Errorf("%s not padded: %q", ev.name, ev.raw)
		}
		if n := len(ev.raw) - len(strings.TrimRight(ev.raw[:len(ev.raw)-1], " ")) - 1; n < 1 || n > 4 {
			t.Errorf("%s padded with %d spaces", ev.name, n)
		}
	}
	if !strings.Contains(got, "data: {\"type\": \"ping\"}\n") {
		t.Errorf("ping padded:\n%s", got)
	}
}

func TestEncoderRandomID(t *testing.T) {
	got := encode(t, EncoderOptions{}, true)
	evs := wireEvents(t, []byte(got))
	id, _ := evs[0].data.(map[string]any)["message"].(map[string]any)["id"].(string)
	if !strings.HasPrefix(id, "msg_") || len(id) != 28 {
		t.Errorf("id = %q", id)
	}
}

func BenchmarkEncoderTextDelta(b *testing.B) {
	enc := NewEncoder(io.Discard, EncoderOptions{ID: "m", Model: "x"})
	ev := sluice.Event{Type: sluice.EventText, Text: "Hello, world! This is a token."}
	_ = enc.Encode(&ev)
	b.ReportAllocs()
	for b.Loop() {
		_ = enc.Encode(&ev)
		_ = enc.Flush()
	}
}

// BenchmarkRelay decodes and re-encodes a recorded stream, the same-protocol
// relay path, against a raw byte copy of the same stream.
func BenchmarkRelay(b *testing.B) {
	data := readFile(b, "tool_use.sse")
	b.Run("decode+encode", func(b *testing.B) {
		r := bytes.NewReader(data)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(data)
			d := NewDecoder(r)
			enc := NewEncoder(io.Discard, EncoderOptions{})
			for {
				ev, err := d.Next()
				if err != nil {
					break
				}
				_ = enc.Encode(&ev)
				_ = enc.Flush()
			}
			_ = enc.End()
			_ = enc.Flush()
		}
	})
	b.Run("copy", func(b *testing.B) {
		r := bytes.NewReader(data)
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			r.Reset(data)
			_, _ = io.Copy(io.Discard, r)
		}
	})
}
