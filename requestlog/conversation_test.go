package requestlog

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// turn returns the messages of one turn: a user message and the assistant's
// answer with opaque reasoning data, which must come back byte for byte.
func turn(i int) []sluice.Message {
	return []sluice.Message{
		sluice.UserMessage(fmt.Sprintf("question %d", i)),
		{Role: sluice.RoleAssistant, Content: []sluice.Part{
			{Type: sluice.PartReasoning, Text: "thinking", Opaque: []sluice.Opaque{{Provider: "anthropic", Kind: sluice.OpaqueSignature, Data: fmt.Sprintf("sig-%d==", i)}}},
			{Type: sluice.PartToolCall, CallID: fmt.Sprintf("call_%d.sl1abc", i), Name: "shell", Arguments: `{"command":"echo hi"}`},
		}},
	}
}

// holdWriter keeps the Store's one connection busy, so the writer cannot
// write until the returned func is called: what is saved meanwhile stays
// queued.
func holdWriter(t *testing.T, s *Store) func() {
	t.Helper()
	tx, err := s.db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	return func() { tx.Rollback() }
}

// A chain of turns saved with Previous links reads back as one whole
// conversation, while queued, once written and after a reopen.
func TestConversationChain(t *testing.T) {
	for _, tt := range []struct {
		name string
		path func(t *testing.T) string
	}{
		{"memory", func(*testing.T) string { return Memory }},
		{"file", func(t *testing.T) string { return filepath.Join(t.TempDir(), "requests.db") }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path(t)
			s, err := Open(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer func() { s.Close() }()
			var want []sluice.Message
			release := holdWriter(t, s)
			prev := ""
			for i := range 3 {
				c := Conversation{ResponseID: fmt.Sprintf("resp_%d", i), Previous: prev, Time: time.Now(),
					System: fmt.Sprintf("system %d", i), Messages: turn(i)}
				if !s.SaveConversation(c) {
					t.Fatalf("turn %d dropped", i)
				}
				prev = c.ResponseID
				want = append(want, turn(i)...)
			}
			check := func(when string) {
				t.Helper()
				got, ok, err := s.Conversation(t.Context(), "resp_2")
				if err != nil || !ok {
					t.Fatalf("%s: Conversation = %v, %v", when, ok, err)
				}
				if got.ResponseID != "resp_2" || got.System != "system 2" || got.Previous != "" || !reflect.DeepEqual(got.Messages, want) {
					t.Fatalf("%s: got %+v\nwant messages %+v", when, got, want)
				}
				mid, ok, err := s.Conversation(t.Context(), "resp_1")
				if err != nil || !ok || !reflect.DeepEqual(mid.Messages, want[:4]) || mid.System != "system 1" {
					t.Fatalf("%s: resp_1 = %+v %v %v", when, mid, ok, err)
				}
			}
			// The writer is held: every turn is still queued.
			check("queued")
			release()
			if err := s.Sync(t.Context()); err != nil {
				t.Fatal(err)
			}
			check("written")
			if path == Memory {
				return
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if s, err = Open(path, Options{}); err != nil {
				t.Fatal(err)
			}
			check("reopened")
		})
	}
}

// A turn written while the one it continues is still queued reads back
// whole: the walk goes from the queue to the database.
func TestConversationQueuedOnWritten(t *testing.T) {
	s, err := Open(Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SaveConversation(Conversation{ResponseID: "a", Messages: turn(0)})
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	release := holdWriter(t, s)
	s.SaveConversation(Conversation{ResponseID: "b", Previous: "a", Messages: turn(1)})
	// b is queued and a written; the lookup needs the connection the
	// writer waits for too, so it runs once the writer is let go, which
	// may or may not have written b by then: either way it is found.
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, ok, err := s.Conversation(context.Background(), "b")
		if err != nil || !ok || len(got.Messages) != 4 {
			t.Errorf("Conversation(b) = %+v, %v, %v", got, ok, err)
		}
	}()
	release()
	<-done
}

// Unknown ids, and turns whose chain is broken, are not found.
func TestConversationNotFound(t *testing.T) {
	s, err := Open(Memory, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SaveConversation(Conversation{ResponseID: "orphan", Previous: "never-saved", Messages: turn(0)})
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"unknown", "orphan", ""} {
		if got, ok, err := s.Conversation(t.Context(), id); ok || err != nil {
			t.Errorf("Conversation(%q) = %+v, %v, %v; want not found", id, got, ok, err)
		}
	}
}

// SaveConversation never blocks: past a full queue it drops and says so,
// and a dropped turn is not found.
func TestSaveConversationNeverBlocks(t *testing.T) {
	s, err := Open(Memory, Options{Queue: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	release := holdWriter(t, s)
	dropped := ""
	for i := range 10 {
		id := fmt.Sprint("r", i)
		if !s.SaveConversation(Conversation{ResponseID: id, Messages: turn(i)}) {
			dropped = id
			break
		}
	}
	if dropped == "" || s.Dropped() == 0 {
		t.Fatalf("nothing dropped past a queue of one (Dropped %d)", s.Dropped())
	}
	release()
	if err := s.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Conversation(t.Context(), dropped); ok {
		t.Errorf("the dropped turn %s was found", dropped)
	}
	if _, ok, err := s.Conversation(t.Context(), "r0"); !ok || err != nil {
		t.Errorf("the first turn: %v %v", ok, err)
	}
	s.Close()
	if s.SaveConversation(Conversation{ResponseID: "late"}) {
		t.Error("SaveConversation on a closed Store reported success")
	}
}

// oldSchema is the request log's schema before versions were counted
// (user_version 0), as sluice created it until conversations were stored.
const oldSchema = `
CREATE TABLE IF NOT EXISTS requests (
	seq        INTEGER PRIMARY KEY AUTOINCREMENT,
	id         TEXT NOT NULL,
	time       TEXT NOT NULL,
	api        TEXT NOT NULL,
	model      TEXT NOT NULL,
	system     TEXT NOT NULL,
	prompt     TEXT NOT NULL,
	text       TEXT NOT NULL,
	finish     TEXT NOT NULL,
	usage      TEXT NOT NULL,
	metrics    TEXT NOT NULL,
	partial    INTEGER NOT NULL,
	error_kind TEXT NOT NULL,
	error      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS requests_id ON requests(id);
INSERT INTO requests (id, time, api, model, system, prompt, text, finish, usage, metrics, partial, error_kind, error)
VALUES ('old1', '2025-01-02T03:04:05Z', 'stream', 'sim/echo', '', 'hi', 'hello', 'stop', '{}', '{}', 0, '', '');
`

// userVersion reads a database file's schema version.
func userVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow(`PRAGMA user_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// A database written before conversations were stored is upgraded in
// place: its entries stay, conversations work, and a reopen upgrades
// nothing twice. A database from a newer sluice is refused.
func TestOpenMigratesOldSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(oldSchema); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if v := userVersion(t, path); v != 0 {
		t.Fatalf("old database at version %d", v)
	}

	for round := range 2 {
		s, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		got, err := s.List(t.Context(), 10)
		if err != nil || len(got) == 0 || got[len(got)-1].ID != "old1" {
			t.Fatalf("round %d: the old entry: %+v %v", round, got, err)
		}
		if round == 0 {
			s.Record(entry(1))
			s.SaveConversation(Conversation{ResponseID: "resp_new", Messages: turn(0)})
		}
		if c, ok, err := s.Conversation(t.Context(), "resp_new"); !ok || err != nil || len(c.Messages) != 2 {
			t.Fatalf("round %d: conversation %+v %v %v", round, c, ok, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if v := userVersion(t, path); v != schemaVersion {
			t.Fatalf("round %d: version %d, want %d", round, v, schemaVersion)
		}
	}

	db, err = sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf(`PRAGMA user_version = %d`, schemaVersion+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := Open(path, Options{}); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("a newer schema opened: %v", err)
	}
}
