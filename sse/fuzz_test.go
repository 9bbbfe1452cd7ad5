package sse

import (
	"bytes"
	"io"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

// modelDecode is a deliberately naive decoder written line by line from the
// WHATWG text, over the whole input at once: no buffers, no state across
// reads. FuzzDecoder checks the Decoder against it.
func modelDecode(in []byte) decoded {
	s := strings.TrimPrefix(string(in), bom)
	var lines []string
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			break
		}
		lines = append(lines, s[:i])
		if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
			i++
		}
		s = s[i+1:]
	}
	var out decoded
	var data, typ, idBuf string
	for _, line := range lines {
		if line == "" { // dispatch
			out.lastID = idBuf
			if data == "" {
				typ = ""
				continue
			}
			out.events = append(out.events, Event{Type: typ, Data: []byte(data[:len(data)-1]), ID: out.lastID})
			data, typ = "", ""
			continue
		}
		if line[0] == ':' {
			continue
		}
		name, value, found := strings.Cut(line, ":")
		if found {
			value = strings.TrimPrefix(value, " ")
		}
		switch name {
		case "data":
			data += value + "\n"
		case "event":
			typ = value
		case "id":
			if !strings.Contains(value, "\x00") {
				idBuf = value
			}
		case "retry":
			if value == "" || strings.Trim(value, "0123456789") != "" {
				continue
			}
			ms, err := strconv.ParseInt(value, 10, 64)
			if err != nil || ms > maxRetryMillis {
				out.retry = math.MaxInt64
			} else {
				out.retry = time.Duration(ms) * time.Millisecond
			}
			out.hasRetry = true
		}
	}
	// EOF: the pending event and any unterminated line are discarded.
	out.truncated = s != "" || data != ""
	return out
}

// sameDecoded reports how two runs differ, or "" if they do not.
func sameDecoded(a, b decoded) string {
	switch {
	case !sameEvents(a.events, b.events):
		return "events: " + fmtEvents(a.events) + " vs " + fmtEvents(b.events)
	case a.err != b.err:
		return "errors differ"
	case a.retry != b.retry || a.hasRetry != b.hasRetry:
		return "retry: " + a.retry.String() + " vs " + b.retry.String()
	case a.lastID != b.lastID:
		return "last event ID: " + strconv.Quote(a.lastID) + " vs " + strconv.Quote(b.lastID)
	case a.truncated != b.truncated:
		return "truncated differs"
	}
	return ""
}

// FuzzDecoder decodes any input whole, cut in two at a fuzzed position, and
// one byte per read: all three must agree with each other and with the
// model, and no event may carry what a line end would have split.
func FuzzDecoder(f *testing.F) {
	for _, tt := range decodeCases() {
		f.Add([]byte(tt.in), uint(len(tt.in)/2))
	}
	f.Add([]byte("data: a\r"), uint(8))
	f.Add([]byte("\xEF\xBB\xBFdata: a\r\n\r\n"), uint(1))
	f.Fuzz(func(t *testing.T, in []byte, cut uint) {
		whole := decodeAll(bytes.NewReader(in))
		if whole.err != nil {
			t.Fatalf("Err() = %v on an in-memory reader", whole.err)
		}
		if diff := sameDecoded(whole, modelDecode(in)); diff != "" {
			t.Fatalf("decoder and model differ on %q: %s", in, diff)
		}
		i := int(cut % uint(len(in)+1))
		split := decodeAll(io.MultiReader(bytes.NewReader(in[:i]), bytes.NewReader(in[i:])))
		if diff := sameDecoded(whole, split); diff != "" {
			t.Fatalf("cut at %d of %q changes the result: %s", i, in, diff)
		}
		if len(in) <= 4096 {
			bytewise := decodeAll(iotest.OneByteReader(bytes.NewReader(in)))
			if diff := sameDecoded(whole, bytewise); diff != "" {
				t.Fatalf("one-byte reads of %q change the result: %s", in, diff)
			}
		}
		for _, e := range whole.events {
			if bytes.IndexByte(e.Data, '\r') >= 0 || strings.ContainsAny(e.Type, "\r\n") || strings.ContainsAny(e.ID, "\r\n\x00") {
				t.Fatalf("event %s carries a line end or a NUL id", fmtEvents([]Event{e}))
			}
		}
	})
}

// FuzzRoundTrip encodes a fuzzed event between comments and decodes it:
// whenever Encode accepts the event, exactly that event comes back (with CR
// and CRLF in the data turned into LF), whatever line end the Encoder uses.
func FuzzRoundTrip(f *testing.F) {
	f.Add("", []byte("hello"), "", "", uint8(0))
	f.Add("delta", []byte("a\nb\r\nc\rd\n"), "42", "keep\nalive", uint8(1))
	f.Add("x", []byte(""), "\x00", "", uint8(2))
	f.Add("a\nb", []byte("data: forged\n\n"), "1", ":", uint8(0))
	f.Add(" sp", []byte(" \xEF\xBB\xBF"), " ", "\r", uint8(1))
	f.Fuzz(func(t *testing.T, typ string, data []byte, id, comment string, le uint8) {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		enc.LineEnd = []string{"\n", "\r\n", "\r"}[le%3]
		enc.Comment(comment)
		err := enc.Encode(Event{Type: typ, Data: data, ID: id})
		valid := !strings.ContainsAny(typ, "\r\n") && !strings.ContainsAny(id, "\r\n\x00")
		if (err == nil) != valid {
			t.Fatalf("Encode(%q, %q, %q) = %v; valid = %v", typ, data, id, err, valid)
		}
		enc.Comment(comment)
		if err := enc.Flush(); err != nil {
			t.Fatal(err)
		}
		got := decodeAll(&buf)
		var want []Event
		if valid {
			want = []Event{{Type: typ, Data: normalizeEOL(data), ID: id}}
		}
		if !sameEvents(got.events, want) || got.err != nil || got.truncated {
			t.Fatalf("round trip of (%q, %q, %q) gave %s (err %v, truncated %v), want %s",
				typ, data, id, fmtEvents(got.events), got.err, got.truncated, fmtEvents(want))
		}
	})
}
