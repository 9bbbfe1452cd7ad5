package server

import (
	"net/http"
	"slices"
	"strings"
)

// cors answers cross-origin requests from an allow-list. The page sluice
// serves is same-origin and needs none of this; the list is for other
// browser apps calling the API. Nothing is allowed by default: a gateway
// holding API keys must not be callable from any page a user visits.
type cors struct {
	any     bool
	origins []string
}

func newCORS(origins []string) cors {
	var c cors
	for _, o := range origins {
		o = strings.TrimRight(strings.TrimSpace(o), "/")
		if o == "*" {
			c.any = true
		} else if o != "" {
			c.origins = append(c.origins, strings.ToLower(o))
		}
	}
	return c
}

func (c cors) allowed(origin string) bool {
	return origin != "" && (c.any || slices.Contains(c.origins, strings.ToLower(origin)))
}

// handle sets the CORS headers of an allowed origin and answers a
// preflight. It reports whether the request has been answered.
func (c cors) handle(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if !c.allowed(origin) {
		if preflight {
			// No CORS headers: the browser refuses the real request.
			w.WriteHeader(http.StatusNoContent)
			return true
		}
		return false
	}
	if c.any {
		h.Set("Access-Control-Allow-Origin", "*")
	} else {
		h.Set("Access-Control-Allow-Origin", origin)
	}
	h.Set("Access-Control-Expose-Headers", "X-Request-Id, Retry-After")
	if !preflight {
		return false
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", rh)
	}
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
