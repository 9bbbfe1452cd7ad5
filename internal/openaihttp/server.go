// Package openaihttp holds what the providers of OpenAI's two APIs,
// provider/openai (Chat Completions) and provider/responses (Responses),
// share about reaching a server: the base URL, kept with its query (Azure's
// ?api-version=) and kept out of hints where it may hold a key, the bearer
// key, the headers every request carries, and the OPENAI_ variables. Their
// Config types stay apart: they are two public APIs.
package openaihttp

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
)

// Server is the server a provider sends to, from its Config. A provider
// builds one in New, with its own copy of Header, and never changes it, so
// it is safe for concurrent use.
type Server struct {
	// BaseURL is the API root that paths are appended to.
	BaseURL string
	// APIKey is sent as "Authorization: Bearer"; empty sends none.
	APIKey string
	// Header is added to every request.
	Header http.Header
}

// URL returns path appended to the base URL's path, keeping its query.
func (s *Server) URL(path string) string {
	u, err := url.Parse(s.BaseURL)
	if err != nil || u.Scheme == "" {
		return strings.TrimRight(s.BaseURL, "/") + path
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	return u.String()
}

// SafeBase returns the base URL without its query or user info, which may
// hold a key, for hints and messages.
func (s *Server) SafeBase() string {
	u, err := url.Parse(s.BaseURL)
	if err != nil {
		return "an unparsable URL"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// RequestHeader returns the headers every request carries: a new copy of
// Header, with the bearer key when there is one.
func (s *Server) RequestHeader() http.Header {
	h := s.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	if s.APIKey != "" {
		h.Set("Authorization", "Bearer "+s.APIKey)
	}
	return h
}

// StreamHeader returns the headers of a streaming request:
// [Server.RequestHeader],
// Accept: text/event-stream, then the request's own (sluice.Request.Header)
// except Authorization, Api-Key (Azure's) and Cookie, which are the
// provider's to set.
func (s *Server) StreamHeader(own map[string]string) http.Header {
	h := s.RequestHeader()
	h.Set("Accept", "text/event-stream")
	for k, v := range own {
		switch http.CanonicalHeaderKey(k) {
		case "Authorization", "Api-Key", "Cookie":
			continue
		}
		h.Set(k, v)
	}
	return h
}

// Env returns OPENAI_API_KEY and OPENAI_BASE_URL from getenv, trimmed. A
// missing key is a *sluice.Error of KindAuth for provider that says which
// variable to set.
func Env(provider string, getenv func(string) string) (apiKey, baseURL string, err error) {
	apiKey = strings.TrimSpace(getenv("OPENAI_API_KEY"))
	if apiKey == "" {
		return "", "", &sluice.Error{Kind: sluice.KindAuth, Provider: provider, Message: "OPENAI_API_KEY is not set",
			Hint: "set OPENAI_API_KEY to a key from https://platform.openai.com/api-keys (in the environment or .env)"}
	}
	baseURL = strings.TrimSpace(getenv("OPENAI_BASE_URL"))
	if baseURL != "" {
		// Without a scheme, "localhost:8000/v1" parses as scheme
		// "localhost" and fails only at the first request, far from here.
		u, perr := url.Parse(baseURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			msg := "OPENAI_BASE_URL is not an http(s) URL"
			if perr == nil && u.User == nil {
				msg = "OPENAI_BASE_URL " + strconv.Quote(baseURL) + " is not an http(s) URL"
			}
			return "", "", &sluice.Error{Kind: sluice.KindBadRequest, Provider: provider, Message: msg,
				Hint: "give the API root with its scheme, such as https://api.openai.com/v1 or http://localhost:8000/v1"}
		}
	}
	return apiKey, baseURL, nil
}
