package gemini

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/encodertest"
)

// The encoder builds each payload in a buffer borrowed from bufpool and
// gives it back at Flush, so a stream waiting for its provider holds none.
func TestEncoderHoldsNoBufferAfterFlush(t *testing.T) {
	var out strings.Builder
	e := NewEncoder(&out, EncoderOptions{})
	encodertest.HoldsNoBufferAfterFlush(t, e, e.buf.Held, &out)
}
