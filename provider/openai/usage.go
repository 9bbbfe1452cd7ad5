package openai

import (
	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// Usage both ways. OpenAI's prompt_tokens count cached tokens; sluice's
// Input does not, so the decoder subtracts prompt_tokens_details.cached_tokens
// and the encoder adds CacheRead (and CacheWrite) back.

// usageCounts are the counts of a usage object, each with whether it was
// there.
type usageCounts struct {
	prompt, completion, total, cached, reasoning                int64
	hasPrompt, hasCompletion, hasTotal, hasCached, hasReasoning bool
}

// readUsage reads an OpenAI usage object. A cached count above the prompt
// count, which no server means, is ignored.
func readUsage(v []byte) usageCounts {
	var c usageCounts
	it, _ := jsonwire.ObjectMembers(v)
	for k, val, ok := it.Next(); ok; k, val, ok = it.Next() {
		switch string(k) {
		case "prompt_tokens":
			c.prompt, c.hasPrompt = intValue(val)
		case "completion_tokens":
			c.completion, c.hasCompletion = intValue(val)
		case "total_tokens":
			c.total, c.hasTotal = intValue(val)
		case "prompt_tokens_details":
			if n, ok := jsonwire.Lookup(val, "cached_tokens"); ok {
				c.cached, c.hasCached = intValue(n)
			}
		case "completion_tokens_details":
			if n, ok := jsonwire.Lookup(val, "reasoning_tokens"); ok {
				c.reasoning, c.hasReasoning = intValue(n)
			}
		}
	}
	if c.hasCached && c.hasPrompt && c.cached > c.prompt {
		c.hasCached = false
	}
	return c
}

// usage normalises the counts: prompt_tokens include cached tokens, sluice's
// Input does not.
func (c usageCounts) usage() sluice.Usage {
	var u sluice.Usage
	if c.hasPrompt {
		u.Input = sluice.ReportedCount(c.prompt)
		if c.hasCached {
			u.Input = sluice.ReportedCount(c.prompt - c.cached)
		}
	}
	if c.hasCached {
		u.CacheRead = sluice.ReportedCount(c.cached)
	}
	if c.hasCompletion {
		u.Output = sluice.ReportedCount(c.completion)
	}
	if c.hasReasoning {
		u.Reasoning = sluice.ReportedCount(c.reasoning)
	}
	return u
}

// usage decodes a usage object into EventUsage and its residue.
func (d *Decoder) usage(data, v []byte, xgroq bool) {
	c := readUsage(v)
	u := c.usage()
	prompt, completion, total := c.prompt, c.completion, c.total
	hasPrompt, hasCompletion, hasTotal, hasCached, hasReasoning := c.hasPrompt, c.hasCompletion, c.hasTotal, c.hasCached, c.hasReasoning
	it, _ := jsonwire.ObjectMembers(v)

	var res span
	if !xgroq {
		start := len(d.tres)
		d.tres = append(d.tres, '{')
		for k, val, ok := it.Next(); ok; k, val, ok = it.Next() {
			switch string(k) {
			case "prompt_tokens":
				if hasPrompt {
					continue
				}
			case "completion_tokens":
				if hasCompletion {
					continue
				}
			case "total_tokens":
				if hasTotal && hasPrompt && hasCompletion && total == prompt+completion {
					continue
				}
			case "prompt_tokens_details":
				if d.detailsResidue(k, val, "cached_tokens", hasCached) {
					continue
				}
			case "completion_tokens_details":
				if d.detailsResidue(k, val, "reasoning_tokens", hasReasoning) {
					continue
				}
			}
			d.tres = jsonwire.AppendMember(d.tres, k, val)
		}
		d.tres = append(d.tres, '}')
		res = span{start, len(d.tres)}
		if len(d.tres)-start == 2 {
			d.tres = d.tres[:start]
			res = span{}
		}
	}
	ev := d.add(evMeta{chained: true, usage: res, usageInXGroq: xgroq})
	ev.Type, ev.Usage, ev.Raw = sluice.EventUsage, &u, data
}

// detailsResidue appends the residue of a *_tokens_details object, whose
// member modelled is carried by the Usage when known, and reports whether
// it appended it (false: the caller keeps the value verbatim).
func (d *Decoder) detailsResidue(key, val []byte, modelled string, known bool) bool {
	it, ok := jsonwire.ObjectMembers(val)
	if !ok || !known {
		return false
	}
	mark := len(d.tres)
	d.tres = jsonwire.Comma(d.tres)
	d.tres = append(d.tres, '"')
	d.tres = append(d.tres, key...)
	d.tres = append(d.tres, `":{`...)
	n := 0
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if string(k) == modelled {
			continue
		}
		d.tres = jsonwire.AppendMember(d.tres, k, v)
		n++
	}
	if n == 0 {
		d.tres = d.tres[:mark]
	} else {
		d.tres = append(d.tres, '}')
	}
	return true
}

// appendUsage appends u as an OpenAI usage object, prompt_tokens counting
// every input token (cached ones included), with the residue res merged in.
func appendUsage(b []byte, u *sluice.Usage, res []byte) []byte {
	prompt := u.InputTotal()
	b = append(b, '{')
	if _, ok := jsonwire.Lookup(res, "prompt_tokens"); !ok {
		b = append(b, `"prompt_tokens":`...)
		b = appendInt(b, prompt)
	}
	if _, ok := jsonwire.Lookup(res, "completion_tokens"); !ok {
		b = jsonwire.Comma(b)
		b = append(b, `"completion_tokens":`...)
		b = appendInt(b, u.Output.N)
	}
	if _, ok := jsonwire.Lookup(res, "total_tokens"); !ok {
		b = jsonwire.Comma(b)
		b = append(b, `"total_tokens":`...)
		b = appendInt(b, prompt+u.Output.N)
	}
	b = appendDetails(b, "prompt_tokens_details", "cached_tokens", u.CacheRead, res)
	b = appendDetails(b, "completion_tokens_details", "reasoning_tokens", u.Reasoning, res)
	it, _ := jsonwire.ObjectMembers(res)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		switch string(k) {
		case "prompt_tokens_details", "completion_tokens_details":
			if _, isObj := jsonwire.ObjectMembers(v); isObj {
				continue
			}
		}
		b = jsonwire.AppendMember(b, k, v)
	}
	return append(b, '}')
}

func appendDetails(b []byte, key, field string, c sluice.Count, res []byte) []byte {
	v, ok := jsonwire.Lookup(res, key)
	_, isObj := jsonwire.ObjectMembers(v)
	if (ok && !isObj) || (!ok && !c.Known()) {
		return b
	}
	b = jsonwire.Comma(b)
	b = jsonwire.AppendKey(b, key)
	b = append(b, '{')
	if c.Known() {
		b = jsonwire.AppendKey(b, field)
		b = appendInt(b, c.N)
	}
	it, _ := jsonwire.ObjectMembers(v)
	for k, val, ok := it.Next(); ok; k, val, ok = it.Next() {
		b = jsonwire.AppendMember(b, k, val)
	}
	return append(b, '}')
}
