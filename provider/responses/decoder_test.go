package responses

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// decodeAll decodes a whole stream.
func decodeAll(r io.Reader) ([]sluice.Event, error) {
	d := NewDecoder(r)
	var evs []sluice.Event
	for {
		ev, err := d.Next()
		if errors.Is(err, io.EOF) {
			return evs, nil
		}
		if err != nil {
			return evs, err
		}
		ev.Raw = nil
		evs = append(evs, ev)
	}
}

// transcript is a one-line-per-event summary of a decode.
func transcript(evs []sluice.Event, err error) string {
	var b strings.Builder
	for _, ev := range evs {
		fmt.Fprintf(&b, "%s item=%d kind=%s id=%s call=%s name=%s text=%q summary=%v opaque=%s finish=%s/%s",
			ev.Type, ev.Item, ev.Kind, ev.ID, ev.CallID, ev.Name, ev.Text, ev.Summary, ev.Opaque, ev.Finish, ev.RawFinish)
		if ev.Usage != nil {
			u := ev.Usage
			fmt.Fprintf(&b, " usage=in:%d cached:%d out:%d reasoning:%d", u.Input.N, u.CacheRead.N, u.Output.N, u.Reasoning.N)
		}
		b.WriteByte('\n')
	}
	if err != nil {
		e := sluice.AsError(err)
		fmt.Fprintf(&b, "error %s %s %q retry=%v\n", e.Kind, e.Code, e.Message, e.RetryAfter)
	}
	return b.String()
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestDecoder(t *testing.T) {
	tests := []struct {
		file string
		want []string // lines the transcript must hold, in order
	}{
		{"text.sse", []string{
			"start item=0 kind=unknown id=resp_67c9 call= name= text=\"\"",
			"item_start item=0 kind=message id=msg_67c9",
			`text item=0 kind=unknown id= call= name= text="Hi"`,
			`text item=0 kind=unknown id= call= name= text=" there!"`,
			"item_done item=0 kind=message",
			"usage=in:32 cached:5 out:11 reasoning:0",
			"finish=stop/completed",
		}},
		{"call.sse", []string{
			"item_start item=0 kind=reasoning id=rs_1",
			`reasoning item=0 kind=unknown id= call= name= text="Need weather." summary=true`,
			`reasoning_data item=0 kind=unknown id= call= name= text="gAAAAB-enc" summary=false opaque=encrypted`,
			"item_done item=0 kind=reasoning",
			"item_start item=1 kind=tool_call id=fc_0775 call=call_2FQd name=get_weather",
			`tool_call item=1 kind=unknown id= call= name= text="{\""`,
			`tool_call item=1 kind=unknown id= call= name= text="city\":\"Beijing\"}"`,
			"item_done item=1 kind=tool_call",
			"passthrough item=0 kind=unknown id= call= name=response.future_event",
			"usage=in:36 cached:64 out:30 reasoning:12",
			"finish=tool_calls/completed",
		}},
		{"error.sse", []string{"error permission insufficient_quota"}},
		{"ratelimit.sse", []string{`error rate_limit rate_limit_exceeded "Rate limit reached for gpt-5. Please try again in 1.5s." retry=1.5s`}},
		{"incomplete.sse", []string{`text item=0 kind=unknown id= call= name= text="Cut he"`, "finish=length/max_output_tokens"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			got := transcript(decodeAll(bytes.NewReader(readFile(t, tt.file))))
			rest := got
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing (in order) %q in:\n%s", w, got)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// The same stream cut anywhere decodes the same.
func TestDecoderSplit(t *testing.T) {
	for _, name := range []string{"text.sse", "call.sse", "error.sse"} {
		data := readFile(t, name)
		want := transcript(decodeAll(bytes.NewReader(data)))
		for i := range data {
			got := transcript(decodeAll(io.MultiReader(bytes.NewReader(data[:i]), bytes.NewReader(data[i:]))))
			if got != want {
				t.Fatalf("%s cut at %d:\n%s\nwant:\n%s", name, i, got, want)
			}
		}
	}
}

func TestDecoderFaults(t *testing.T) {
	text := readFile(t, "text.sse")
	cut := text[:bytes.Index(text, []byte("event: response.completed"))]
	tests := []struct {
		name string
		in   string
		kind sluice.Kind
	}{
		{"truncated", string(cut), sluice.KindTruncated},
		{"malformed", "event: response.created\ndata: {\"type\":\n\n", sluice.KindProtocol},
		{"delta before its item", "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"output_index\":3,\"delta\":\"x\"}\n\n", sluice.KindProtocol},
		{"flat error", "event: error\ndata: {\"type\":\"error\",\"code\":\"server_is_overloaded\",\"message\":\"busy\",\"sequence_number\":1}\n\n", sluice.KindOverloaded},
		{"null code", `data: {"type":"error","error":{"type":"server_error","code":null,"message":"Sorry"}}` + "\n\n", sluice.KindServer},
		{"context", `data: {"type":"response.failed","response":{"status":"failed","error":{"code":"context_length_exceeded","message":"too long"}}}` + "\n\n", sluice.KindBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeAll(strings.NewReader(tt.in))
			if e := sluice.AsError(err); err == nil || e.Kind != tt.kind {
				t.Fatalf("err %v, want kind %s", err, tt.kind)
			}
		})
	}
}

func TestRetryAfterIn(t *testing.T) {
	for msg, want := range map[string]time.Duration{
		"Please try again in 1.5s.":    1500 * time.Millisecond,
		"please try again in 20ms":     20 * time.Millisecond,
		"Try again in 3 seconds":       3 * time.Second,
		"try again later":              0,
		"Please try again in 0s.":      0,
		"Please try again in 1e9s now": 0,
	} {
		if got := retryAfterIn(msg); got != want {
			t.Errorf("%q: %v, want %v", msg, got, want)
		}
	}
}
