package ollama

import (
	"encoding/json"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// ChatResponseFromResult returns the reply of POST /api/chat with
// "stream":false for a finished stream: one ChatResponse object holding the
// whole message (content, thinking, tool_calls), "done":true, done_reason,
// the token counts and durations derived from res.Metrics
// (total_duration = E2E, prompt_eval_duration = TTFT, eval_duration =
// E2E − TTFT). created_at is now.
func ChatResponseFromResult(res *sluice.Result, now time.Time) []byte {
	w := &jsonwire.Writer{}
	w.Open(nil)
	w.StrField("model", res.Model)
	w.Key("created_at")
	w.Buf = append(w.Buf, '"')
	w.Buf = now.AppendFormat(w.Buf, time.RFC3339Nano)
	w.Buf = append(w.Buf, '"')
	w.Key("message")
	w.Open(nil)
	w.StrField("role", "assistant")
	w.StrField("content", res.Text)
	if res.Reasoning != "" {
		w.StrField("thinking", res.Reasoning)
	}
	if len(res.ToolCalls) > 0 {
		w.Key("tool_calls")
		w.OpenArray()
		for i, tc := range res.ToolCalls {
			w.Elem()
			w.Open(nil)
			if tc.ID != "" {
				w.StrField("id", tc.ID)
			}
			w.Key("function")
			w.Open(nil)
			w.Key("index")
			w.Int(int64(i))
			w.StrField("name", tc.Name)
			w.Key("arguments")
			if args := []byte(tc.Arguments); jsonwire.IsObject(args) && json.Valid(args) {
				w.Raw(args)
			} else {
				w.Str(tc.Arguments)
			}
			w.Close()
			w.Close()
		}
		w.CloseArray()
	}
	w.Close()
	w.Key("done")
	w.Bool(true)
	reason := "stop"
	switch res.Finish {
	case sluice.FinishLength, sluice.FinishBudget:
		reason = "length"
	}
	if res.RawFinish != "" && res.Provider == Protocol {
		reason = res.RawFinish
	}
	w.StrField("done_reason", reason)
	m := res.Metrics
	nonZero := func(k string, n int64) {
		if n > 0 {
			w.Key(k)
			w.Int(n)
		}
	}
	nonZero("total_duration", int64(m.E2E))
	nonZero("prompt_eval_count", res.Usage.InputTotal())
	nonZero("prompt_eval_duration", int64(m.TTFT))
	nonZero("eval_count", res.Usage.Output.N)
	nonZero("eval_duration", int64(m.E2E-m.TTFT))
	w.Close()
	return w.Buf
}
