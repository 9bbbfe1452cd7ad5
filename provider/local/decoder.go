package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/engine/llama"
)

// decoder is the [sluice.Decoder] of a local generation: the generating
// goroutine sends events on a channel and Next receives them. It is also
// the stream's Body, whose Close waits for that goroutine to end.
type decoder struct {
	ctx    context.Context
	model  string
	events chan sluice.Event
	err    error // set before events is closed
	done   chan struct{}
}

func newDecoder(ctx context.Context, model string) *decoder {
	// A few events of slack let generation run a token ahead of a reader
	// that is busy writing the previous one.
	return &decoder{ctx: ctx, model: model, events: make(chan sluice.Event, 8), done: make(chan struct{})}
}

// Next returns the next event, io.EOF after the finish event, or the error
// that stopped generation.
func (d *decoder) Next() (sluice.Event, error) {
	ev, ok := <-d.events
	if !ok {
		if d.err != nil {
			return sluice.Event{}, d.err
		}
		return sluice.Event{}, io.EOF
	}
	return ev, nil
}

// Close waits for the generating goroutine, which the stream's Cancel has
// told to stop; it stops before its next token.
func (d *decoder) Close() error {
	<-d.done
	return nil
}

// send hands an event to Next, or gives up when the stream is cancelled.
func (d *decoder) send(ev sluice.Event) error {
	select {
	case d.events <- ev:
		return nil
	case <-d.ctx.Done():
		return d.ctx.Err()
	}
}

// run generates and sends the events of one response: start, a message
// item with its text, usage and finish.
func (d *decoder) run(m *llama.Model, prompt []int, opts llama.GenerateOptions) {
	defer close(d.done)
	defer close(d.events)
	var id [12]byte
	rand.Read(id[:])
	if d.err = d.send(sluice.Event{Type: sluice.EventStart, ID: "local-" + hex.EncodeToString(id[:]), Model: d.model}); d.err != nil {
		return
	}
	if d.err = d.send(sluice.Event{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemMessage}); d.err != nil {
		return
	}
	res, err := m.Generate(d.ctx, prompt, opts, func(p llama.Piece) error {
		return d.send(sluice.Event{Type: sluice.EventText, Item: 0, Text: p.Text})
	})
	if err != nil {
		d.err = err
		return
	}
	finish := sluice.FinishStop
	if res.Finish == llama.FinishLength {
		finish = sluice.FinishLength
	}
	usage := &sluice.Usage{Input: sluice.ReportedCount(int64(res.PromptTokens)), Output: sluice.ReportedCount(int64(res.OutputTokens))}
	for _, ev := range []sluice.Event{
		{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemMessage},
		{Type: sluice.EventUsage, Usage: usage},
		{Type: sluice.EventFinish, Finish: finish, RawFinish: string(res.Finish)},
	} {
		if d.err = d.send(ev); d.err != nil {
			return
		}
	}
}
