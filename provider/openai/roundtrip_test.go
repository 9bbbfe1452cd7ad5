package openai

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// relay decodes data and encodes every event back through an Encoder, as a
// same-protocol relay does: a decoder error becomes an EventError, a clean
// end End.
func relay(t testing.TB, data []byte, opts EncoderOptions) (out []byte, derr error) {
	t.Helper()
	var buf bytes.Buffer
	enc := NewEncoder(&buf, opts)
	dec := NewDecoder(bytes.NewReader(data))
	for {
		ev, err := dec.Next()
		if errors.Is(err, io.EOF) {
			if err := enc.End(); err != nil {
				t.Fatal(err)
			}
			break
		}
		if err != nil {
			derr = err
			if err := enc.Encode(&sluice.Event{Type: sluice.EventError, Err: sluice.AsError(err)}); err != nil {
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
	return buf.Bytes(), derr
}

// TestRoundTrip is the lossless relay test: every recorded stream decoded
// into events and encoded back through this protocol gives the same SSE
// events with the same JSON, field order and whitespace aside, except the
// fields in ignoredFields. A stream that fails ends with our error chunk in
// place of whatever the server sent, with the same message; a truncated
// stream gets one where it had none.
func TestRoundTrip(t *testing.T) {
	for _, name := range streamFiles(t) {
		t.Run(strings.TrimSuffix(name, ".sse"), func(t *testing.T) {
			data := readFile(t, name)
			out, derr := relay(t, data, EncoderOptions{IncludeUsage: true})
			want, got := wireEvents(t, data), wireEvents(t, out)
			if derr != nil {
				e := sluice.AsError(derr)
				switch e.Kind {
				case sluice.KindTruncated, sluice.KindProtocol:
				default:
					// The server's error event and anything after it.
					for i, ev := range want {
						if ev.Type == "error" || strings.Contains(ev.Data, `"error"`) {
							want = want[:i]
							break
						}
					}
				}
				if len(got) == 0 {
					t.Fatal("nothing written")
				}
				last := got[len(got)-1]
				got = got[:len(got)-1]
				msg, _ := jsonwire.Lookup([]byte(last.Data), "error")
				if m, _ := jsonwire.Lookup(msg, "message"); !jsonwire.StringEquals(m, e.Message) {
					t.Errorf("error chunk %s does not carry the message %q", last.Data, e.Message)
				}
				if name == "malformed.sse" {
					want = want[:len(want)-1] // the chunk that did not parse
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%d events, want %d:\n%s", len(got), len(want), out)
			}
			for i := range want {
				if got[i].Type != want[i].Type || !jsonEqual(t, got[i].Data, want[i].Data) {
					t.Errorf("event %d:\n got %s %s\nwant %s %s", i, got[i].Type, got[i].Data, want[i].Type, want[i].Data)
				}
			}
		})
	}
}

// TestRoundTripRestamp relays with the server's own id, model and created:
// every chunk, including those passed through whole, carries them.
func TestRoundTripRestamp(t *testing.T) {
	for _, name := range []string{"text_2024.sse", "azure.sse", "ollama_old.sse", "n3.sse"} {
		out, err := relay(t, readFile(t, name), EncoderOptions{IncludeUsage: true, ID: "chatcmpl-sluice", Model: "openai/gpt-4o", Created: 42})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range wireEvents(t, out) {
			if ev.Data == "[DONE]" {
				continue
			}
			for key, want := range map[string]string{"id": `"chatcmpl-sluice"`, "model": `"openai/gpt-4o"`, "created": "42"} {
				if v, _ := jsonwire.Lookup([]byte(ev.Data), key); string(v) != want {
					t.Errorf("%s: %s = %s, want %s in %s", name, key, v, want, ev.Data)
				}
			}
		}
	}
}

// TestRoundTripNoUsage relays to a client that did not ask for usage: no
// usage object and no usage chunk reach it.
func TestRoundTripNoUsage(t *testing.T) {
	for _, name := range []string{"text_2024.sse", "llamacpp.sse", "vllm_continuous_usage.sse", "together.sse"} {
		out, err := relay(t, readFile(t, name), EncoderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range wireEvents(t, out) {
			if u, ok := jsonwire.Lookup([]byte(ev.Data), "usage"); ok && !jsonwire.IsNull(u) {
				t.Errorf("%s: usage written: %s", name, ev.Data)
			}
			if c, ok := jsonwire.Lookup([]byte(ev.Data), "choices"); ok && emptyArray(c) {
				t.Errorf("%s: an empty chunk written: %s", name, ev.Data)
			}
		}
	}
}
