package responses

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
)

// BenchmarkEncodeText measures the relay's cost per text delta.
func BenchmarkEncodeText(b *testing.B) {
	ev := sluice.Event{Type: sluice.EventText, Text: " token"}
	e := NewEncoder(io.Discard, EncoderOptions{ID: "resp_1"})
	b.ReportAllocs()
	for b.Loop() {
		e.Encode(&ev)
		e.Flush()
	}
}

// BenchmarkDecodeText measures the decoder's cost per text delta.
func BenchmarkDecodeText(b *testing.B) {
	var buf bytes.Buffer
	e := NewEncoder(&buf, EncoderOptions{ID: "resp_1"})
	ev := sluice.Event{Type: sluice.EventText, Text: " token"}
	const n = 1000
	for range n {
		e.Encode(&ev)
	}
	e.End()
	e.Flush()
	data := buf.Bytes()
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		d := NewDecoder(bytes.NewReader(data))
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	}
}

// agentRequest is a Responses request the size of a coding agent's turn:
// 100 input items of user text, function calls and their outputs, ~120 KB.
func agentRequest() []byte {
	var sb strings.Builder
	sb.WriteString(`{"model":"gpt-5","instructions":"You are a coding agent.","stream":true,"store":false,"input":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		if i%2 == 0 {
			fmt.Fprintf(&sb, `{"type":"message","role":"user","content":[{"type":"input_text","text":%q}]}`, strings.Repeat("please look at file main.go and fix the bug ", 25))
		} else {
			fmt.Fprintf(&sb, `{"type":"function_call","call_id":"call_%d","name":"shell","arguments":"{\"command\":[\"cat\",\"main.go\"]}"},{"type":"function_call_output","call_id":"call_%d","output":%q}`, i, i, strings.Repeat("package main\n\nfunc main() {}\n", 30))
		}
	}
	sb.WriteString(`],"tools":[{"type":"function","name":"shell","description":"run a command","parameters":{"type":"object","properties":{"command":{"type":"array","items":{"type":"string"}}}}}]}`)
	return []byte(sb.String())
}

// BenchmarkAgentRequest is what a gateway spends reading a coding agent's
// Responses request before sending it on.
func BenchmarkAgentRequest(b *testing.B) {
	body := agentRequest()
	if _, _, err := ParseRequest(body); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ParseRequest(body)
	}
}
