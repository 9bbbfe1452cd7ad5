package sluice

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// SealPrefix starts every string [Seal] returns. No provider's own opaque
// data starts with it: Anthropic signatures and OpenAI encrypted content are
// plain base64, Gemini thought signatures too, and none holds a '.'.
const SealPrefix = "sluice1."

// Sealed is what a sealed string carries: the opaque data of one reasoning
// item (or of the tool call it rode on), with the reasoning text that was
// signed, so both come back exactly even through a client that shows or
// keeps only a summary.
type Sealed struct {
	// Text is the reasoning text the opaque data belongs to.
	Text string `json:"t,omitempty"`
	// Opaque is the data, each with the provider that issued it.
	Opaque []Opaque `json:"o"`
	// CallID, when set, names the tool call the data rode on (Gemini signs
	// function calls): it goes back on that call, not on a reasoning part.
	CallID string `json:"c,omitempty"`
}

// Seal packs opaque reasoning data into one string that fits any API's
// field for opaque data: an Anthropic thinking block's signature, a
// Responses reasoning item's encrypted_content, a chat tool call's id. A
// frontend writes it where a client will send it back unchanged; the
// request parser then calls [Unseal], and the data goes back to the
// provider that issued it, and only to it, since each adapter sends only
// its own. The string is SealPrefix followed by unpadded base64url of JSON,
// so it holds only [A-Za-z0-9_.-].
func Seal(s Sealed) string {
	b, _ := json.Marshal(s) // strings and a slice of structs of strings: cannot fail
	return SealPrefix + base64.RawURLEncoding.EncodeToString(b)
}

// Unseal reads a string made by [Seal]. It reports false for anything else,
// which is then some provider's own opaque data, to be kept as it is.
func Unseal(s string) (Sealed, bool) {
	rest, ok := strings.CutPrefix(s, SealPrefix)
	if !ok {
		return Sealed{}, false
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	if err != nil {
		return Sealed{}, false
	}
	var out Sealed
	if json.Unmarshal(b, &out) != nil || len(out.Opaque) == 0 {
		return Sealed{}, false
	}
	return out, true
}

// UnsealRequest replaces every sealed string a request parser left in the
// Opaque of req's parts with the data it carries: a reasoning part gets its
// issuers' data back, and its text when the client sent none or another
// (a summary it rewrote); data that rode on a tool call goes back on the
// part calling that id in the same message. It reports whether it changed
// anything. Frontends call it once per request, before routing.
func UnsealRequest(req *Request) bool {
	changed := false
	for mi := range req.Messages {
		m := &req.Messages[mi]
		var onCalls []Sealed
		for pi := range m.Content {
			p := &m.Content[pi]
			var keep []Opaque
			sealed := false
			for _, o := range p.Opaque {
				s, ok := Unseal(o.Data)
				if !ok {
					keep = append(keep, o)
					continue
				}
				sealed = true
				if s.CallID != "" && p.Type != PartToolCall {
					onCalls = append(onCalls, s)
					continue
				}
				keep = append(keep, s.Opaque...)
				if p.Type == PartReasoning && s.Text != "" {
					p.Text = s.Text
				}
			}
			if sealed {
				p.Opaque, changed = keep, true
			}
		}
		for _, s := range onCalls {
			for pi := range m.Content {
				p := &m.Content[pi]
				if p.Type == PartToolCall && p.CallID == s.CallID {
					p.Opaque = append(p.Opaque, s.Opaque...)
				}
			}
		}
		if len(onCalls) > 0 {
			// A reasoning part that only carried a tool call's data has
			// nothing left to say.
			m.Content = dropEmptyReasoning(m.Content)
		}
	}
	return changed
}

func dropEmptyReasoning(parts []Part) []Part {
	out := parts[:0]
	for _, p := range parts {
		if p.Type == PartReasoning && p.Text == "" && len(p.Opaque) == 0 {
			continue
		}
		out = append(out, p)
	}
	return out
}
