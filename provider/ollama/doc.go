// Package ollama is sluice's adapter for Ollama's native chat API,
// POST /api/chat, which streams newline-delimited JSON (NDJSON).
//
// It holds the protocol's four pieces, each usable alone:
//
//   - [Provider] sends a [sluice.Request] to an Ollama server (OLLAMA_HOST,
//     default http://127.0.0.1:11434; no key needed) and returns a
//     [sluice.Stream]; [Provider.Models] lists the pulled models.
//   - [Decoder] turns the NDJSON stream into [sluice.Event]s. Its line reader
//     has no line-length limit, reuses one buffer, and tells a cut stream
//     (no "done":true line: KindTruncated) from a clean end.
//   - [Encoder] writes events of any provider as Ollama's NDJSON, for the
//     simulator and the server's Ollama frontend.
//   - [BuildRequest] and [ParseRequest] map requests both ways, and
//     [ParseError] and [WriteError] do the same for HTTP error replies.
//     [ChatResponseFromResult] builds the non-streaming reply.
//
// # The wire format
//
// Each line is one JSON object (Ollama's api.ChatResponse):
//
//	{"model":"llama3.2","created_at":"…","message":{"role":"assistant","content":"The"},"done":false}
//	{"model":"llama3.2","created_at":"…","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","total_duration":4883583458,"load_duration":1334875,"prompt_eval_count":26,"prompt_eval_duration":342546000,"eval_count":282,"eval_duration":4535599000}
//
// message.thinking carries a thinking model's reasoning, message.tool_calls
// whole tool calls (arguments as a JSON object, no id before recent
// versions), and the final line done_reason (stop, length, load, unload),
// the token counts and the durations in nanoseconds. An error after the
// response started is one more line, {"error":"…"}, and no "done" line; an
// error before it is the HTTP status with the same body.
//
// # Lossless relay
//
// Ollama's lines carry more than [sluice.Event] models: created_at on every
// line, the durations, and whatever a newer server adds. The Decoder keeps
// them in the Extra of each line's last event (Protocol "ollama"), and the
// Encoder writes them back, so Ollama relayed through sluice to an Ollama
// client arrives as the same lines: same members, same values. Only the
// byte form may differ (member order of unknown fields, number spelling).
// A tool call id the Decoder synthesised (call_0, call_1, … when Ollama
// sends none) is not written back.
package ollama
