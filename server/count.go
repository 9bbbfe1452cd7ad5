package server

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/tokens"
)

// tokenCounter is a provider with a token counting endpoint of its own
// (Anthropic's count_tokens, OpenAI's responses/input_tokens).
type tokenCounter interface {
	CountTokens(ctx context.Context, req *sluice.Request) (int, error)
}

// counterOf returns p's token counter, looking through wrappers, and the
// protocol it counts in.
func counterOf(p sluice.Provider) (tokenCounter, string) {
	for range 8 {
		switch q := p.(type) {
		case *anthropic.Provider:
			return q, anthropic.Protocol
		case *responses.Provider:
			return q, responses.Protocol
		case interface{ Unwrap() sluice.Provider }:
			p = q.Unwrap()
			continue
		}
		break
	}
	return nil, ""
}

// handleCountTokens serves POST /v1/messages/count_tokens, Anthropic's
// token count, for a model of any provider: {"input_tokens": N}, with
// "estimated": true (and the header X-Sluice-Estimated: true) when sluice
// counted it itself.
func (s *Server) handleCountTokens(w http.ResponseWriter, r *http.Request) {
	body, berr := s.readBody(w, r)
	if berr != nil {
		s.writeAPIError(w, r, berr)
		return
	}
	// count_tokens takes a Messages request without max_tokens.
	req, _, err := anthropic.ParseRequest(body)
	if err != nil {
		s.writeAPIError(w, r, asParseError(err))
		return
	}
	sluice.UnsealRequest(req)
	n, est, e := s.count(r, req, anthropic.Protocol)
	if e != nil {
		s.writeAPIError(w, r, e)
		return
	}
	out := map[string]any{"input_tokens": n}
	if est {
		out["estimated"] = true
		w.Header().Set("X-Sluice-Estimated", "true")
	}
	writeJSON(w, http.StatusOK, out)
}

// handleInputTokens serves POST /v1/responses/input_tokens, OpenAI's token
// count of a Responses request, for a model of any provider:
// {"object":"response.input_tokens","input_tokens":N}, marked as
// handleCountTokens marks an estimate.
func (s *Server) handleInputTokens(w http.ResponseWriter, r *http.Request) {
	body, berr := s.readBody(w, r)
	if berr != nil {
		s.writeAPIError(w, r, berr)
		return
	}
	rr, err := s.parseResponsesRequest(r.Context(), body, nil)
	if err != nil {
		s.writeAPIError(w, r, asParseError(err))
		return
	}
	n, est, e := s.count(r, rr.req, responses.Protocol)
	if e != nil {
		s.writeAPIError(w, r, e)
		return
	}
	out := map[string]any{"object": "response.input_tokens", "input_tokens": n}
	if est {
		out["estimated"] = true
		w.Header().Set("X-Sluice-Estimated", "true")
	}
	writeJSON(w, http.StatusOK, out)
}

// asParseError makes a parse failure the client's fault.
func asParseError(err error) *sluice.Error {
	e := sluice.AsError(err)
	if e.Kind == sluice.KindConnection {
		e = &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest, Message: err.Error()}
	}
	return e
}

// count answers a token count for req: from the provider's own endpoint
// when it has one, otherwise with sluice's tokenizer, which is exact for
// OpenAI's model families on text and an estimate for anything else.
// proto is the protocol the request came in, whose own fields (req.Extra)
// only a provider of that protocol may get.
func (s *Server) count(r *http.Request, req *sluice.Request, proto string) (int, bool, *sluice.Error) {
	if len(req.Messages) == 0 {
		return 0, false, badRequest("the request has no messages", "send the messages (or input) to count")
	}
	rt, e := s.resolve(r.Context(), req.Model)
	if e != nil {
		return 0, false, e
	}
	req.Model = rt.model
	if c, p := counterOf(rt.provider); c != nil {
		if p != proto {
			req.Extra = nil
		}
		ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
		defer cancel()
		n, err := c.CountTokens(ctx, req)
		if err == nil {
			return n, false, nil
		}
		e := s.scrub(sluice.AsError(err))
		if e.Kind != sluice.KindNotFound && e.Kind != sluice.KindBadRequest {
			return 0, false, e
		}
		// A server that copies the API but not this endpoint: count here.
	}
	n, exact := countLocally(rt.model, req)
	return n, !exact, nil
}

// countLocally counts req with the encoding of its model: the chat
// framing of every message (tiktoken's rule), the system text, tool calls
// and results as text, and the tools' JSON. Exact only for an OpenAI model
// family and plain text messages.
func countLocally(model string, req *sluice.Request) (int, bool) {
	enc, exact := tokens.ForModel(model)
	var msgs []tokens.ChatMessage
	if req.System != "" {
		msgs = append(msgs, tokens.ChatMessage{Role: "system", Content: req.System})
	}
	for _, m := range req.Messages {
		var b strings.Builder
		for _, p := range m.Content {
			switch p.Type {
			case sluice.PartText, sluice.PartToolResult, sluice.PartReasoning:
				b.WriteString(p.Text)
			case sluice.PartToolCall:
				exact = false
				b.WriteString(p.Name)
				b.WriteString(p.Arguments)
			case sluice.PartImage:
				exact = false
			}
		}
		msgs = append(msgs, tokens.ChatMessage{Role: string(m.Role), Content: b.String()})
	}
	n := enc.CountChat(msgs)
	if len(req.Tools) > 0 {
		exact = false
		b, _ := json.Marshal(req.Tools)
		n += enc.Count(string(b))
	}
	return n, exact
}
