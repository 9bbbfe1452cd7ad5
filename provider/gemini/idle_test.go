package gemini

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

// The encoder builds each payload in a buffer borrowed from bufpool and
// gives it back at Flush, so a stream waiting for its provider holds none
// (docs/benchmarks.md, memory per open stream).
func TestEncoderHoldsNoBufferAfterFlush(t *testing.T) {
	var out strings.Builder
	e := NewEncoder(&out, EncoderOptions{})
	for _, ev := range []sluice.Event{
		{Type: sluice.EventStart, ID: "r1", Model: "m"},
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Text: "Hello"},
		{Type: sluice.EventItemDone, Kind: sluice.ItemMessage},
		{Type: sluice.EventFinish, Finish: sluice.FinishStop},
	} {
		if err := e.Encode(&ev); err != nil {
			t.Fatal(err)
		}
		if err := e.Flush(); err != nil {
			t.Fatal(err)
		}
		if e.buf.Held() {
			t.Errorf("after %s: the encoder kept a buffer past Flush", ev.Type)
		}
	}
	if err := e.End(); err != nil {
		t.Fatal(err)
	}
	if err := e.Flush(); err != nil || e.buf.Held() {
		t.Errorf("after End and Flush: error %v, buffer held %v", err, e.buf.Held())
	}
	if !strings.Contains(out.String(), "Hello") {
		t.Fatalf("output lacks the text:\n%s", out.String())
	}
}
