// Package gateway sits between sluice's frontends (the CLI, the HTTP server)
// and the provider adapters: it resolves "provider/model" names to providers
// built from the environment and configuration. Resilience — retries that
// honour Retry-After before the first token, failover, hedging, stall
// detection and the resume journal — belongs here too, around the Stream a
// provider returns, so every frontend gets it the same way.
package gateway
