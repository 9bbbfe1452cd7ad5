// Package server is sluice's HTTP gateway: the frontends that turn client
// requests into provider streams and stream the answers back.
//
// Endpoints (all on one [Server], an http.Handler):
//
//	GET  /                      the embedded web page (package web)
//	GET  /stream?prompt=…       seed-style SSE: token, done and error events
//	POST /stream                the same with a JSON body
//	POST /v1/chat/completions   the OpenAI Chat Completions API
//	POST /v1/messages           the Anthropic Messages API
//	POST /v1/responses          the OpenAI Responses API (Codex, the Agents SDK)
//	GET  /v1/responses          its WebSocket mode (response.create frames)
//	POST /v1/messages/count_tokens  Anthropic's token count
//	POST /v1/responses/input_tokens OpenAI's token count
//	GET  /v1/models             configured models (OpenAI or Anthropic list shape)
//	GET  /v1/logs?limit=N       recent responses from the request log
//	GET  /metrics               Prometheus metrics of this server only
//	GET  /healthz               liveness; 503 while draining
//
// Every streaming response goes through one relay (relay.go): the provider's
// events are pulled by one goroutine and written by the handler's goroutine
// alone, which also sends heartbeats while the upstream is idle, so there is
// exactly one writer per response. A client that goes away cancels the
// upstream request at once; a stream that fails or is cut off ends with the
// protocol's own terminal error, never a clean end marker.
//
// Any frontend serves any provider. Reasoning a client cannot send back in
// its own API's fields for another provider (an Anthropic signature through
// the Responses API, a Gemini thought signature through Anthropic's) is
// sealed into a field it does echo (seal.go), and goes back to the provider
// that issued it only. Usage is converted into each API's own fields;
// the upstream's rate-limit headers are passed on.
//
// A Responses request may continue an earlier response with
// previous_response_id. Conversations are kept in the request log, so they
// survive a restart, behind a cache of the latest ones; a request with
// store: false is kept only by the WebSocket connection that made it
// (conversations.go).
//
// Secrets (API keys) handed to [Config.Secrets] are scrubbed from every
// message the server writes: error replies, log lines and the request log.
package server
