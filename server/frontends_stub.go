package server

import (
	"net/http"

	"github.com/sluicehq/sluice"
)

func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindServer, Status: http.StatusNotImplemented, Message: "not yet"})
}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindServer, Status: http.StatusNotImplemented, Message: "not yet"})
}
