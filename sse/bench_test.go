package sse

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// openAIChunk is a realistic chat.completion.chunk payload (about 230 bytes).
const openAIChunk = `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-2024-08-06","system_fingerprint":"fp_eb9dce56a8","choices":[{"index":0,"delta":{"content":" word"},"logprobs":null,"finish_reason":null}]}`

// openAIStream returns n OpenAI chunks and the [DONE] marker, framed as
// OpenAI frames them.
func openAIStream(n int) string {
	var sb strings.Builder
	for range n {
		sb.WriteString("data: ")
		sb.WriteString(openAIChunk)
		sb.WriteString("\n\n")
	}
	sb.WriteString("data: [DONE]\n\n")
	return sb.String()
}

const benchEvents = 1000

// BenchmarkDecode decodes a whole 1,000-chunk OpenAI stream per op with a
// new Decoder, as each upstream response gets one: allocs/op is the cost of
// a stream, not of an event.
func BenchmarkDecode(b *testing.B) {
	in := []byte(openAIStream(benchEvents))
	r := bytes.NewReader(in)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		d := NewDecoder(r)
		n := 0
		for d.Next() {
			n += len(d.Event().Data)
		}
		if d.Err() != nil || n == 0 {
			b.Fatal(d.Err())
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(benchEvents+1)), "ns/event")
}

// BenchmarkDecodeBaselineScanner only splits the same stream into lines with
// bufio.Scanner, with no SSE parsing: the ratio to BenchmarkDecode is the
// cost of conformance.
func BenchmarkDecodeBaselineScanner(b *testing.B) {
	in := []byte(openAIStream(benchEvents))
	r := bytes.NewReader(in)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		sc := bufio.NewScanner(r)
		n := 0
		for sc.Scan() {
			n += len(sc.Bytes())
		}
		if n == 0 {
			b.Fatal("no lines")
		}
	}
}

// BenchmarkRead is BenchmarkDecode through the Read iterator, which copies
// each event's data.
func BenchmarkRead(b *testing.B) {
	in := []byte(openAIStream(benchEvents))
	r := bytes.NewReader(in)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(in)
		for _, err := range Read(r) {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncode encodes and flushes 1,000 OpenAI chunks per op, one Flush
// per event as the gateway does.
func BenchmarkEncode(b *testing.B) {
	ev := Event{Data: []byte(openAIChunk)}
	enc := NewEncoder(io.Discard)
	b.SetBytes(int64(benchEvents * (len("data: \n\n") + len(openAIChunk))))
	b.ReportAllocs()
	for b.Loop() {
		for range benchEvents {
			if err := enc.Encode(ev); err != nil {
				b.Fatal(err)
			}
			if err := enc.Flush(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*benchEvents), "ns/event")
}
