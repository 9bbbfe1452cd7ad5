package server

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/requestlog"
)

// A Responses request may continue an earlier response with
// previous_response_id and send only the new input items (the Agents SDK
// does; Codex does on a WebSocket it reuses). What such a request needs is
// the conversation up to and including that response: its system prompt,
// its input, and its output as the assistant's turn with the opaque
// reasoning data the provider must get back.
//
// The request log is where conversations live ([requestlog.Conversation]),
// so a conversation outlives a restart. Each response is stored as its own
// turn, linked to the one it continues, with the server's secrets
// redacted. A cache of the latest conversations sits in front, so a client
// chaining turns back to back never waits on the database; a turn still
// queued for the log is found there, or in the log's own queue. Without a
// request log (Config.RequestLog nil) the cache is all there is.
//
// store: false is honoured as OpenAI does: the response is neither written
// to the log nor cached, so previous_response_id cannot name it, except on
// the WebSocket connection that made it, which keeps its latest response
// in memory for as long as it is open (OpenAI's WebSocket mode works with
// store: false the same way, and Codex sends store: false). store: false
// concerns the conversation only: the request log's entry for the response
// (its last prompt, text, usage and timings, as for every API) is the
// operator's record and is written as always.

// conversation is a whole conversation up to and including a response.
type conversation struct {
	system   string
	messages []sluice.Message
	// logged is true when the conversation was saved to the request log
	// (or read from it), so a turn that continues it may be saved as only
	// its new messages.
	logged bool
}

// conversations caches the latest conversations by response id in front
// of the request log. It keeps at most max, dropping the oldest. It is
// safe for concurrent use.
type conversations struct {
	log *requestlog.Store // nil: the cache is all there is

	mu    sync.Mutex
	max   int
	byID  map[string]conversation
	order []string
}

// defaultConversations is how many conversations are cached.
const defaultConversations = 256

// get returns the conversation that ends with response id, from the cache
// or else the request log.
func (c *conversations) get(ctx context.Context, id string) (conversation, bool, error) {
	c.mu.Lock()
	conv, ok := c.byID[id]
	c.mu.Unlock()
	if ok || c.log == nil {
		return conv, ok, nil
	}
	lc, ok, err := c.log.Conversation(ctx, id)
	if err != nil || !ok {
		return conversation{}, false, err
	}
	conv = conversation{system: lc.System, messages: lc.Messages, logged: true}
	c.put(id, conv)
	return conv, true, nil
}

// put caches conv under id.
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

// wsLatest is a WebSocket connection's latest response, which a request on
// that connection may continue even when it was not stored.
type wsLatest struct {
	id   string
	conv conversation
}

// resolvePrevious puts the conversation that previous_response_id names
// before rr's messages. local is the WebSocket connection's latest
// response, nil over HTTP.
func (s *Server) resolvePrevious(ctx context.Context, rr *responsesRequest, local *wsLatest) error {
	pid := rr.info.PreviousResponseID
	if pid == "" {
		return nil
	}
	var conv conversation
	ok := false
	if local != nil && local.id == pid {
		conv, ok = local.conv, true
	} else {
		var err error
		conv, ok, err = s.conversations.get(ctx, pid)
		if err != nil {
			s.log.Warn("reading a conversation from the request log failed", "previous_response_id", pid, "error", err)
			return &sluice.Error{Kind: sluice.KindServer, Status: http.StatusInternalServerError,
				Message: "Previous response with id '" + pid + "' could not be read from sluice's request log.",
				Hint:    "see sluice's log; send the whole input instead of previous_response_id"}
		}
	}
	if !ok {
		return &sluice.Error{Kind: sluice.KindNotFound, Status: http.StatusNotFound, Code: "previous_response_not_found",
			Message: "Previous response with id '" + pid + "' not found",
			Hint: "sluice keeps a response in its request log unless the request said store: false " +
				"(then only its WebSocket connection can continue it); send the whole input instead"}
	}
	req := rr.req
	msgs := make([]sluice.Message, 0, len(conv.messages)+len(req.Messages))
	msgs = append(append(msgs, conv.messages...), req.Messages...)
	req.Messages, rr.prior, rr.priorLogged = msgs, len(conv.messages), conv.logged
	if req.System == "" {
		req.System = conv.system
	}
	return nil
}

// remember keeps a finished conversation for previous_response_id: on the
// WebSocket connection (local, nil over HTTP) always, and in the cache and
// the request log unless the request said store: false.
func (s *Server) remember(id string, rr *responsesRequest, res *sluice.Result, local *wsLatest) {
	msgs := make([]sluice.Message, 0, len(rr.req.Messages)+1)
	msgs = append(msgs, rr.req.Messages...)
	// A warm-up (or an empty answer) adds no turn: providers refuse an
	// empty assistant message.
	if m := res.Message(); len(m.Content) > 0 {
		msgs = append(msgs, m)
	}
	conv := conversation{system: rr.req.System, messages: msgs}
	if local != nil {
		local.id, local.conv = id, conv
	}
	if st := rr.info.Store; st != nil && !*st {
		return
	}
	if s.reqlog != nil {
		lc := requestlog.Conversation{ResponseID: id, Time: time.Now(), System: s.redactText(conv.system), Messages: msgs}
		if rr.priorLogged {
			// The turn it continues is in the log: store only what is new.
			lc.Previous, lc.Messages = rr.info.PreviousResponseID, msgs[rr.prior:]
		}
		lc.Messages = s.redactMessages(lc.Messages)
		conv.logged = s.reqlog.SaveConversation(lc)
	}
	s.conversations.put(id, conv)
}

// redactText returns t without the server's secrets.
func (s *Server) redactText(t string) string {
	if !s.hasSecrets {
		return t
	}
	return s.redact.Replace(t)
}

// redactMessages returns msgs without the server's secrets in their text,
// copied only where a secret was found. Opaque data is left as it is: it
// is the provider's, and must go back unchanged.
func (s *Server) redactMessages(msgs []sluice.Message) []sluice.Message {
	if !s.hasSecrets {
		return msgs
	}
	out := msgs
	for mi, m := range msgs {
		var parts []sluice.Part
		for pi, p := range m.Content {
			q := p
			q.Text, q.Arguments, q.URL = s.redact.Replace(p.Text), s.redact.Replace(p.Arguments), s.redact.Replace(p.URL)
			if q.Text == p.Text && q.Arguments == p.Arguments && q.URL == p.URL {
				continue
			}
			if parts == nil {
				parts = append([]sluice.Part(nil), m.Content...)
			}
			parts[pi] = q
		}
		if parts == nil {
			continue
		}
		if &out[0] == &msgs[0] {
			out = append([]sluice.Message(nil), msgs...)
		}
		out[mi].Content = parts
	}
	return out
}
