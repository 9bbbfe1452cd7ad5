package ollama

import (
	"encoding/json"
	"time"

	"github.com/sluicehq/sluice"
)

// ChatResponseFromResult returns the reply of POST /api/chat with
// "stream":false for a finished stream: one ChatResponse object holding the
// whole message (content, thinking, tool_calls), "done":true, done_reason,
// the token counts and durations derived from res.Metrics
// (total_duration = E2E, prompt_eval_duration = TTFT, eval_duration =
// E2E − TTFT). created_at is now.
func ChatResponseFromResult(res *sluice.Result, now time.Time) []byte {
	w := &writer{}
	w.open(nil)
	w.strField("model", res.Model)
	w.key("created_at")
	w.b = append(w.b, '"')
	w.b = now.AppendFormat(w.b, time.RFC3339Nano)
	w.b = append(w.b, '"')
	w.key("message")
	w.open(nil)
	w.strField("role", "assistant")
	w.strField("content", res.Text)
	if res.Reasoning != "" {
		w.strField("thinking", res.Reasoning)
	}
	if len(res.ToolCalls) > 0 {
		w.key("tool_calls")
		w.openArray()
		for i, tc := range res.ToolCalls {
			w.elem()
			w.open(nil)
			if tc.ID != "" {
				w.strField("id", tc.ID)
			}
			w.key("function")
			w.open(nil)
			w.key("index")
			w.int(int64(i))
			w.strField("name", tc.Name)
			w.key("arguments")
			if args := []byte(tc.Arguments); isObject(args) && json.Valid(args) {
				w.raw(args)
			} else {
				w.str(tc.Arguments)
			}
			w.close()
			w.close()
		}
		w.closeArray()
	}
	w.close()
	w.key("done")
	w.bool(true)
	reason := "stop"
	switch res.Finish {
	case sluice.FinishLength, sluice.FinishBudget:
		reason = "length"
	}
	if res.RawFinish != "" && res.Provider == Protocol {
		reason = res.RawFinish
	}
	w.strField("done_reason", reason)
	m := res.Metrics
	nonZero := func(k string, n int64) {
		if n > 0 {
			w.key(k)
			w.int(n)
		}
	}
	nonZero("total_duration", int64(m.E2E))
	nonZero("prompt_eval_count", res.Usage.InputTotal())
	nonZero("prompt_eval_duration", int64(m.TTFT))
	nonZero("eval_count", res.Usage.Output.N)
	nonZero("eval_duration", int64(m.E2E-m.TTFT))
	w.close()
	return w.b
}
