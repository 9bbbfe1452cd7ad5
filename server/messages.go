package server

import (
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/sse"
)

// handleMessages serves POST /v1/messages, the Anthropic Messages API, for
// a model of any provider, the same way handleChatCompletions serves
// OpenAI's: parse, stream from the model's provider, and write the events
// with the anthropic package's encoder. Without "stream": true the reply is
// one message object.
func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newID("msg_")
	w.Header().Set("X-Request-Id", id)
	w.Header().Set("Request-Id", id)
	const api = "messages"
	body, berr := s.readBody(w, r)
	if berr != nil {
		s.rejectParse(w, r, id, api, berr, start)
		return
	}
	req, info, err := anthropic.ParseRequest(body)
	if err != nil {
		s.rejectParse(w, r, id, api, err, start)
		return
	}
	// Another provider's reasoning data comes back sealed in a thinking
	// block's signature (see seal.go).
	sluice.UnsealRequest(req)
	provider, native := "", false
	ar := &apiRequest{api: api, id: id, req: req, name: req.Model, prepare: func(rt route) {
		provider, native = rt.providerName, protocolOf(rt.provider) == anthropic.Protocol
		// req.Extra holds Anthropic's own fields (cache_control, metadata,
		// raw blocks); only Anthropic may receive them, and its beta flags.
		if protocolOf(rt.provider) != anthropic.Protocol {
			req.Extra = nil
			return
		}
		if beta := r.Header.Get("Anthropic-Beta"); beta != "" {
			req.Header = map[string]string{"anthropic-beta": beta}
		}
	}}
	ar.stream = info.Stream
	ar.whole = func(res *sluice.Result) ([]byte, error) {
		if !native {
			sealed := sealResult(res, provider, sealSignature)
			res = &sealed
		}
		return anthropic.MessageFromResult(res, id)
	}
	ar.frontend = func(w http.ResponseWriter) frontend {
		enc := anthropic.NewEncoder(w, anthropic.EncoderOptions{ID: id, Model: ar.name})
		// Keep-alives are SSE comments, which every client ignores; an
		// Anthropic ping event could land before message_start, which the
		// encoder holds back until the usage that may follow it.
		hb := sse.NewEncoder(w)
		var fe frontend = &protoFrontend{enc: enc, heartbeat: func() error {
			if err := hb.Comment("ping"); err != nil {
				return err
			}
			return hb.Flush()
		}}
		if !native {
			fe = &sealingFrontend{frontend: fe, s: newSealer(provider, sealSignature, false)}
		}
		return fe
	}
	s.serveAPI(w, r, ar, start)
}
