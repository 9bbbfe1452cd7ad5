package server

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/requestlog"
)

// maxLogsLimit caps GET /v1/logs?limit=N.
const maxLogsLimit = 1000

// handleLogs serves GET /v1/logs?limit=N: the newest N entries of the
// request log (default 50), as {"object":"list","data":[…]}.
func (s *Server) handleLogs(w http.ResponseWriter, r *http.Request) {
	limit := 50
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLogsLimit {
			s.writeAPIError(w, r, badRequest(fmt.Sprintf("limit is %q", v),
				fmt.Sprintf("pass a whole number from 1 to %d", maxLogsLimit)))
			return
		}
		limit = n
	}
	entries := []requestlog.Entry{}
	if s.reqlog != nil {
		var err error
		entries, err = s.reqlog.List(r.Context(), limit)
		if err != nil {
			s.writeAPIError(w, r, &sluice.Error{Kind: sluice.KindServer, Status: http.StatusInternalServerError,
				Message: err.Error()})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": entries, "enabled": s.reqlog != nil})
}
