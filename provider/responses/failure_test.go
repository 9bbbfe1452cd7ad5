package responses

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
)

// The codes a response.failed carries are the ones clients act on.
func TestFailureCode(t *testing.T) {
	for _, tt := range []struct {
		err        sluice.Error
		code, want string // want: a substring of the message
	}{
		{sluice.Error{Kind: sluice.KindRateLimit, Message: "Rate limit reached.", RetryAfter: 1500 * time.Millisecond}, "rate_limit_exceeded", "Please try again in 1.5s."},
		{sluice.Error{Kind: sluice.KindRateLimit, Message: "slow down; try again in 3s"}, "rate_limit_exceeded", "try again in 3s"},
		{sluice.Error{Kind: sluice.KindBadRequest, Code: "context_length_exceeded", Message: "too long"}, "context_length_exceeded", "too long"},
		{sluice.Error{Kind: sluice.KindBadRequest, Message: "prompt is too long: 250000 tokens > 200000 maximum"}, "context_length_exceeded", "prompt is too long"},
		{sluice.Error{Kind: sluice.KindPermission, Code: "insufficient_quota", Message: "quota"}, "insufficient_quota", "quota"},
		{sluice.Error{Kind: sluice.KindPermission, Status: http.StatusPaymentRequired, Message: "billing"}, "insufficient_quota", "billing"},
		{sluice.Error{Kind: sluice.KindOverloaded, Message: "Overloaded"}, "server_is_overloaded", "Overloaded"},
		{sluice.Error{Kind: sluice.KindBadRequest, Message: "bad"}, "invalid_prompt", "bad"},
		{sluice.Error{Kind: sluice.KindTruncated, Message: "cut"}, "server_error", "cut"},
		{sluice.Error{Kind: sluice.KindServer}, "server_error", "server"},
	} {
		code, msg := FailureCode(&tt.err)
		if code != tt.code || !strings.Contains(msg, tt.want) {
			t.Errorf("%+v: %q %q, want %q and a message with %q", tt.err, code, msg, tt.code, tt.want)
		}
		// The decoder reads what the encoder wrote back to the same kind of
		// failure, and the wait.
		if tt.code == "rate_limit_exceeded" && retryAfterIn(msg) == 0 {
			t.Errorf("%q names no wait", msg)
		}
	}
}
