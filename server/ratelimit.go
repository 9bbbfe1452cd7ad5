package server

import (
	"net/http"
	"strings"
)

// passRateLimits copies the upstream's rate-limit headers onto the
// client's reply, so that a client pacing itself by them (Codex and the
// SDKs read x-ratelimit-* and anthropic-ratelimit-*) sees the limits of
// the provider that answers, whatever API it called. Retry-After of an
// error reply is set from the error itself (see writeAPIError).
func passRateLimits(dst, src http.Header) {
	for k, v := range src {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "x-ratelimit-") || strings.HasPrefix(lk, "anthropic-ratelimit-") ||
			strings.HasPrefix(lk, "ratelimit") || lk == "retry-after" || lk == "retry-after-ms" {
			dst[k] = append([]string(nil), v...)
		}
	}
}
