package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/ollama"
)

// ollamaDialect is Ollama's native chat, POST /api/chat, in NDJSON.
var ollamaDialect = &dialect{
	name:        ollama.Protocol,
	contentType: "application/x-ndjson",
	respPrefix:  "",
	callPrefix:  "call_",
	// /api/chat reports prompt_eval_count and eval_count only. NDJSON has no
	// comments, so no keep-alive either.
	usage:     usageCaps{},
	malformed: []byte("{\"model\":\"sim\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":{\"role\":\"assistant\",\"content\":\n"),
	unknownEvent: func() sluice.Event {
		return sluice.Event{Type: sluice.EventPassthrough, Name: "chunk",
			Raw:   json.RawMessage(`{"model":"sim","created_at":"2026-01-01T00:00:00Z","future_event":{"note":"a line from the future, sent by sluice sim"},"done":false}`),
			Extra: &sluice.Extra{Protocol: ollama.Protocol, Fields: json.RawMessage("{}")}}
	},
	parse: func(_ *Config, body []byte, _ string) (*call, error) {
		req, info, err := ollama.ParseRequest(body)
		if err != nil {
			return nil, err
		}
		c := &call{req: req, stream: info.Stream}
		c.newEncoder = func(w io.Writer) sluice.Encoder {
			return ollama.NewEncoder(w, ollama.EncoderOptions{Model: req.Model})
		}
		c.nonStream = func(res *sluice.Result) ([]byte, error) { return ollama.ChatResponseFromResult(res, time.Now()), nil }
		return c, nil
	},
	writeError: ollama.WriteError,
}

func (s *Server) routeOllama() {
	d := ollamaDialect
	s.mux.HandleFunc("POST /api/chat", func(w http.ResponseWriter, r *http.Request) { s.stream(d, w, r, "") })
	s.mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]string{"version": "0.0.0-sluice-sim"})
	})
	s.mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		type details struct {
			Format        string `json:"format"`
			Family        string `json:"family"`
			ParameterSize string `json:"parameter_size"`
		}
		type model struct {
			Name       string    `json:"name"`
			Model      string    `json:"model"`
			ModifiedAt time.Time `json:"modified_at"`
			Size       int64     `json:"size"`
			Digest     string    `json:"digest"`
			Details    details   `json:"details"`
		}
		var list struct {
			Models []model `json:"models"`
		}
		for _, m := range modelNames {
			list.Models = append(list.Models, model{Name: m, Model: m, Digest: "sim",
				Details: details{Format: "sim", Family: "sim", ParameterSize: "0"}})
		}
		writeJSON(w, list)
	})
}
