// Package responses speaks OpenAI's Responses protocol (POST /v1/responses),
// both ways: the protocol of the Codex CLI and the default of the OpenAI
// Agents SDK.
//
// # Pieces
//
//   - [Provider] streams from an upstream Responses API ([New], [FromEnv]
//     for OPENAI_API_KEY and OPENAI_BASE_URL).
//   - [Decoder] turns a Responses event stream into sluice events; [Encoder]
//     turns events from any provider into one, with the whole grammar:
//     response.created, response.in_progress, per output item
//     output_item.added, content_part.added, deltas, the .done events and
//     output_item.done, then exactly one of response.completed,
//     response.incomplete or response.failed, each event's type equal to its
//     SSE event name and sequence_number gap-free from 0. The simulator and
//     the server's /v1/responses frontend share the Encoder.
//   - [BuildRequest] and [ParseRequest] map requests (instructions, input
//     items, function and custom tools, reasoning, include, store,
//     previous_response_id); [ParseError] and [WriteError] map HTTP errors,
//     which have the Chat Completions shape; [ResponseFromResult] builds the
//     non-streaming reply and [ParseResponse] reads it.
//
// # Reasoning across providers
//
// A reasoning item's encrypted_content carries the opaque data that must
// reach the model again on the next turn. OpenAI's own goes as it came; any
// other provider's (an Anthropic signature, a Gemini thought signature) is
// packed with [sluice.Seal], with the reasoning text it signs, so that it
// survives the round trip through a client that only echoes items back.
// [ParseRequest] unpacks it, and each adapter sends only its own.
//
// # Custom tools
//
// A custom (freeform) tool, whose input is a string, becomes a function
// with one string parameter "input" for targets that have no custom tools;
// the Encoder turns calls of it back into custom_tool_call items when told
// the tool's name ([EncoderOptions.CustomTools]).
package responses

// Protocol names this wire protocol in [sluice.Extra] and in the Provider of
// opaque data that OpenAI issued through it.
const Protocol = "responses"
