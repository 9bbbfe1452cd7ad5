// Package openai speaks OpenAI's Chat Completions protocol
// (POST /chat/completions with "stream": true), both ways, for OpenAI and for
// every server that copies it: Groq, Together, OpenRouter, DeepSeek, Azure,
// vLLM, llama.cpp's llama-server, Ollama's /v1 and LM Studio.
//
// # Pieces
//
//   - [Provider] sends requests ([New], [FromEnv] for OPENAI_API_KEY and
//     OPENAI_BASE_URL, [Compatible] for a named endpoint) and returns a
//     sluice.Stream; [Provider.Models] lists models.
//   - [Decoder] turns a stream into sluice events; [Encoder] turns events
//     from any provider into a stream. The simulator and the server's
//     /v1/chat/completions frontend share the Encoder.
//   - [BuildRequest] and [ParseRequest] map requests; [ParseError] and
//     [WriteError] map HTTP errors; [CompletionFromResult] and
//     [ParseCompletion] map the non-streaming reply.
//
// # What compatible servers do differently
//
// The Decoder takes each deviation known to break clients as normal input:
// finish_reason on the last content chunk (vLLM, old Ollama); usage on the
// finish chunk (llama.cpp, Together), on every chunk (vLLM's
// continuous_usage_stats; the last report wins) or in x_groq.usage (Groq);
// a first chunk with choices:[] and an empty id (Azure); the role repeated
// in every chunk (old Ollama, Together); content:null first chunks; extra
// keys (timings, stop_reason, token_id, text, seed, content_filter_results);
// non-standard finish reasons (eos); integer error codes (vLLM, llama.cpp)
// and message-only errors (LM Studio); reasoning in reasoning_content or in
// reasoning. Keep-alive comments, "data:" without a space and CRLF are
// handled by the sse package.
//
// # The Extra of this protocol
//
// Events decoded here carry an [sluice.Extra] with Protocol "openai" whose
// Fields say how to rebuild the chunks they came from. Its members, all
// optional:
//
//	created          on EventStart: the stream's created time
//	chunk            on a chunk's first event: the chunk's top-level fields
//	                 Event does not model (system_fingerprint, service_tier,
//	                 x_groq, timings, "usage":null, and id, model, created or
//	                 object where they differ from the stream's)
//	choices          on a chunk's first event: one entry per choice of the
//	                 chunk, in order: {"index", "choice": unmodelled choice
//	                 fields (logprobs, stop_reason, a null finish_reason, …),
//	                 "delta": unmodelled delta fields (role, null or empty
//	                 content and refusal, token_id, …)}
//	tool             on a tool call's event: fragment fields not modelled
//	usage, usage_in  on EventUsage: usage fields not modelled (audio_tokens,
//	                 …); usage_in "x_groq" when usage came inside x_groq
//	reasoning_field  on EventReasoning: "reasoning" or "both" when the delta
//	                 did not use reasoning_content alone
//	more             true when the next event came from the same chunk
//
// Extra values are shared between events: treat them as read-only.
// Passthrough events of this protocol carry an Extra with no Fields. Other
// protocols' encoders ignore all of it.
//
// The chat format has no place for opaque reasoning data (Anthropic
// signatures, OpenAI's encrypted reasoning, Gemini thought signatures): the
// Encoder drops it, and BuildRequest does not send it.
package openai
