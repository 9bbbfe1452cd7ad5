package llama

import (
	"context"
	"sync"
)

// turnstile is a FIFO lock: waiters get it in arrival order, so sequences
// that take turns with it advance round-robin. sync.Mutex makes no such
// promise, and a fast sequence could re-take it ahead of a waiting one.
type turnstile struct {
	mu    sync.Mutex
	busy  bool
	queue []chan struct{}
}

// acquire waits for the turn or for ctx to end. A done ctx never gets the
// turn, so cancellation stops a sequence before its next step.
func (t *turnstile) acquire(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	if !t.busy {
		t.busy = true
		t.mu.Unlock()
		return nil
	}
	ch := make(chan struct{})
	t.queue = append(t.queue, ch)
	t.mu.Unlock()
	select {
	case <-ch:
		return nil
	case <-ctx.Done():
		t.mu.Lock()
		for i, c := range t.queue {
			if c == ch {
				t.queue = append(t.queue[:i], t.queue[i+1:]...)
				t.mu.Unlock()
				return ctx.Err()
			}
		}
		t.mu.Unlock()
		// The turn was handed over as ctx ended: pass it on.
		t.release()
		return ctx.Err()
	}
}

// release hands the turn to the longest waiter, or frees it.
func (t *turnstile) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.queue) == 0 {
		t.busy = false
		return
	}
	ch := t.queue[0]
	t.queue = t.queue[1:]
	close(ch)
}
