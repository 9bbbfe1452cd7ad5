package sim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice"
)

// signer issues and checks reasoning signatures. A signature is
// base64(h ‖ mac) with h the first 16 bytes of SHA-256 of the reasoning text
// and mac the first 16 bytes of HMAC-SHA256(key, h): it proves the simulator
// issued it and, when the reasoning text comes back beside it, that the text
// is the one it signed. Like a real provider's, it is opaque to clients.
type signer struct{ key []byte }

func newSigner(key []byte) signer {
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	return signer{key: key}
}

const sigHalf = 16

func (s signer) sign(text string) string {
	h := sha256.Sum256([]byte(text))
	m := hmac.New(sha256.New, s.key)
	m.Write(h[:sigHalf])
	return base64.StdEncoding.EncodeToString(m.Sum(h[:sigHalf:sigHalf])[:2*sigHalf])
}

// verify reports whether sig is a signature this signer issued, for text
// when text is not empty (clients may send back the signature alone, as
// Gemini clients do with thought signatures).
func (s signer) verify(text, sig string) bool {
	b, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(b) != 2*sigHalf {
		return false
	}
	m := hmac.New(sha256.New, s.key)
	m.Write(b[:sigHalf])
	if !hmac.Equal(m.Sum(nil)[:sigHalf], b[sigHalf:]) {
		return false
	}
	if text == "" {
		return true
	}
	h := sha256.Sum256([]byte(text))
	return hmac.Equal(h[:sigHalf], b[:sigHalf])
}

// checkSignatures returns the 400 a real provider gives when an assistant
// turn's reasoning did not come back intact: every opaque datum of kind must
// verify, and every assistant turn holding a tool call must carry one (the
// reasoning that led to the call), as Anthropic requires with thinking on.
// It returns nil for a protocol without signatures (kind "").
func (s signer) checkSignatures(req *sluice.Request, kind sluice.OpaqueKind) *sluice.Error {
	if kind == "" {
		return nil
	}
	for i, m := range req.Messages {
		if m.Role != sluice.RoleAssistant {
			continue
		}
		signed, calls := false, false
		for j, p := range m.Content {
			calls = calls || p.Type == sluice.PartToolCall
			// The signature rides on the reasoning (Anthropic) or on any
			// part (Gemini puts thought signatures on function calls); only
			// reasoning text is what was signed.
			text := ""
			if p.Type == sluice.PartReasoning {
				text = p.Text
			}
			for _, o := range p.Opaque {
				if o.Kind != kind {
					continue
				}
				if !s.verify(text, o.Data) {
					return signatureError(fmt.Sprintf("messages.%d.content.%d: Invalid `signature` in `thinking` block", i, j))
				}
				signed = true
			}
		}
		if calls && !signed {
			return signatureError(fmt.Sprintf("messages.%d.content.0: Expected `thinking` or `redacted_thinking` with a valid `signature` before `tool_use`, "+
				"because the simulator requires reasoning signatures to come back (send the previous turn's reasoning, signature included, unchanged)", i))
		}
	}
	return nil
}

func signatureError(msg string) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest, Code: "invalid_request_error", Message: msg}
}
