package sse_test

import (
	"fmt"
	"log"
	"os"
	"strings"
	"time"

	"github.com/sluicehq/sluice/sse"
)

func ExampleDecoder() {
	stream := "retry: 3000\n" +
		"event: content_block_delta\n" +
		"id: 1\n" +
		"data: {\"text\":\"Hel\"}\n\n" +
		": keep-alive comments are skipped\n\n" +
		"data: line one\r\n" +
		"data: line two\r\n\r\n" +
		"data: cut off before its blank line"

	d := sse.NewDecoder(strings.NewReader(stream))
	for d.Next() {
		ev := d.Event() // ev.Data is valid until the next call to Next
		fmt.Printf("type=%q id=%q data=%q\n", ev.Type, ev.ID, ev.Data)
	}
	if err := d.Err(); err != nil {
		log.Fatal(err)
	}
	retry, _ := d.Retry()
	fmt.Println("retry:", retry, "truncated:", d.Truncated())
	// Output:
	// type="content_block_delta" id="1" data="{\"text\":\"Hel\"}"
	// type="" id="1" data="line one\nline two"
	// retry: 3s truncated: true
}

func ExampleRead() {
	stream := "data: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\n\ndata: [DONE]\n\n"

	var kept [][]byte
	for ev, err := range sse.Read(strings.NewReader(stream)) {
		if err != nil {
			log.Fatal(err)
		}
		kept = append(kept, ev.Data) // a copy: safe to keep
	}
	fmt.Printf("%s\n", kept)
	// Output:
	// [{"choices":[{"delta":{"content":"Hi"}}]} [DONE]]
}

func ExampleEncoder() {
	enc := sse.NewEncoder(os.Stdout) // an http.ResponseWriter in a server
	enc.Retry(2 * time.Second)
	enc.Encode(sse.Event{Type: "delta", ID: "7", Data: []byte("two\nlines")})
	enc.Comment("keep-alive")
	if err := enc.Encode(sse.Event{Type: "bad\ntype"}); err != nil {
		fmt.Println("refused:", err)
	}
	enc.Flush() // one Write for everything above, then a flush
	// Output:
	// refused: sse: event type contains CR or LF
	// retry: 2000
	//
	// event: delta
	// id: 7
	// data: two
	// data: lines
	//
	// : keep-alive
}

func ExampleEncoder_lineEnd() {
	var sb strings.Builder
	enc := sse.NewEncoder(&sb)
	enc.LineEnd = "\r\n" // Gemini-style "\r\n\r\n" between events
	enc.Encode(sse.Event{Data: []byte(`{"a":1}`)})
	enc.Flush()
	fmt.Printf("%q\n", sb.String())
	// Output:
	// "data: {\"a\":1}\r\n\r\n"
}
