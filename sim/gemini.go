package sim

import (
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/gemini"
)

// geminiDialect is Gemini's POST /v1beta/models/{model}:streamGenerateContent?alt=sse.
var geminiDialect = &dialect{
	name:        gemini.Protocol,
	contentType: "text/event-stream",
	opaque:      sluice.OpaqueThoughtSignature,
	callPrefix:  "call_",
	// usageMetadata has cachedContentTokenCount and thoughtsTokenCount, no
	// cache writes, and comes on every chunk.
	usage:     usageCaps{cacheRead: true, reasoning: true, early: true},
	comment:   []byte(": keep-alive\r\n\r\n"),
	malformed: []byte("data: {\"candidates\": [{\"content\": {\"parts\": [{\"text\": \r\n\r\n"),
	// Gemini has no event types: what it adds comes as new members. A
	// candidate holding only a member from the future is the closest thing,
	// and the Gemini decoder passes it through as "candidate". The encoder
	// cannot mix it into chunks it builds, so it is written raw.
	unknownRaw: func() ([]byte, string) {
		return []byte("data: {\"candidates\": [{\"futureField\": {\"note\": \"a member from the future, sent by sluice sim\"},\"index\": 0}]}\r\n\r\n"), "candidate"
	},
	parse: func(_ *Config, body []byte, model string) (*call, error) {
		req, _, err := gemini.ParseRequest(body)
		if err != nil {
			return nil, err
		}
		req.Model = model
		c := &call{req: req, stream: true}
		c.newEncoder = func(w io.Writer) sluice.Encoder {
			return gemini.NewEncoder(w, gemini.EncoderOptions{Model: model})
		}
		return c, nil
	},
	writeError: gemini.WriteError,
}

// geminiWhole is geminiDialect for :generateContent, the non-streaming call:
// the same request, answered with one GenerateContentResponse.
func geminiWhole() *dialect {
	d := *geminiDialect
	d.parse = func(cfg *Config, body []byte, model string) (*call, error) {
		c, err := geminiDialect.parse(cfg, body, model)
		if err != nil {
			return nil, err
		}
		c.stream = false
		c.nonStream = func(res *sluice.Result) ([]byte, error) { return gemini.ResponseFromResult(res), nil }
		return c, nil
	}
	return &d
}

// cutLast slices s around the last instance of sep.
func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return s, "", false
}

func (s *Server) routeGemini() {
	d := geminiDialect
	s.mux.HandleFunc("POST /v1beta/models/{model}", func(w http.ResponseWriter, r *http.Request) {
		// The model is cut at the last colon, not the first, because the
		// behaviour grammar has colons of its own ("stall@5:2s").
		model, method, ok := cutLast(r.PathValue("model"), ":")
		stream := method == "streamGenerateContent"
		ok = ok && model != "" && (stream || method == "generateContent")
		switch {
		case !ok:
			s.stats.update(func(st *Stats) { st.Requests++; st.Rejected++ })
			gemini.WriteError(w, &sluice.Error{Kind: sluice.KindNotFound, Status: http.StatusNotFound,
				Message: "sim: the Gemini simulator serves :streamGenerateContent?alt=sse, not " + r.URL.Path})
			return
		case !stream:
			s.stream(geminiWhole(), w, r, model)
			return
		case r.URL.Query().Get("alt") != "sse":
			s.stats.update(func(st *Stats) { st.Requests++; st.Rejected++ })
			gemini.WriteError(w, badRequest("sim: the Gemini simulator streams server-sent events only: add ?alt=sse to the URL"))
			return
		}
		s.stream(d, w, r, model)
	})
	s.mux.HandleFunc("GET /v1beta/models", func(w http.ResponseWriter, r *http.Request) {
		type model struct {
			Name                       string   `json:"name"`
			DisplayName                string   `json:"displayName"`
			SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
		}
		var list struct {
			Models []model `json:"models"`
		}
		for _, m := range modelNames {
			list.Models = append(list.Models, model{Name: "models/" + m, DisplayName: strings.ToUpper(m[:1]) + m[1:],
				SupportedGenerationMethods: []string{"generateContent", "streamGenerateContent", "countTokens"}})
		}
		writeJSON(w, list)
	})
}
