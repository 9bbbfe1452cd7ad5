// Package sse reads and writes Server-Sent Events (text/event-stream) as the
// WHATWG HTML standard defines them (§9.2.5 "Parsing an event stream" and
// §9.2.6 "Interpreting an event stream").
//
// sse sits on the hot path of every provider adapter, the simulator and the
// HTTP gateway, so it is written for two things: exact conformance and no
// per-event allocation.
//
// # Reading
//
// A [Decoder] turns the bytes of an io.Reader into dispatched events, exactly
// as a browser's EventSource would:
//
//   - lines end with CRLF, LF or a lone CR, in any mix, and a CRLF split
//     across two reads is one line end;
//   - one leading UTF-8 byte order mark is stripped, only at stream start;
//   - "data" lines are joined with "\n"; one leading space after the colon is
//     removed from every value, never more, never a tab;
//   - comments (lines starting with ':') and unknown fields are ignored; field
//     names are case-sensitive; a line without a colon is a field name with an
//     empty value;
//   - a block without any data line is not dispatched, but its event type is
//     reset; the last event ID persists across events; an id containing
//     U+0000 is ignored; retry takes ASCII digits only;
//   - the incomplete event at EOF is discarded, never dispatched;
//   - no line or event has a length limit: the buffers grow as needed.
//
// The decoder works on bytes. It does not validate UTF-8, so a multi-byte
// character split across reads needs no care, and invalid UTF-8 passes
// through as it came instead of being replaced with U+FFFD.
//
// [Decoder.Next] reuses its buffers: once they have grown to the size of the
// stream's events, decoding does not allocate. [Read] wraps a Decoder as an
// iterator and copies each event's data, for callers who keep events.
//
// # Writing
//
// An [Encoder] appends events, comments and retry hints to a buffer and
// writes everything pending with one Write call per [Encoder.Flush], then
// flushes the writer (an http.ResponseWriter, a bufio.Writer, ...). It splits
// CR, LF and CRLF inside data into separate data lines, so no payload can
// forge a field or an event, and it refuses an event type or ID that could.
//
// Decoding what an Encoder wrote gives back the same events, except that CR
// and CRLF inside data come back as LF: the format cannot carry them.
package sse
