package bench

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice"
)

// fakeProvider streams Tokens text events Gap apart, keeping count of the
// streams open at once; FailEvery makes every n-th request a rate-limit
// error before the stream.
type fakeProvider struct {
	Tokens    int
	Gap       time.Duration
	FailEvery int

	calls, open, maxOpen atomic.Int64
}

func (p *fakeProvider) Stream(ctx context.Context, req *sluice.Request) (*sluice.Stream, error) {
	n := p.calls.Add(1)
	if p.FailEvery > 0 && n%int64(p.FailEvery) == 0 {
		return nil, &sluice.Error{Kind: sluice.KindRateLimit, Provider: "fake", Status: 429, Message: "slow down"}
	}
	open := p.open.Add(1)
	for {
		m := p.maxOpen.Load()
		if open <= m || p.maxOpen.CompareAndSwap(m, open) {
			break
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	d := &fakeDecoder{ctx: ctx, tokens: p.Tokens, gap: p.Gap, done: func() { p.open.Add(-1) }}
	return sluice.NewStream(ctx, sluice.StreamConfig{Provider: "fake", Model: req.Model, Decoder: d,
		Cancel: cancel, Start: time.Now(), Header: time.Now()}), nil
}

type fakeDecoder struct {
	ctx    context.Context
	tokens int
	gap    time.Duration
	sent   int
	done   func()
}

func (d *fakeDecoder) Next() (sluice.Event, error) {
	if d.sent == d.tokens {
		if d.done != nil {
			d.done()
			d.done = nil
		}
		return sluice.Event{}, io.EOF
	}
	if d.sent > 0 && d.gap > 0 {
		select {
		case <-time.After(d.gap):
		case <-d.ctx.Done():
			d.done()
			d.done = nil
			return sluice.Event{}, d.ctx.Err()
		}
	}
	d.sent++
	return sluice.Event{Type: sluice.EventText, Text: " word"}, nil
}
