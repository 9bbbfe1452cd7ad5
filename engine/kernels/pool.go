package kernels

import (
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Task is work split into rows: Run does rows lo ≤ r < hi. Run is called
// concurrently on disjoint ranges and must not retain the range.
type Task interface {
	Run(lo, hi int)
}

// Pool runs tasks on workers that live until [Pool.Close]. A model makes one
// and shares it among its sequences; [Pool.Run] calls are serialised.
//
// Waking a parked goroutine costs tens of microseconds, and a token takes a
// few dozen products separated by a few microseconds of serial work, so
// idle workers spin for a short while (yielding to the Go scheduler) before
// they park: during generation they stay awake, and between requests they
// cost nothing. The spins are kept short because on a shared machine a
// spinning thread takes the core from the one it waits for; measured on 2
// busy cores, a 200µs spin cost 40% more CPU per token than 30µs.
type Pool struct {
	mu      sync.Mutex // held for the duration of one Run
	workers int        // goroutines besides the caller

	task  Task
	n     int64
	grain int64
	next  atomic.Int64 // first row not yet claimed
	// state counts workers inside the current job; closedBit set means the
	// job accepts no more workers.
	state atomic.Int64
	gen   atomic.Uint64

	sleeping []atomic.Bool
	wake     []chan struct{}
	// waiting is set while the caller of Run sleeps on done for workers
	// still inside a closed job.
	waiting atomic.Bool
	done    chan struct{}
	quit    chan struct{}
	wg      sync.WaitGroup
	closed  bool
}

const closedBit = 1 << 62

// spinFor is how long an idle worker polls for work before parking, and
// waitSpin how long Run polls for workers finishing their last chunk before
// it sleeps.
const (
	spinFor  = 30 * time.Microsecond
	waitSpin = 10 * time.Microsecond
)

// NewPool starts a pool of n participants, the goroutine calling Run being
// one of them; n ≤ 0 means runtime.GOMAXPROCS(0).
func NewPool(n int) *Pool {
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &Pool{workers: n - 1, quit: make(chan struct{}), done: make(chan struct{}, 1)}
	p.state.Store(closedBit)
	p.sleeping = make([]atomic.Bool, p.workers)
	p.wake = make([]chan struct{}, p.workers)
	for i := range p.workers {
		p.wake[i] = make(chan struct{}, 1)
		p.wg.Add(1)
		go p.worker(i)
	}
	return p
}

// Size returns the number of participants, the caller of Run included.
func (p *Pool) Size() int { return p.workers + 1 }

// Run calls t.Run over rows [0, n) in chunks of grain rows (the last may be
// shorter), spread over the pool, and returns when all rows are done. The
// calling goroutine works too. Run must not be called after Close.
func (p *Pool) Run(t Task, n, grain int) {
	if grain <= 0 {
		grain = 1
	}
	if p.workers == 0 || n <= grain {
		t.Run(0, n)
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.task, p.n, p.grain = t, int64(n), int64(grain)
	p.next.Store(0)
	p.state.Store(0) // open: workers may join from here on
	p.gen.Add(1)
	for i := range p.sleeping {
		if p.sleeping[i].Load() && p.sleeping[i].CompareAndSwap(true, false) {
			p.wake[i] <- struct{}{}
		}
	}
	p.work()
	// Close the job, then wait only for workers already inside it; one that
	// wakes late finds it closed and goes back to waiting without touching
	// the count.
	p.state.Add(closedBit)
	p.awaitWorkers()
	p.task = nil
}

// awaitWorkers waits until no worker is inside the closed job. It spins
// briefly, since a worker usually has less than a chunk left, then sleeps:
// on a machine with more runnable threads than cores the worker may have
// been preempted, and a spinning caller would only keep it off the core.
func (p *Pool) awaitWorkers() {
	start := time.Now()
	for i := 0; p.state.Load() != closedBit; i++ {
		if i%64 != 63 {
			continue
		}
		if time.Since(start) < waitSpin {
			runtime.Gosched()
			continue
		}
		p.waiting.Store(true)
		if p.state.Load() == closedBit {
			if !p.waiting.CompareAndSwap(true, false) {
				<-p.done // a worker saw the flag and signalled: consume it
			}
			return
		}
		<-p.done
		return
	}
}

// work claims and runs chunks until none are left.
func (p *Pool) work() {
	for {
		lo := p.next.Add(p.grain) - p.grain
		if lo >= p.n {
			return
		}
		p.task.Run(int(lo), int(min(lo+p.grain, p.n)))
	}
}

func (p *Pool) worker(i int) {
	defer p.wg.Done()
	seen := p.gen.Load()
	for {
		if !p.await(i, seen) {
			return
		}
		seen = p.gen.Load()
		if p.join() {
			p.work()
			// The last worker out of a closed job wakes a sleeping caller.
			if p.state.Add(-1) == closedBit && p.waiting.Load() && p.waiting.CompareAndSwap(true, false) {
				p.done <- struct{}{}
			}
		}
	}
}

// join enters the current job unless it is closed. A worker must never
// touch the state of a closed job: the next Run may be resetting it.
func (p *Pool) join() bool {
	for {
		s := p.state.Load()
		if s&closedBit != 0 {
			return false
		}
		if p.state.CompareAndSwap(s, s+1) {
			return true
		}
	}
}

// await returns when the generation moves past seen (true) or the pool
// closes (false): it spins for spinFor, then parks.
func (p *Pool) await(i int, seen uint64) bool {
	start := time.Now()
	for n := 0; ; n++ {
		if p.gen.Load() != seen {
			return true
		}
		if n%64 == 63 {
			runtime.Gosched()
			if time.Since(start) > spinFor {
				break
			}
		}
	}
	p.sleeping[i].Store(true)
	// Re-check after announcing sleep, so a Run that missed the flag is not
	// missed here.
	if p.gen.Load() != seen {
		if !p.sleeping[i].CompareAndSwap(true, false) {
			<-p.wake[i] // Run saw the flag and sent a wake-up: consume it
		}
		return true
	}
	select {
	case <-p.wake[i]:
		return true
	case <-p.quit:
		return false
	}
}

// Close stops the workers and waits for them. It is idempotent; Run must
// not be called concurrently with or after Close.
func (p *Pool) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.closed = true
	close(p.quit)
	p.wg.Wait()
}
