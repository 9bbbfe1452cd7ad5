package jsonwire

// AppendCompact appends src, valid JSON, to dst without its insignificant
// whitespace: what json.Compact writes, at the speed of a copy for JSON
// that is compact already (strings are skipped eight bytes at a time).
// src must be valid (see [Valid]); on invalid input the result is
// unspecified but AppendCompact does not panic.
func AppendCompact(dst, src []byte) []byte {
	start := 0
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"':
			i = stringEnd(src, i)
		case isSpace(c):
			dst = append(dst, src[start:i]...)
			i = skipSpace(src, i)
			start = i
		default:
			i++
		}
	}
	return append(dst, src[start:]...)
}
