package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
)

// anthropicPad is the most spaces Config.AnthropicPadding puts before a
// closing brace.
const anthropicPad = 16

// anthropicDialect is Anthropic messages, POST /v1/messages.
var anthropicDialect = &dialect{
	name:        anthropic.Protocol,
	contentType: "text/event-stream; charset=utf-8",
	opaque:      sluice.OpaqueSignature,
	respPrefix:  "msg_01",
	callPrefix:  "toolu_01",
	// message_start carries the input usage, message_delta the rest.
	usage:     usageCaps{cacheRead: true, cacheWrite: true, reasoning: true, early: true, earlyOutput: 1},
	comment:   []byte(": keep-alive\n\n"),
	malformed: []byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\n\n"),
	unknownEvent: func() sluice.Event {
		return sluice.Event{Type: sluice.EventPassthrough, Name: "future_event",
			Raw:   json.RawMessage(`{"type":"future_event","note":"an event type from the future, sent by sluice sim"}`),
			Extra: &sluice.Extra{Protocol: anthropic.Protocol}}
	},
	parse: func(cfg *Config, body []byte, _ string) (*call, error) {
		req, info, err := anthropic.ParseRequest(body)
		if err != nil {
			return nil, err
		}
		pad := 0
		if cfg.AnthropicPadding {
			pad = anthropicPad
		}
		c := &call{req: req, stream: info.Stream}
		c.newEncoder = func(w io.Writer) sluice.Encoder {
			return anthropic.NewEncoder(w, anthropic.EncoderOptions{Model: req.Model, Pad: pad})
		}
		c.nonStream = func(res *sluice.Result) ([]byte, error) { return anthropic.MessageFromResult(res, "") }
		return c, nil
	},
	writeError: anthropic.WriteError,
	headers: func(h http.Header, id string, status int) {
		h.Set("Request-Id", id)
		h.Set("Anthropic-Organization-Id", "00000000-0000-0000-0000-000000000000")
		reset := time.Now().Add(time.Second).UTC().Format(time.RFC3339)
		rateLimitHeaders(h, "Anthropic-Ratelimit-", status, func(k string) string { return "Requests-" + k }, func(k string) string { return "Tokens-" + k }, reset)
	},
}

func (s *Server) routeAnthropic() {
	d := anthropicDialect
	s.mux.HandleFunc("POST /v1/messages", func(w http.ResponseWriter, r *http.Request) { s.stream(d, w, r, "") })
	s.mux.HandleFunc("POST /v1/messages/count_tokens", func(w http.ResponseWriter, r *http.Request) {
		s.stats.update(func(st *Stats) { st.Requests++ })
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			anthropic.WriteError(w, badRequest("sim: cannot read the request body: "+err.Error()))
			return
		}
		req, _, err := anthropic.ParseRequest(body)
		if err != nil {
			anthropic.WriteError(w, asBadRequest(err))
			return
		}
		writeJSON(w, struct {
			InputTokens int64 `json:"input_tokens"`
		}{inputTokens(req)})
		s.stats.update(func(st *Stats) { st.Completed++ })
	})
}
