package server

import (
	"sync"

	"github.com/sluicehq/sluice"
)

// conversation is what a response continued by previous_response_id
// needs: the whole conversation up to and including that response.
type conversation struct {
	system   string
	messages []sluice.Message
}

// conversations keeps the latest conversations the Responses frontend
// answered, by response id, so that a client may send only the new items
// with previous_response_id (the Agents SDK and Codex's WebSocket mode do).
// It keeps at most max of them, dropping the oldest: memory, not a
// database, because a conversation is only continued within minutes, and
// an unknown id is answered with the 404 OpenAI gives for an expired one.
// It is safe for concurrent use.
type conversations struct {
	mu    sync.Mutex
	max   int
	byID  map[string]conversation
	order []string
}

// defaultConversations is how many conversations are kept.
const defaultConversations = 256

func (c *conversations) get(id string) (conversation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	conv, ok := c.byID[id]
	return conv, ok
}

func (c *conversations) put(id string, conv conversation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[string]conversation{}
	}
	if c.max <= 0 {
		c.max = defaultConversations
	}
	if _, ok := c.byID[id]; !ok {
		c.order = append(c.order, id)
	}
	c.byID[id] = conv
	for len(c.order) > c.max {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
}
