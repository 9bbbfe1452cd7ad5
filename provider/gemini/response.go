package gemini

import (
	"strings"

	"github.com/sluicehq/sluice"
)

// ResponseFromResult returns the reply of POST
// /models/{model}:generateContent (not streamed) for a finished stream: one
// GenerateContentResponse with a candidate per choice, its parts in item
// order (reasoning as thought parts, text, function calls, each with its
// Gemini thought signature), finishReason, usageMetadata, modelVersion and
// responseId. Items sluice keeps no content for (ItemOther) are left out.
func ResponseFromResult(res *sluice.Result) []byte {
	e := &Encoder{model: res.Model, id: res.ID, items: map[int]*item{}}
	for _, it := range res.Items {
		sig := signatureOf(it.Opaque)
		switch it.Kind {
		case sluice.ItemReasoning:
			text := it.Summary
			if text == "" {
				text = it.Text
			}
			if text == "" && sig == "" {
				continue
			}
			kind := partThought
			if text == "" {
				kind = partSig
			}
			p := e.newPart(it.Choice, kind, it.Index)
			p.text = append(p.text, text...)
			p.sig = sig
			if kind == partSig {
				p.ov = append(p.ov, `{"text":""}`...)
			}
		case sluice.ItemMessage:
			text := it.Text
			if it.Refusal != "" {
				text += it.Refusal
			}
			p := e.newPart(it.Choice, partText, it.Index)
			p.text = append(p.text, text...)
			p.sig = sig
		case sluice.ItemToolCall:
			p := e.newPart(it.Choice, partCall, it.Index)
			p.name, p.sig = it.Name, sig
			if !isSynthesisedID(it.CallID) {
				p.id = it.CallID
			}
			p.args = append(p.args, it.Arguments()...)
		}
	}
	if len(e.cands) == 0 {
		e.cand(0)
	}
	for i := range e.cands {
		c := &e.cands[i]
		c.hasFinish, c.finish = true, "STOP"
		if c.choice == 0 {
			c.finish = finishName(res.Finish)
			if raw := res.RawFinish; raw != "" && raw == strings.ToUpper(raw) && !strings.ContainsAny(raw, " -.") {
				c.finish = raw // Gemini's own value
			}
		}
	}
	var u *sluice.Usage
	if !res.Usage.IsZero() {
		u = &res.Usage
	}
	return e.appendChunk(nil, nil, u, false)
}
