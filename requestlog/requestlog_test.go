package requestlog

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

func entry(i int) Entry {
	return Entry{
		ID: fmt.Sprintf("r%d", i), Time: time.Date(2026, 1, 2, 3, 4, 5, i, time.UTC), API: "stream",
		Model: "sim/echo", Prompt: fmt.Sprintf("prompt %d", i), Text: "hello", Finish: sluice.FinishStop,
		Usage:   sluice.Usage{Input: sluice.ReportedCount(3), Output: sluice.EstimatedCount(5)},
		Metrics: sluice.Metrics{TTFT: 12 * time.Millisecond, TPS: 40, OutputTokens: 5, ITL: []time.Duration{time.Millisecond}},
	}
}

func TestStoreRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return Memory }},
		{"file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "sub", "requests.db") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Open(tt.path(t), Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for i := range 3 {
				s.Record(entry(i))
			}
			partial := entry(3)
			partial.Partial, partial.ErrorKind, partial.Error, partial.Finish = true, "server", "boom", sluice.FinishError
			s.Record(partial)
			if err := s.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			got, err := s.List(t.Context(), 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 2 || got[0].ID != "r3" || got[1].ID != "r2" {
				t.Fatalf("List(2) = %+v, want r3, r2", got)
			}
			g := got[0]
			if !g.Partial || g.ErrorKind != "server" || g.Error != "boom" || g.Finish != sluice.FinishError {
				t.Errorf("partial entry = %+v", g)
			}
			if g.Usage.Output != sluice.EstimatedCount(5) || g.Usage.Input != sluice.ReportedCount(3) {
				t.Errorf("usage = %+v", g.Usage)
			}
			if g.Metrics.TTFT != 12*time.Millisecond || g.Metrics.ITL != nil {
				t.Errorf("metrics = %+v (want TTFT 12ms and no ITL)", g.Metrics)
			}
			if !g.Time.Equal(partial.Time) {
				t.Errorf("time = %v, want %v", g.Time, partial.Time)
			}
		})
	}
}

func TestStorePersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Record(entry(1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s.Record(entry(2)) // after Close: dropped, not a panic
	if s.Dropped() != 1 {
		t.Errorf("Dropped = %d after a Record on a closed store, want 1", s.Dropped())
	}
	s, err = Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.List(context.Background(), 0)
	if err != nil || len(got) != 1 || got[0].ID != "r1" {
		t.Fatalf("after reopen: %+v, %v", got, err)
	}
}

func TestRecordNeverBlocks(t *testing.T) {
	s, err := Open(Memory, Options{Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// Far more than the queue holds: Record must return for each at once,
	// dropping what does not fit.
	for i := range 200 {
		s.Record(entry(i))
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(t.Context(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(got))+s.Dropped() != 200 {
		t.Errorf("stored %d + dropped %d != 200", len(got), s.Dropped())
	}
}

// A burst of streams ending together is written in batches, in the order
// the entries came, with a conversation saved in between kept in its place.
func TestBurstIsWrittenInOrder(t *testing.T) {
	s, err := Open(Memory, Options{Queue: 2048})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n = 3*maxBatch + 7
	for i := range n {
		s.Record(entry(i))
		if i == n/2 {
			s.SaveConversation(Conversation{ResponseID: "resp_1", Time: time.Now()})
		}
	}
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(t.Context(), 2*n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || s.Dropped() != 0 {
		t.Fatalf("stored %d, dropped %d, want %d stored", len(got), s.Dropped(), n)
	}
	for i, e := range got {
		if want := fmt.Sprintf("r%d", n-1-i); e.ID != want {
			t.Fatalf("entry %d is %s, want %s", i, e.ID, want)
		}
	}
	if _, ok, err := s.Conversation(t.Context(), "resp_1"); !ok || err != nil {
		t.Errorf("the conversation saved amid the burst: found %v, %v", ok, err)
	}
}

func TestOpenEmptyPath(t *testing.T) {
	if _, err := Open("", Options{}); err == nil {
		t.Fatal("Open(\"\") succeeded")
	}
}
