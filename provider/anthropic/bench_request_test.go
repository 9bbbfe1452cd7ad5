package anthropic

import (
	"fmt"
	"strings"
	"testing"
)

// agentRequest is a Messages request the size of a coding agent's turn:
// 100 messages of user text, tool uses and file contents, ~120 KB.
func agentRequest() []byte {
	var sb strings.Builder
	sb.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":8192,"stream":true,"system":[{"type":"text","text":"You are a coding agent."}],"messages":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		if i%2 == 0 {
			fmt.Fprintf(&sb, `{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_%d","content":%q},{"type":"text","text":%q}]}`,
				i, strings.Repeat("package main\n\nfunc main() {}\n", 30), strings.Repeat("please look at file main.go and fix the bug ", 25))
		} else {
			fmt.Fprintf(&sb, `{"role":"assistant","content":[{"type":"text","text":"Reading it."},{"type":"tool_use","id":"toolu_%d","name":"read_file","input":{"path":"main.go"}}]}`, i+1)
		}
	}
	sb.WriteString(`],"tools":[{"name":"read_file","description":"read a file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}]}`)
	return []byte(sb.String())
}

// BenchmarkAgentRequest is what a gateway spends on a coding agent's
// Messages request before sending it on: reading it, and writing it for an
// Anthropic upstream.
func BenchmarkAgentRequest(b *testing.B) {
	body := agentRequest()
	req, _, err := ParseRequest(body)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			ParseRequest(body)
		}
	})
	b.Run("build", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			BuildRequest(req, true)
		}
	})
}
