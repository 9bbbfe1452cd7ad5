package sim_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/sim"
)

// discard is a ResponseWriter that throws the body away and can flush.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) WriteHeader(int)             {}
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) Flush()                      {}

// BenchmarkServe measures the simulator's own cost of one 64-token stream
// (parsing, planning, encoding, no network, no waiting), per protocol: what a
// load test spends in the simulator rather than in the system under test.
func BenchmarkServe(b *testing.B) {
	cases := []struct{ name, path, body string }{
		{"openai", "/v1/chat/completions", `{"model":"text","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic", "/v1/messages", `{"model":"text","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"ollama", "/api/chat", `{"model":"text","messages":[{"role":"user","content":"hi"}]}`},
		{"gemini", "/v1beta/models/text:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := sim.New(sim.Config{Tokens: 64})
			w := &discard{h: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				r, _ := http.NewRequest(http.MethodPost, c.path, strings.NewReader(c.body))
				s.ServeHTTP(w, r)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/64, "ns/token")
		})
	}
}
