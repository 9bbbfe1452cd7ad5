package openai

import (
	"strconv"

	"github.com/sluicehq/sluice/internal/jsonwire"
)

// The two JSON value readers this package adds to internal/jsonwire, which
// walks the chunks and does the quoting: both treat a value of the wrong
// type the way the decoder wants it, as absent.

// stringValue returns the JSON string v as a Go string, or "" for null, a
// non-string or an invalid escape. It allocates the string and nothing else:
// scratch is reused for escaped strings.
func stringValue(v []byte, scratch *[]byte) string {
	s, _ := jsonwire.Unquote(v, scratch)
	return s
}

// intValue parses a JSON number as an int64. Fractions are truncated; ok is
// false for anything that is not a number or does not fit.
func intValue(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 19 {
		return floatInt(v)
	}
	var n int64
	neg := v[0] == '-'
	i := 0
	if neg {
		i = 1
	}
	if i == len(v) {
		return 0, false
	}
	for ; i < len(v); i++ {
		c := v[i]
		if c < '0' || c > '9' {
			return floatInt(v)
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

func floatInt(v []byte) (int64, bool) {
	f, err := strconv.ParseFloat(string(v), 64)
	if err != nil || f > 1<<62 || f < -(1<<62) {
		return 0, false
	}
	return int64(f), true
}
