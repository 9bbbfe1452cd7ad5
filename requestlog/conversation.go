package requestlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/sluicehq/sluice"
)

// Conversation is one turn of a Responses API conversation, kept so that a
// later request may continue it with previous_response_id and only its new
// input items, as Codex and the Agents SDK do.
type Conversation struct {
	// ResponseID is the id of the response that ended the turn.
	ResponseID string
	// Previous is the ResponseID of the stored turn this one continues:
	// that turn's whole conversation comes before Messages. "" means
	// Messages are the whole conversation. Storing a chain of turns this
	// way keeps each turn's new messages once, instead of the whole history
	// again at every turn.
	Previous string
	Time     time.Time
	// System is the system prompt (the instructions) the turn ran with.
	System string
	// Messages are the turn's messages: the input the request sent (after
	// what Previous holds) and the response's output as the assistant's
	// message, with its opaque reasoning data.
	Messages []sluice.Message
}

// SaveConversation queues c to be written and returns at once, like
// [Store.Record]: it never blocks, and reports false when c was dropped
// because the queue was full or the Store is closed. Until it is written,
// [Store.Conversation] finds it in memory, so a client may continue it at
// once. The Store keeps c.Messages: the caller must not modify them after
// the call.
func (s *Store) SaveConversation(c Conversation) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		s.dropped.Add(1)
		return false
	}
	p := &c
	s.pendingMu.Lock()
	s.pending[c.ResponseID] = p
	s.pendingMu.Unlock()
	select {
	case s.queue <- item{conv: p}:
		return true
	default:
		s.pendingMu.Lock()
		if s.pending[c.ResponseID] == p {
			delete(s.pending, c.ResponseID)
		}
		s.pendingMu.Unlock()
		s.dropped.Add(1)
		return false
	}
}

// maxChain bounds how many turns [Store.Conversation] follows, a guard
// against a cycle in a damaged database.
const maxChain = 100_000

// Conversation returns the whole conversation that ends with the response
// id: Messages from its first turn on, the System of its last, and an
// empty Previous. It sees conversations still queued. It reports false
// when id is not stored, or when a turn of its chain is missing (dropped
// from a full queue, or deleted); the error is for a database that cannot
// be read.
func (s *Store) Conversation(ctx context.Context, id string) (Conversation, bool, error) {
	if id == "" {
		return Conversation{}, false, nil
	}
	// turns are collected last first.
	var turns []*Conversation
	cur := id
	for cur != "" && len(turns) < maxChain {
		s.pendingMu.Lock()
		p := s.pending[cur]
		s.pendingMu.Unlock()
		if p == nil {
			// Written (it leaves pending only then), or never saved.
			// Every turn it continues was queued before it, so is written
			// too: one query reads the rest of the chain.
			rest, err := s.chain(ctx, cur)
			if err != nil {
				return Conversation{}, false, err
			}
			if len(rest) == 0 {
				return Conversation{}, false, nil
			}
			turns = append(turns, rest...)
			cur = rest[len(rest)-1].Previous
			break
		}
		turns = append(turns, p)
		cur = p.Previous
	}
	if cur != "" {
		return Conversation{}, false, nil
	}
	n := 0
	for _, t := range turns {
		n += len(t.Messages)
	}
	head := turns[0]
	out := Conversation{ResponseID: head.ResponseID, Time: head.Time, System: head.System,
		Messages: make([]sluice.Message, 0, n)}
	for _, t := range slices.Backward(turns) {
		out.Messages = append(out.Messages, t.Messages...)
	}
	return out, true, nil
}

// chain reads the stored turn id and the turns it continues, last first.
func (s *Store) chain(ctx context.Context, id string) ([]*Conversation, error) {
	rows, err := s.db.QueryContext(ctx, `WITH RECURSIVE chain(response_id, previous, time, system, messages, depth) AS (
			SELECT response_id, previous, time, system, messages, 0 FROM conversations WHERE response_id = ?
			UNION ALL
			SELECT c.response_id, c.previous, c.time, c.system, c.messages, chain.depth + 1
			FROM conversations c JOIN chain ON c.response_id = chain.previous
			WHERE chain.depth < ?
		)
		SELECT response_id, previous, time, system, messages FROM chain ORDER BY depth`, id, maxChain)
	if err != nil {
		return nil, fmt.Errorf("requestlog: conversation %s: %w", id, err)
	}
	defer rows.Close()
	var out []*Conversation
	for rows.Next() {
		var c Conversation
		var t string
		var msgs sql.RawBytes
		if err := rows.Scan(&c.ResponseID, &c.Previous, &t, &c.System, &msgs); err != nil {
			return nil, fmt.Errorf("requestlog: conversation %s: %w", id, err)
		}
		c.Time, _ = time.Parse(time.RFC3339Nano, t)
		if err := json.Unmarshal(msgs, &c.Messages); err != nil {
			return nil, fmt.Errorf("requestlog: conversation %s: turn %s: %w", id, c.ResponseID, err)
		}
		out = append(out, &c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("requestlog: conversation %s: %w", id, err)
	}
	return out, nil
}

// insertConversation writes one turn; a turn saved again under the same
// response id replaces the earlier one.
func (s *Store) insertConversation(c *Conversation) error {
	msgs, err := json.Marshal(c.Messages)
	if err != nil {
		return fmt.Errorf("requestlog: conversation %s: %w", c.ResponseID, err)
	}
	_, err = s.db.Exec(`INSERT OR REPLACE INTO conversations (response_id, previous, time, system, messages)
		VALUES (?, ?, ?, ?, ?)`, c.ResponseID, c.Previous, c.Time.UTC().Format(time.RFC3339Nano), c.System, string(msgs))
	if err != nil {
		return fmt.Errorf("requestlog: insert conversation %s: %w", c.ResponseID, err)
	}
	return nil
}
