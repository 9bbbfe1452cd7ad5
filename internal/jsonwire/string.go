package jsonwire

import (
	"bytes"
	"encoding/json"
	"slices"
	"unicode/utf16"
	"unicode/utf8"
)

// This file quotes Go strings as JSON and unquotes JSON strings, both the
// way encoding/json does, without its reflection and allocations.

const hexDigits = "0123456789abcdef"

// plain and htmlPlain say which ASCII bytes are copied as they are: all but
// the control characters, the quote and the backslash; htmlPlain also
// escapes <, > and &, as json.Marshal does so that its output is safe inside
// an HTML script element.
var plain, htmlPlain = plainASCII(false), plainASCII(true)

func plainASCII(html bool) (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\'
	}
	if html {
		t['<'], t['>'], t['&'] = false, false, false
	}
	return t
}

// AppendString appends s to dst as a JSON string, exactly as a json.Encoder
// with SetEscapeHTML(false) writes it: quote, backslash and control
// characters escaped (\n, \r, \t, \b, \f by name), U+2028 and U+2029 escaped
// so the output is also valid JavaScript, and invalid UTF-8 replaced by
// U+FFFD so the output is always valid JSON; <, > and & are left alone, as
// the OpenAI and Anthropic APIs leave them. It allocates only when dst must
// grow.
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s, &plain)
	return append(dst, '"')
}

// AppendHTMLString appends s to dst as a JSON string exactly as json.Marshal
// writes it: as [AppendString] does, and <, > and & escaped as \u003c, \u003e
// and \u0026. This is what a Go server (Ollama) and Google's JSON encoders
// send, and what is safe to put in an HTML page. It allocates only when dst
// must grow.
func AppendHTMLString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	dst = appendEscaped(dst, s, &htmlPlain)
	return append(dst, '"')
}

// AppendEscaped appends s escaped as [AppendString] escapes it, without the
// quotes, for a JSON string written in pieces.
func AppendEscaped(dst []byte, s string) []byte { return appendEscaped(dst, s, &plain) }

// appendEscaped appends s escaped for the inside of a JSON string, copying
// the runs of bytes that need no escape in one append each.
func appendEscaped(dst []byte, s string, ascii *[utf8.RuneSelf]bool) []byte {
	// Room for s at once: a long text (a Responses stream's closing
	// events repeat the whole answer) would otherwise regrow dst by
	// doubling, a chain of copies each left as garbage.
	dst = slices.Grow(dst, len(s))
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if ascii[c] {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	return append(dst, s[start:]...)
}

// Unquote returns the JSON string literal raw as a Go string, decoded as
// json.Unmarshal decodes it: invalid UTF-8 and unpaired surrogates become
// U+FFFD. ok is false, and the string empty, when raw is not a string
// literal (null included) or holds an invalid escape. The string is the only
// allocation: a literal with escapes is decoded into *scratch, which is
// grown as needed and kept for the next call; scratch may be nil.
func Unquote(raw []byte, scratch *[]byte) (s string, ok bool) {
	body, isLiteral := literal(raw)
	if !isLiteral {
		return "", false
	}
	if asIs(body) {
		return string(body), true
	}
	var buf []byte
	if scratch != nil {
		buf = (*scratch)[:0]
	}
	buf, ok = unescape(buf, body, false)
	if scratch != nil {
		*scratch = buf
	}
	if !ok {
		return "", false
	}
	return string(buf), true
}

// UnmarshalString decodes raw as json.Unmarshal decodes it into a string: a
// string literal is unquoted as [Unquote] does, null leaves "" without an
// error, and anything else is encoding/json's error (which a protocol error
// can quote). A literal costs only the string.
func UnmarshalString(raw []byte) (string, error) {
	if body, ok := literal(raw); ok {
		if asIs(body) {
			return string(body), nil
		}
		var buf [64]byte
		if text, ok := unescape(buf[:0], body, false); ok {
			return string(text), nil
		}
	}
	var s string
	err := json.Unmarshal(raw, &s)
	return s, err
}

// StringEquals reports whether raw is a JSON string literal that decodes to
// s, without allocating. It is [KeyEquals] for a literal with its quotes,
// and like it compares invalid UTF-8 as written.
func StringEquals(raw []byte, s string) bool {
	body, ok := literal(raw)
	return ok && KeyEquals(body, s)
}

// KeyEquals reports whether key, a member's key as [Members.Next] returns it
// (the text between the quotes), names name once its escapes are decoded
// ("\u0074ype" names "type"), without allocating. Bytes outside escapes are
// compared as written, invalid UTF-8 included (encoding/json would read
// U+FFFD there): such a key, which only a broken upstream sends, then
// matches no name spelled in valid UTF-8 and is kept as it came. As decoding an escape only ever
// shortens a key, a mismatch is usually settled by the lengths or the first
// byte, which matters to decoders that test each key against a few names.
func KeyEquals(key []byte, name string) bool {
	if len(key) == len(name) {
		return string(key) == name && bytes.IndexByte(key, '\\') < 0
	}
	if len(key) < len(name) || len(name) == 0 || (key[0] != '\\' && key[0] != name[0]) {
		return false
	}
	return bytes.IndexByte(key, '\\') >= 0 && decodesTo(key, name)
}

// decodesTo reports whether the escaped key decodes to name.
func decodesTo(key []byte, name string) bool {
	var buf [64]byte
	u, ok := unescape(buf[:0], key, true)
	return ok && string(u) == name
}

// KeyString returns the name key spells, a member's key as [Members.Next]
// returns it, decoded as encoding/json decodes it (escapes, and U+FFFD for
// invalid UTF-8); a key with an invalid escape (not valid JSON) is decoded
// up to it. It allocates only the string.
func KeyString(key []byte) string {
	if bytes.IndexByte(key, '\\') < 0 && utf8.Valid(key) {
		return string(key)
	}
	var buf [64]byte
	u, _ := unescape(buf[:0], key, false)
	return string(u)
}

// literal returns the text between the quotes of raw; ok is false when raw
// is not a string literal.
func literal(raw []byte) (body []byte, ok bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, false
	}
	return raw[1 : len(raw)-1], true
}

// asIs reports whether body, a literal's text, reads as itself: no
// escapes, valid UTF-8. It is the common case in a token stream.
func asIs(body []byte) bool { return bytes.IndexByte(body, '\\') < 0 && utf8.Valid(body) }

// unescape appends to dst the decoded text of body, the inside of a JSON
// string literal. Invalid UTF-8 becomes U+FFFD, unless verbatim is set: then
// bytes that are not part of an escape are copied as they are. ok is false
// at an invalid escape.
func unescape(dst, body []byte, verbatim bool) (_ []byte, ok bool) {
	s := body
	for i := 0; i < len(s); {
		c := s[i]
		if c != '\\' {
			if c < utf8.RuneSelf || verbatim {
				dst = append(dst, c)
				i++
				continue
			}
			r, n := utf8.DecodeRune(s[i:])
			dst = utf8.AppendRune(dst, r) // RuneError for invalid bytes
			i += n
			continue
		}
		if i+1 >= len(s) {
			return dst, false
		}
		switch s[i+1] {
		case '"', '\\', '/':
			dst = append(dst, s[i+1])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(s, i+2)
			if !ok {
				return dst, false
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A pair decodes to one rune; anything else, as in
				// encoding/json, to U+FFFD, leaving what follows alone.
				if i+1 < len(s) && s[i] == '\\' && s[i+1] == 'u' {
					if r2, ok := hex4(s, i+2); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							dst = utf8.AppendRune(dst, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

// hex4 reads the four hex digits at s[i:].
func hex4(s []byte, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}
