// Package sim is an upstream simulator: one http.Handler that speaks the
// OpenAI, Anthropic, Ollama and Gemini streaming APIs on their real paths, with
// configurable timing, behaviours and faults, so that sluice's adapters,
// gateway, benchmarks and any official SDK can be tested offline.
//
// Every request is parsed with its protocol package's ParseRequest and
// answered with that package's Encoder, the same encoders the server's
// frontends use, so what the simulator proves about a protocol holds for what
// sluice serves.
//
// # Paths
//
//	POST /v1/chat/completions                           OpenAI chat completions
//	GET  /v1/models                                     OpenAI model list
//	POST /v1/responses                                  OpenAI Responses
//	POST /v1/responses/input_tokens                     OpenAI token count
//	POST /v1/messages                                   Anthropic messages
//	POST /v1/messages/count_tokens                      Anthropic token count
//	POST /api/chat                                      Ollama chat (NDJSON)
//	GET  /api/tags                                      Ollama model list
//	POST /v1beta/models/{model}:streamGenerateContent   Gemini (?alt=sse)
//	GET  /v1beta/models                                 Gemini model list
//	GET  /sim/stats                                     [Stats] as JSON
//	GET  /sim/transcripts                               the latest [Transcript]s as JSON
//
// # Behaviours and faults
//
// The model name chooses what the simulator does: a list of terms joined by
// '+' (or ','). Terms outside the grammar are ignored, so any real model name
// works and means plain text, and "gpt-4o-mini+429" is gpt-4o-mini failing
// with a 429. The headers X-Sim-Behavior and X-Sim-Fault take the same terms
// and add to the model's.
//
//	text              plain text (the default): Config.Tokens words
//	echo              answer with the last user message, word by word
//	reasoning         reasoning first: Anthropic thinking with a signature,
//	                  OpenAI-compatible reasoning_content, Gemini thoughts with a
//	                  thought signature, Ollama thinking (alias: thinking)
//	tools             a tool loop: while the conversation holds no tool result,
//	                  call the tool tool_choice names, else the request's
//	                  shell-like tool, else its first tool, with arguments
//	                  that fit its schema; a
//	                  shell-like tool (shell, bash, exec…) gets the harmless
//	                  command "echo hello from sluice sim"; once a tool result is
//	                  in, answer "The tool returned: <result>"
//	cache             report prompt-cache reads (1024 tokens) and, where the
//	                  protocol has them, writes (256 tokens)
//	signed            reject a follow-up turn whose reasoning signature did not
//	                  come back intact, with the protocol's 400 (also the header
//	                  X-Sim-Require-Signature: true, or Config.RequireSignature)
//	tokens=N          N answer tokens instead of Config.Tokens
//
//	status=CODE       answer HTTP CODE (400–599) before the stream, in the
//	                  protocol's error format; a bare code (401, 429, 500, 503,
//	                  529…) means the same. 429, 503 and 529 carry retry-after-ms and
//	                  retry-after (Config.RetryAfter, 1ms by default) and the
//	                  protocol's rate-limit headers
//	midstream_error@N the protocol's in-stream error after N content deltas;
//	                  midstream_error@N:CODE gives it the kind of HTTP CODE
//	                  (529: overloaded); alias error@N
//	truncate@N        end the body after N deltas without the end marker
//	stall@N:DURATION  send no byte for DURATION (a Go duration) after N deltas,
//	                  or until the client leaves, then go on
//	malformed@N       a frame of broken JSON after N deltas, then end
//	unknown_event@N   an event type no decoder knows after N deltas (for
//	                  Anthropic "event: future_event"), then go on
//
// A content delta is one text, reasoning or tool-argument fragment; N = 0
// strikes after the response has started and before the first delta, and an N
// past the last delta strikes after it, before the finish. A fault followed by
// *K ("status=503*2") strikes only the first K requests carrying that term,
// counted per Server, which is how a test makes a retry succeed. The request's
// max tokens caps the answer and ends it with finish "length".
//
// Examples: "reasoning+tools", "claude-sonnet-4-5+cache", "text+truncate@5",
// "gpt-4o+stall@3:2s", "tokens=100+midstream_error@50:529", "status=429*1".
//
// # Timing
//
// The first content delta is due Config.TTFT after the request arrived and
// each next one Config.ITL (± Config.Jitter, from a seeded generator) after
// the one before. Every event is scheduled at an absolute offset from the
// request's arrival, so a late write never delays the events after it, and
// every wait also watches the request's context: a client that leaves ends its
// stream at once, which [Server.Stats] counts as Disconnected. The simulator
// also learns how late its timers fire (where the kernel rounds timers to the
// millisecond, half a millisecond on average) and wakes that much early, so
// after the first few dozen events the mean TTFT and inter-token latency stay
// on target; a benchmark warms up for that as it does for connections.
//
// # Tests
//
// [Server.Stats], [Server.WaitFor] and [Server.Last] let a test assert what
// happened without sleeping: "the client went away and the simulator saw it"
// is WaitFor(ctx, func(s Stats) bool { return s.Disconnected == 1 }). Package
// providertest runs the conformance suite of every adapter against this
// simulator. [Provider] is a sluice.Provider for "sim/<behaviour>" models that
// runs the simulator in-process on a loopback port.
package sim
