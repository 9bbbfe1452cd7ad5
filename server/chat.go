package server

import (
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/openai"
)

// handleChatCompletions serves POST /v1/chat/completions, the OpenAI Chat
// Completions API, for a model of any provider: the request is parsed into
// a sluice.Request, streamed from the model's provider, and the events are
// written back with the openai package's encoder (the one the simulator
// uses). stream_options.include_usage adds the usage chunk; tools and tool
// calls go both ways, a call's arguments streamed as they arrive (held
// whole only from a provider that signs its calls, see seal.go). Without "stream": true the whole reply is collected
// and written as one chat.completion object.
func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	id := newID("chatcmpl-")
	w.Header().Set("X-Request-Id", id)
	const api = "chat.completions"
	body, berr := s.readBody(w, r)
	if berr != nil {
		s.rejectParse(w, r, id, api, berr, start)
		return
	}
	req, info, err := openai.ParseRequest(body)
	if err != nil {
		s.rejectParse(w, r, id, api, err, start)
		return
	}
	// Reasoning data the chat frontend sealed into tool call ids goes
	// back to its provider (see seal.go).
	unsealCallIDs(req)
	provider, holdCalls := "", false
	ar := &apiRequest{api: api, id: id, req: req, name: req.Model, prepare: func(rt route) {
		provider, holdCalls = rt.providerName, signsCalls(rt.provider)
		// Fields the Request does not model (response_format, logprobs, n,
		// …) are the OpenAI protocol's; pass them on only to a provider that
		// speaks it.
		req.Extra = nil
		if protocolOf(rt.provider) == openai.Protocol && len(info.Extra) > 0 {
			req.Extra = info.Extra
		}
	}}
	ar.stream = info.Stream
	ar.whole = func(res *sluice.Result) ([]byte, error) {
		sealed := sealResult(res, provider, sealCallID)
		return openai.CompletionFromResult(&sealed, id, start.Unix())
	}
	ar.frontend = func(w http.ResponseWriter) frontend {
		enc := openai.NewEncoder(w, openai.EncoderOptions{IncludeUsage: info.IncludeUsage, ID: id, Model: ar.name, Created: start.Unix()})
		return &sealingFrontend{frontend: &protoFrontend{enc: enc, heartbeat: func() error { return enc.Comment("ping") }},
			s: newSealer(provider, sealCallID, holdCalls)}
	}
	s.serveAPI(w, r, ar, start)
}
