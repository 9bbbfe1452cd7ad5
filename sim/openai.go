package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/openai"
)

// openaiDialect is OpenAI chat completions, POST /v1/chat/completions.
var openaiDialect = &dialect{
	name:        openai.Protocol,
	contentType: "text/event-stream; charset=utf-8",
	respPrefix:  "chatcmpl-",
	callPrefix:  "call_",
	// Chat completions has no cache writes and no reasoning signature.
	usage:     usageCaps{cacheRead: true, reasoning: true},
	comment:   []byte(": keep-alive\n\n"),
	malformed: []byte("data: {\"id\":\"chatcmpl-sim\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\n\n"),
	unknownEvent: func() sluice.Event {
		return sluice.Event{Type: sluice.EventPassthrough, Name: "future_event",
			Raw:   json.RawMessage(`{"type":"future_event","note":"an event type from the future, sent by sluice sim"}`),
			Extra: &sluice.Extra{Protocol: openai.Protocol}}
	},
	parse: func(_ *Config, body []byte, _ string) (*call, error) {
		req, info, err := openai.ParseRequest(body)
		if err != nil {
			return nil, err
		}
		c := &call{req: req, stream: info.Stream, noUsage: !info.IncludeUsage}
		c.newEncoder = func(w io.Writer) sluice.Encoder {
			return openai.NewEncoder(w, openai.EncoderOptions{IncludeUsage: info.IncludeUsage, SystemFingerprint: "fp_sluice_sim"})
		}
		c.nonStream = func(res *sluice.Result) ([]byte, error) {
			return openai.CompletionFromResult(res, res.ID, time.Now().Unix())
		}
		return c, nil
	},
	writeError: openai.WriteError,
	// OpenAI's codes for the faults the simulator injects.
	errorCode: func(k sluice.Kind) string {
		switch k {
		case sluice.KindAuth:
			return "invalid_api_key"
		case sluice.KindRateLimit:
			return "rate_limit_exceeded"
		case sluice.KindOverloaded:
			return "server_is_overloaded"
		}
		return ""
	},
	headers: func(h http.Header, id string, status int) {
		h.Set("X-Request-Id", id)
		h.Set("Openai-Version", "2020-10-01")
		rateLimitHeaders(h, "X-Ratelimit-", status, func(k string) string { return k + "-requests" }, func(k string) string { return k + "-tokens" }, "1s")
	},
}

func (s *Server) routeOpenAI() {
	d := openaiDialect
	s.mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) { s.stream(d, w, r, "") })
	s.mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		type model struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		}
		list := struct {
			Object string  `json:"object"`
			Data   []model `json:"data"`
		}{Object: "list"}
		for _, m := range modelNames {
			list.Data = append(list.Data, model{ID: m, Object: "model", OwnedBy: "sluice-sim"})
		}
		writeJSON(w, list)
	})
}

// rateLimitHeaders sets limit, remaining and reset headers in the style
// of prefix, with the remaining count 0 on a 429.
func rateLimitHeaders(h http.Header, prefix string, status int, requests, tokens func(string) string, reset string) {
	remaining := func(n int) string {
		if status == http.StatusTooManyRequests {
			return "0"
		}
		return strconv.Itoa(n)
	}
	h.Set(prefix+requests("Limit"), "10000")
	h.Set(prefix+requests("Remaining"), remaining(9999))
	h.Set(prefix+requests("Reset"), reset)
	h.Set(prefix+tokens("Limit"), "10000000")
	h.Set(prefix+tokens("Remaining"), remaining(9999000))
	h.Set(prefix+tokens("Reset"), reset)
}

// modelNames are the behaviours the simulator lists as its models; any
// other name works as well (see the package documentation).
var modelNames = []string{"text", "echo", "reasoning", "tools", "cache", "reasoning+tools"}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
