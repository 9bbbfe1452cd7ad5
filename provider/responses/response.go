package responses

import (
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// appendItem appends the JSON of an output item: as output_item.added
// shows it (added: empty content) or complete.
func (e *Encoder) appendItem(b []byte, it *encItem, status string, added bool) []byte {
	b = append(b, `{"id":`...)
	b = jsonwire.AppendString(b, it.id)
	switch {
	case it.kind == sluice.ItemMessage:
		b = append(b, `,"type":"message","status":`...)
		b = jsonwire.AppendString(b, status)
		b = append(b, `,"role":"assistant","content":[`...)
		if !added {
			for i, p := range it.parts {
				if i > 0 {
					b = append(b, ',')
				}
				b = append(b, p...)
			}
		}
		return append(b, "]}"...)
	case it.kind == sluice.ItemReasoning:
		b = append(b, `,"type":"reasoning","summary":[`...)
		if !added && it.text.Len() > 0 {
			b = append(b, `{"type":"summary_text","text":`...)
			b = jsonwire.AppendString(b, it.text.String())
			b = append(b, '}')
		}
		b = append(b, ']')
		if !added {
			if enc := e.encrypted(it); enc != "" {
				b = append(b, `,"encrypted_content":`...)
				b = jsonwire.AppendString(b, enc)
			}
		}
		return append(b, '}')
	case it.custom:
		b = append(b, `,"type":"custom_tool_call","status":`...)
		b = jsonwire.AppendString(b, status)
		b = append(b, `,"call_id":`...)
		b = jsonwire.AppendString(b, it.callID)
		b = append(b, `,"name":`...)
		b = jsonwire.AppendString(b, it.name)
		b = append(b, `,"input":`...)
		if added {
			b = append(b, `""`...)
		} else {
			b = jsonwire.AppendString(b, it.text.String())
		}
		return append(b, '}')
	}
	b = append(b, `,"type":"function_call","status":`...)
	b = jsonwire.AppendString(b, status)
	b = append(b, `,"arguments":`...)
	if added {
		b = append(b, `""`...)
	} else {
		b = jsonwire.AppendString(b, it.text.String())
	}
	b = append(b, `,"call_id":`...)
	b = jsonwire.AppendString(b, it.callID)
	b = append(b, `,"name":`...)
	b = jsonwire.AppendString(b, it.name)
	return append(b, '}')
}

// encrypted returns the encrypted_content of a reasoning item: OpenAI's
// own data as it came from a Responses upstream, anything else sealed.
func (e *Encoder) encrypted(it *encItem) string {
	if len(it.opaque) == 0 {
		return ""
	}
	if e.opts.Native && len(it.opaque) == 1 && it.opaque[0].Kind == sluice.OpaqueEncrypted && it.callID == "" {
		return it.opaque[0].Data
	}
	s := sluice.Sealed{Opaque: it.opaque, CallID: it.callID}
	if it.callID == "" {
		s.Text = it.text.String()
	}
	return sluice.Seal(s)
}

// appendResponse appends the response object in the given status. final
// adds the output and the usage; err the error of a failed response;
// incomplete the reason of an incomplete one.
func (e *Encoder) appendResponse(b []byte, status string, final bool, err *sluice.Error, incomplete string) []byte {
	b = append(b, `{"id":`...)
	b = jsonwire.AppendString(b, e.id)
	b = append(b, `,"object":"response","created_at":`...)
	b = appendInt(b, e.created)
	b = append(b, `,"status":`...)
	b = jsonwire.AppendString(b, status)
	if status == "completed" {
		b = append(b, `,"completed_at":`...)
		b = appendInt(b, max(e.created, nowUnix()))
	}
	b = append(b, `,"error":`...)
	if err != nil {
		code, msg := FailureCode(err)
		b = append(b, `{"code":`...)
		b = jsonwire.AppendString(b, code)
		b = append(b, `,"message":`...)
		b = jsonwire.AppendString(b, msg)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	if incomplete != "" {
		b = append(b, `{"reason":`...)
		b = jsonwire.AppendString(b, incomplete)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"model":`...)
	b = jsonwire.AppendString(b, e.model)
	b = append(b, `,"output":[`...)
	if final {
		for i, it := range e.out {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, it...)
		}
	}
	b = append(b, `],"usage":`...)
	if final {
		b = appendUsage(b, e.usage)
	} else {
		b = append(b, "null"...)
	}
	b = e.echo.append(b)
	return append(b, '}')
}

// appendUsage appends a usage object with every field clients require:
// input_tokens count cached tokens (and cache writes), output_tokens count
// reasoning tokens; unknown counts are 0.
func appendUsage(b []byte, u sluice.Usage) []byte {
	in := u.InputTotal()
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, in)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = appendInt(b, u.CacheRead.N)
	b = append(b, `},"output_tokens":`...)
	b = appendInt(b, u.Output.N)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = appendInt(b, u.Reasoning.N)
	b = append(b, `},"total_tokens":`...)
	b = appendInt(b, in+u.Output.N)
	return append(b, '}')
}

// FailureCode returns the error code and message a response.failed event
// carries for e, chosen so that clients act on them as on OpenAI's own:
// rate_limit_exceeded with "Please try again in N s." when e has a
// RetryAfter (Codex waits that long), context_length_exceeded for a prompt
// that does not fit, insufficient_quota for billing, server_is_overloaded,
// invalid_prompt for other bad requests, and server_error for the rest.
func FailureCode(e *sluice.Error) (code, message string) {
	msg := e.Message
	if msg == "" {
		msg = e.Error()
	}
	lower := strings.ToLower(msg + " " + e.Code)
	switch {
	case e.Code == "context_length_exceeded" || strings.Contains(lower, "context length") ||
		strings.Contains(lower, "context window") || strings.Contains(lower, "prompt is too long") ||
		strings.Contains(lower, "maximum context"):
		return "context_length_exceeded", msg
	case e.Kind == sluice.KindRateLimit:
		if e.RetryAfter > 0 && !strings.Contains(lower, "try again in") {
			secs := strconv.FormatFloat(e.RetryAfter.Seconds(), 'f', -1, 64)
			msg = strings.TrimRight(msg, ". ") + ". Please try again in " + secs + "s."
		}
		return "rate_limit_exceeded", msg
	case e.Code == "insufficient_quota" || e.Code == "billing_error" || e.Code == "billing_hard_limit_reached" || e.Status == 402:
		return "insufficient_quota", msg
	case e.Kind == sluice.KindOverloaded:
		return "server_is_overloaded", msg
	case e.Kind == sluice.KindBadRequest || e.Kind == sluice.KindContentFilter:
		return "invalid_prompt", msg
	}
	return "server_error", msg
}
