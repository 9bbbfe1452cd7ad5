package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/responses"
)

// responsesDialect is OpenAI's Responses API, POST /v1/responses. Its
// reasoning items carry the simulator's signature as encrypted_content, so
// the "signed" behaviour checks that a client sent the reasoning item back.
var responsesDialect = &dialect{
	name:        responses.Protocol,
	contentType: "text/event-stream; charset=utf-8",
	opaque:      sluice.OpaqueEncrypted,
	respPrefix:  "resp_",
	callPrefix:  "call_",
	// input_tokens_details.cached_tokens and
	// output_tokens_details.reasoning_tokens; no cache writes.
	usage:     usageCaps{cacheRead: true, reasoning: true},
	comment:   []byte(": keep-alive\n\n"),
	malformed: []byte("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\n\n"),
	unknownEvent: func() sluice.Event {
		return sluice.Event{Type: sluice.EventPassthrough, Name: "response.future_event",
			Raw:   json.RawMessage(`{"type":"response.future_event","note":"an event type from the future, sent by sluice sim"}`),
			Extra: &sluice.Extra{Protocol: responses.Protocol}}
	},
	parse: func(_ *Config, body []byte, _ string) (*call, error) {
		req, info, err := responses.ParseRequest(body)
		if err != nil {
			return nil, err
		}
		opts := responses.EncoderOptions{Native: true, Provider: responses.Protocol, CustomTools: info.CustomTools, Echo: info.Echo}
		c := &call{req: req, stream: info.Stream}
		c.newEncoder = func(w io.Writer) sluice.Encoder { return responses.NewEncoder(w, opts) }
		c.nonStream = func(res *sluice.Result) ([]byte, error) {
			o := opts
			o.ID, o.CreatedAt = res.ID, time.Now().Unix()
			return responses.ResponseFromResult(res, o)
		}
		return c, nil
	},
	writeError: responses.WriteError,
	headers:    openaiDialect.headers,
}

func (s *Server) routeResponses() {
	d := responsesDialect
	s.mux.HandleFunc("POST /v1/responses", func(w http.ResponseWriter, r *http.Request) { s.stream(d, w, r, "") })
	s.mux.HandleFunc("POST /v1/responses/input_tokens", func(w http.ResponseWriter, r *http.Request) {
		s.stats.update(func(st *Stats) { st.Requests++ })
		body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			responses.WriteError(w, badRequest("sim: cannot read the request body: "+err.Error()))
			return
		}
		req, _, err := responses.ParseRequest(body)
		if err != nil {
			responses.WriteError(w, asBadRequest(err))
			return
		}
		writeJSON(w, struct {
			Object      string `json:"object"`
			InputTokens int64  `json:"input_tokens"`
		}{"response.input_tokens", inputTokens(req)})
		s.stats.update(func(st *Stats) { st.Completed++ })
	})
}
