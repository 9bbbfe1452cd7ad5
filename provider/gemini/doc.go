// Package gemini is sluice's adapter for the Gemini API's streaming call,
// POST /v1beta/models/{model}:streamGenerateContent?alt=sse.
//
// It holds the protocol's four pieces, each usable alone:
//
//   - [Provider] sends a [sluice.Request] to Gemini (GEMINI_API_KEY, sent as
//     the x-goog-api-key header and never in the URL; GEMINI_BASE_URL to
//     point elsewhere) and returns a [sluice.Stream]; [Provider.Models]
//     lists the models the key can use.
//   - [Decoder] turns the SSE stream into [sluice.Event]s, on top of package
//     sse (which reads Gemini's CRLF separators and has no line limit).
//   - [Encoder] writes events of any provider as Gemini's SSE stream, for
//     the simulator and the server's Gemini frontend.
//   - [BuildRequest] and [ParseRequest] map requests both ways, [ParseError]
//     and [WriteError] do the same for google.rpc error replies, and
//     [ResponseFromResult] builds the non-streaming reply.
//
// # The wire format
//
// Each SSE event is "data: " and one whole GenerateContentResponse, events
// separated by "\r\n\r\n", with no event names and no end sentinel:
//
//	data: {"candidates": [{"content": {"parts": [{"text": "Four."}],"role": "model"},"index": 0}],"usageMetadata": {"promptTokenCount": 51,"candidatesTokenCount": 2,"totalTokenCount": 53},"modelVersion": "gemini-2.5-flash","responseId": "ag4pavQTzLrj4Q-XkKnZBA"}
//	data: {"candidates": [{"content": {"role": "model"},"finishReason": "STOP","index": 0}],"usageMetadata": {…},"modelVersion": "gemini-2.5-flash","responseId": "ag4pavQTzLrj4Q-XkKnZBA"}
//
// Parts carry text ("thought": true for thought summaries), functionCall
// with the complete args object, inlineData and more; a thoughtSignature
// may ride on any part, often on a part with "text":"" of its own, and must
// go back to Gemini on the same part in the next request (Gemini 3 refuses
// function-call turns without it). usageMetadata is on every chunk and
// cumulative; finishReason on a candidate's last chunk is the only sign that
// the stream is complete, so a stream that ends without one was cut. A
// blocked prompt is a single chunk with promptFeedback.blockReason and no
// candidates. Errors are google.rpc.Status objects, {"error":{"code",
// "message","status","details"}}, with a RetryInfo detail on quota errors.
//
// # Lossless relay
//
// A chunk carries more than [sluice.Event] models: usage details, safety
// ratings, citations, fields Google adds later, and its exact part layout.
// The Decoder keeps them in Extra (Protocol "gemini"): the members of a
// part on its first event, the rest of the chunk on the EventUsage that
// ends every chunk. The Encoder puts them back and writes a Gemini chunk
// only once its EventUsage arrives, so Gemini relayed through sluice to a
// Gemini client arrives as the same chunks with the same JSON values; only
// formatting and member order may differ. A call id the Decoder synthesised
// (call_0, call_1, … when Gemini sends none) is not written back, neither in
// responses nor in requests.
package gemini
