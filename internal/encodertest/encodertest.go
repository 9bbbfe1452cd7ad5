// Package encodertest checks what every protocol encoder promises a
// gateway: that a stream waiting for its provider holds no buffer. It is
// apart from providertest, which runs the simulator and so cannot be
// imported by the packages the simulator is built on.
package encodertest

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

// HoldsNoBufferAfterFlush encodes a short message with enc, flushing after
// every event and after End, and fails t whenever held reports a buffer
// kept past a Flush (docs/benchmarks.md, memory per open stream). out is
// what enc writes to; the message's text must reach it.
func HoldsNoBufferAfterFlush(t testing.TB, enc sluice.Encoder, held func() bool, out *strings.Builder) {
	t.Helper()
	for _, ev := range []sluice.Event{
		{Type: sluice.EventStart, ID: "r1", Model: "m"},
		{Type: sluice.EventItemStart, Kind: sluice.ItemMessage},
		{Type: sluice.EventText, Text: "Hello"},
		{Type: sluice.EventItemDone, Kind: sluice.ItemMessage},
		{Type: sluice.EventFinish, Finish: sluice.FinishStop},
	} {
		if err := enc.Encode(&ev); err != nil {
			t.Fatal(err)
		}
		if err := enc.Flush(); err != nil {
			t.Fatal(err)
		}
		if held() {
			t.Errorf("after %s: the encoder kept a buffer past Flush", ev.Type)
		}
	}
	if err := enc.End(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Flush(); err != nil || held() {
		t.Errorf("after End and Flush: error %v, buffer held %v", err, held())
	}
	if !strings.Contains(out.String(), "Hello") {
		t.Fatalf("output lacks the text:\n%s", out.String())
	}
}
