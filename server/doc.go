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
// Secrets (API keys) handed to [Config.Secrets] are scrubbed from every
// message the server writes: error replies, log lines and the request log.
package server
