// Package anthropic speaks the Anthropic Messages API (POST /v1/messages)
// in both directions: as a client of the API, and as the wire format that
// sluice's simulator and its /v1/messages frontend serve.
//
// # Pieces
//
//   - [Provider] sends a [sluice.Request] upstream and returns a
//     [sluice.Stream]; it also lists models ([Provider.Models]) and counts
//     tokens ([Provider.CountTokens]). [FromEnv] reads ANTHROPIC_API_KEY and
//     ANTHROPIC_BASE_URL.
//   - [Decoder] turns the event stream into sluice events, losing nothing:
//     thinking and its signatures, redacted thinking, cache usage, server
//     tool blocks, citations and event types it does not know.
//   - [Encoder] turns sluice events from any provider back into the event
//     stream, byte-faithful to the API's flow, and [MessageFromResult] gives
//     the non-streaming reply.
//   - [BuildRequest] and [ParseRequest] map requests between the domain and
//     the API's JSON; [ParseError] and [WriteError] do the same for HTTP
//     errors.
//
// # Lossless relay
//
// An agent client such as Claude Code sends back, on its next turn, exactly
// what it received: thinking blocks with their signatures before its
// tool_use blocks, server tool results, cache_control breakpoints. A gateway
// that drops any of it breaks the conversation or its prompt cache. So what
// sluice's domain types do not model is carried beside them, marked with
// this package's [Protocol] name:
//
//   - the decoder attaches each wire payload's fields to its events as a
//     [sluice.Extra], and the encoder writes them back, replacing only the
//     values sluice owns (ids, counts, stop reason, block index);
//   - unknown events and deltas are EventPassthrough events, written back
//     whole by this encoder and dropped by the others;
//   - ParseRequest keeps fields it cannot model in [sluice.Request.Extra],
//     and BuildRequest sends them back while the request still says the
//     same thing.
//
// # Reasoning across providers
//
// Anthropic signs its thinking and rejects thinking blocks it did not sign.
// BuildRequest therefore sends a reasoning part as a thinking block only with
// an Anthropic signature (and as redacted_thinking with Anthropic's data);
// any other reasoning part is dropped. The encoder writes reasoning from any
// provider as a thinking block, with a signature_delta only for Anthropic's
// own signature: a thinking block from elsewhere keeps "signature":"" in its
// start, so clients find the field, and it is dropped again if it comes back
// unsigned. Other providers' opaque data (OpenAI encrypted content, Gemini
// thought signatures) cannot travel in this protocol; the gateway keeps it.
package anthropic
