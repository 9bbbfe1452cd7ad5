package server

import (
	"context"
	"io"
	"testing"
	"testing/synctest"
	"time"

	"github.com/sluicehq/sluice"
)

// pacedDecoder yields its events with a pause before each, then io.EOF
// after a last pause.
type pacedDecoder struct {
	events []sluice.Event
	gap    time.Duration
	tail   time.Duration
}

func (d *pacedDecoder) Next() (sluice.Event, error) {
	if len(d.events) == 0 {
		time.Sleep(d.tail)
		return sluice.Event{}, io.EOF
	}
	time.Sleep(d.gap)
	ev := d.events[0]
	d.events = d.events[1:]
	return ev, nil
}

// beatRecorder is a frontend that records when heartbeats are written.
type beatRecorder struct {
	start time.Time
	beats []time.Duration
}

func (f *beatRecorder) Encode(*sluice.Event, uint64) error { return nil }
func (f *beatRecorder) Heartbeat() error {
	f.beats = append(f.beats, time.Since(f.start))
	return nil
}
func (f *beatRecorder) Finish(*sluice.Result, uint64) error              { return nil }
func (f *beatRecorder) Fail(*sluice.Result, *sluice.Error, uint64) error { return nil }
func (f *beatRecorder) Flush() error                                     { return nil }

// A stream that writes more often than the heartbeat interval gets no
// heartbeat; once it goes quiet, one comes an interval after its last
// event, and then one every interval.
func TestHeartbeatOnlyWhileIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var evs []sluice.Event
		for range 10 {
			evs = append(evs, sluice.Event{Type: sluice.EventText, Text: "x"})
		}
		// Ten events 10 ms apart (the last at 100 ms), then 65 ms of quiet.
		dec := &pacedDecoder{events: evs, gap: 10 * time.Millisecond, tail: 65 * time.Millisecond}
		fe := &beatRecorder{start: time.Now()}
		st := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "p", Decoder: dec})
		rl := &relay{enc: fe, heartbeat: 25 * time.Millisecond, scrub: func(e *sluice.Error) *sluice.Error { return e }}
		rl.run(context.Background(), st)
		want := []time.Duration{125 * time.Millisecond, 150 * time.Millisecond}
		if len(fe.beats) != len(want) || fe.beats[0] != want[0] || fe.beats[1] != want[1] {
			t.Errorf("heartbeats at %v, want %v", fe.beats, want)
		}
	})
}
