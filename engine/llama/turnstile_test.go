package llama

import (
	"context"
	"runtime"
	"slices"
	"testing"
)

// waitQueue waits until n goroutines are queued on t.
func waitQueue(t *turnstile, n int) {
	for {
		t.mu.Lock()
		l := len(t.queue)
		t.mu.Unlock()
		if l == n {
			return
		}
		runtime.Gosched()
	}
}

func TestTurnstileFIFO(t *testing.T) {
	var ts turnstile
	ctx := context.Background()
	if err := ts.acquire(ctx); err != nil {
		t.Fatal(err)
	}
	order := make(chan int, 3)
	for i := range 3 {
		go func() {
			ts.acquire(ctx)
			order <- i
			ts.release()
		}()
		waitQueue(&ts, i+1) // queue them in a known order
	}
	ts.release()
	got := []int{<-order, <-order, <-order}
	if !slices.Equal(got, []int{0, 1, 2}) {
		t.Errorf("turns taken in order %v", got)
	}
}

func TestTurnstileCancelWhileQueued(t *testing.T) {
	var ts turnstile
	ts.acquire(context.Background())
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- ts.acquire(ctx) }()
	waitQueue(&ts, 1)
	cancel()
	if err := <-done; err != context.Canceled {
		t.Fatalf("queued acquire returned %v", err)
	}
	waitQueue(&ts, 0)
	ts.release()
	// The turn is free again.
	if err := ts.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
}
