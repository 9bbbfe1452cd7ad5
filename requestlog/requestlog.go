// Package requestlog stores every response sluice serves (finished or
// partial) in an embedded SQLite database, through the pure-Go
// modernc.org/sqlite driver, so no cgo and no database server are needed.
// It also keeps the Responses API conversations a later request may continue
// with previous_response_id ([Conversation]).
//
// Writing never blocks a stream: [Store.Record] and [Store.SaveConversation]
// only queue what they are given, and one goroutine writes queued items in
// the order they came. When the queue is full the item is dropped and counted
// ([Store.Dropped]) rather than slowing the stream that produced it.
// [Store.Close] drains the queue.
//
// [Open] upgrades a database written by an older sluice in place (see
// schema.go); one written by a newer sluice is refused.
package requestlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sluicehq/sluice"
)

// Memory is the path of a database that lives in memory and is gone when the
// Store closes, for tests and for a server that should keep nothing.
const Memory = ":memory:"

// Entry is one stored response.
type Entry struct {
	// ID is the request id the server logged and sent as X-Request-Id.
	ID   string    `json:"id"`
	Time time.Time `json:"time"`
	// API is the frontend that served it: "stream", "chat.completions" or
	// "messages".
	API string `json:"api"`
	// Model is the "provider/model" name as requested (an alias resolved).
	Model  string `json:"model"`
	System string `json:"system,omitempty"`
	// Prompt is the last user message's text.
	Prompt string `json:"prompt"`
	// Text is the response text, partial when Error is set.
	Text   string              `json:"text"`
	Finish sluice.FinishReason `json:"finish_reason"`
	Usage  sluice.Usage        `json:"usage"`
	// Metrics are stored without the per-token gaps (ITL), which the
	// Prometheus histograms already hold.
	Metrics sluice.Metrics `json:"metrics"`
	Partial bool           `json:"partial"`
	// ErrorKind and Error describe what ended a partial response.
	ErrorKind string `json:"error_kind,omitempty"`
	Error     string `json:"error,omitempty"`
}

// Options tune a Store. The zero value is the documented default.
type Options struct {
	// Queue is how many entries may wait to be written; 0 means 1024.
	Queue int
	// OnError is called (from the writer goroutine) when an insert fails;
	// nil ignores such failures, which only lose log entries.
	OnError func(error)
}

// Store is a request log. Its methods are safe for concurrent use.
type Store struct {
	db *sql.DB
	// insertEntry is the prepared INSERT of an Entry: SQLite would parse
	// and plan the statement again for every response otherwise.
	insertEntry *sql.Stmt
	queue       chan item
	done        chan struct{}
	onError     func(error)
	dropped     atomic.Int64

	mu     sync.RWMutex // guards closed against Record racing Close
	closed bool

	// pending holds the conversations queued and not yet written, by
	// response id, so that [Store.Conversation] sees them.
	pendingMu sync.Mutex
	pending   map[string]*Conversation
}

// item is one queued entry or conversation, or a marker whose channel the
// writer closes when it reaches it.
type item struct {
	e    Entry
	conv *Conversation
	sync chan struct{}
}

// Open opens (creating if needed) the database at path, or an in-memory one
// for [Memory], and starts its writer. The directory of path is created. A
// database written by an older sluice is upgraded in place; one written by
// a newer sluice is refused with an error that says so.
func Open(path string, opts Options) (*Store, error) {
	dsn := "file::memory:"
	if path != Memory {
		if path == "" {
			return nil, errors.New("requestlog: empty database path (use requestlog.Memory to keep nothing on disk)")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("requestlog: %w", err)
		}
		dsn = "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(NORMAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("requestlog: open %s: %w", path, err)
	}
	// Each connection to ":memory:" is its own database, and one writer is
	// all SQLite allows anyway: one connection serves both.
	db.SetMaxOpenConns(1)
	if err := migrate(db); err != nil {
		db.Close()
		return nil, fmt.Errorf("requestlog: %s: %w", path, err)
	}
	ins, err := db.Prepare(`INSERT INTO requests
		(id, time, api, model, system, prompt, text, finish, usage, metrics, partial, error_kind, error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("requestlog: %s: %w", path, err)
	}
	n := opts.Queue
	if n <= 0 {
		n = 1024
	}
	s := &Store{db: db, insertEntry: ins, queue: make(chan item, n), done: make(chan struct{}), onError: opts.OnError,
		pending: map[string]*Conversation{}}
	go s.write()
	return s, nil
}

// Record queues e to be written and returns at once. It never blocks: when
// the queue is full, or the Store is closed, e is dropped and counted.
func (s *Store) Record(e Entry) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped.Add(1)
		return
	}
	select {
	case s.queue <- item{e: e}:
	default:
		s.dropped.Add(1)
	}
}

// Dropped returns how many entries and conversations were dropped because
// the queue was full.
func (s *Store) Dropped() int64 { return s.dropped.Load() }

// maxBatch bounds how many queued items the writer takes at once.
const maxBatch = 256

// write writes queued items in order until the queue is closed. What is
// waiting when it wakes is written together: consecutive entries in one
// transaction, so a burst of streams ending together costs one commit.
func (s *Store) write() {
	defer close(s.done)
	var batch []item
	for first := range s.queue {
		batch = append(batch[:0], first)
	more:
		for len(batch) < maxBatch {
			select {
			case it, ok := <-s.queue:
				if !ok {
					break more
				}
				batch = append(batch, it)
			default:
				break more
			}
		}
		s.writeBatch(batch)
		clear(batch) // drop the entries' texts until the next batch
	}
}

// writeBatch writes items in order.
func (s *Store) writeBatch(items []item) {
	for i := 0; i < len(items); {
		switch it := items[i]; {
		case it.sync != nil:
			close(it.sync)
			i++
		case it.conv != nil:
			err := s.insertConversation(it.conv)
			// Written or failed, it leaves the pending set only now, so a
			// lookup finds it in one place or the other.
			s.pendingMu.Lock()
			if s.pending[it.conv.ResponseID] == it.conv {
				delete(s.pending, it.conv.ResponseID)
			}
			s.pendingMu.Unlock()
			s.report(err)
			i++
		default:
			j := i + 1
			for j < len(items) && items[j].sync == nil && items[j].conv == nil {
				j++
			}
			s.insertEntries(items[i:j])
			i = j
		}
	}
}

// insertEntries writes entries, more than one in a transaction.
func (s *Store) insertEntries(entries []item) {
	if len(entries) == 1 {
		s.report(s.insert(s.insertEntry, entries[0].e))
		return
	}
	tx, err := s.db.Begin()
	if err != nil {
		// Without a transaction, one at a time: an entry is lost only if
		// its own insert fails.
		s.report(fmt.Errorf("requestlog: %d entries written one by one: %w", len(entries), err))
		for _, it := range entries {
			s.report(s.insert(s.insertEntry, it.e))
		}
		return
	}
	stmt := tx.Stmt(s.insertEntry)
	for _, it := range entries {
		s.report(s.insert(stmt, it.e))
	}
	if err := tx.Commit(); err != nil {
		s.report(fmt.Errorf("requestlog: %d entries: %w", len(entries), err))
	}
}

// report passes a failed write to Options.OnError.
func (s *Store) report(err error) {
	if err != nil && s.onError != nil {
		s.onError(err)
	}
}

func (s *Store) insert(stmt *sql.Stmt, e Entry) error {
	// Their own encoders, called directly: json.Marshal would check and
	// compact what they return, a third of an entry's cost.
	usage, err := e.Usage.MarshalJSON()
	if err != nil {
		return err
	}
	m := e.Metrics
	m.ITL = nil
	metrics, err := m.MarshalJSON()
	if err != nil {
		return err
	}
	_, err = stmt.Exec(e.ID, e.Time.UTC().Format(time.RFC3339Nano), e.API, e.Model, e.System, e.Prompt, e.Text,
		string(e.Finish), string(usage), string(metrics), e.Partial, e.ErrorKind, e.Error)
	if err != nil {
		return fmt.Errorf("requestlog: insert %s: %w", e.ID, err)
	}
	return nil
}

// List returns up to limit entries, newest first. Entries still queued are
// not included.
func (s *Store) List(ctx context.Context, limit int) ([]Entry, error) {
	if limit <= 0 {
		limit = 50
	}
	rows, err := s.db.QueryContext(ctx, `SELECT id, time, api, model, system, prompt, text, finish,
		usage, metrics, partial, error_kind, error FROM requests ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("requestlog: list: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var t, finish, usage, metrics string
		if err := rows.Scan(&e.ID, &t, &e.API, &e.Model, &e.System, &e.Prompt, &e.Text, &finish,
			&usage, &metrics, &e.Partial, &e.ErrorKind, &e.Error); err != nil {
			return nil, fmt.Errorf("requestlog: list: %w", err)
		}
		e.Time, _ = time.Parse(time.RFC3339Nano, t)
		e.Finish = sluice.FinishReason(finish)
		if err := json.Unmarshal([]byte(usage), &e.Usage); err != nil {
			return nil, fmt.Errorf("requestlog: entry %s: usage: %w", e.ID, err)
		}
		if err := json.Unmarshal([]byte(metrics), &e.Metrics); err != nil {
			return nil, fmt.Errorf("requestlog: entry %s: metrics: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Sync waits until every entry queued before the call has been written, or
// ctx ends. Tests and a shutting-down server use it to observe the writes.
func (s *Store) Sync(ctx context.Context) error {
	done := make(chan struct{})
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return nil
	}
	select {
	case s.queue <- item{sync: done}:
		s.mu.RUnlock()
	case <-ctx.Done():
		s.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops accepting entries and conversations, writes the queued ones
// and closes the database.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.queue)
	s.mu.Unlock()
	<-s.done
	s.insertEntry.Close()
	return s.db.Close()
}
