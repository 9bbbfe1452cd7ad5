package responses

import (
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/sluicehq/sluice/sse"
)

// Checked is what [Check] read from a valid stream.
type Checked struct {
	// ID and Status are the final response's.
	ID, Status string
	// Events counts the events, Types lists their types in order.
	Events int
	Types  []string
	// Output is the final response's output items.
	Output []map[string]any
	// Text is the message text of the output, Reasoning its reasoning
	// summaries, and Calls its function and custom tool calls.
	Text, Reasoning string
	Calls           []map[string]any
	// Usage is the final response's usage object (nil for a failed one
	// that has none); ErrorCode and ErrorMessage a failed response's error.
	Usage                   map[string]any
	ErrorCode, ErrorMessage string
	// Incomplete is an incomplete response's reason.
	Incomplete string
}

// Check reads a whole Responses event stream and reports the first way it
// breaks the grammar clients rely on, or what it said: every event's type
// equals its SSE event name; sequence_number counts from 0 without gaps;
// response.created then response.in_progress come first; output items come
// one at a time in output_index order, each opened by output_item.added
// (a message with content [], a function call with arguments "") and
// closed by output_item.done, with every event in between naming the open
// item; every .done event and the done item repeat exactly what the deltas
// said; the stream ends with exactly one of response.completed,
// response.incomplete or response.failed, after which nothing comes, and an
// error event is never the last word; the final response has the id of
// the first, its output equals the done items in order, and a completed
// response's usage has input_tokens_details.cached_tokens and
// output_tokens_details.reasoning_tokens.
//
// It is the oracle of sluice's grammar tests, exported so that any
// Responses server can be checked with it.
func Check(r io.Reader) (*Checked, error) {
	c := &checker{out: &Checked{}}
	d := sse.NewDecoder(r)
	for d.Next() {
		ev := d.Event()
		if err := c.event(ev.Type, ev.Data); err != nil {
			return c.out, fmt.Errorf("event %d (%s): %w", c.out.Events-1, ev.Type, err)
		}
	}
	if err := d.Err(); err != nil {
		return c.out, err
	}
	if !c.ended {
		return c.out, fmt.Errorf("the stream ended after %d events without response.completed, response.incomplete or response.failed", c.out.Events)
	}
	return c.out, nil
}

type checker struct {
	out     *Checked
	id      string
	ended   bool
	errSeen bool
	open    *chkItem
	next    int
	done    []map[string]any
	text    strings.Builder
	reason  strings.Builder
}

// chkItem is the open output item: what its deltas said.
type chkItem struct {
	index   int
	id      string
	typ     string
	part    int // content parts added
	partOn  bool
	texts   []string // per content part
	summary strings.Builder
	args    strings.Builder
}

func (c *checker) event(name string, data []byte) error {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("data is not a JSON object: %v", err)
	}
	typ, _ := m["type"].(string)
	seq, ok := m["sequence_number"].(float64)
	n := c.out.Events
	c.out.Events++
	c.out.Types = append(c.out.Types, typ)
	switch {
	case typ != name:
		return fmt.Errorf("type %q differs from the SSE event name %q", typ, name)
	case !ok || int(seq) != n:
		return fmt.Errorf("sequence_number is %v, want %d", m["sequence_number"], n)
	case c.ended:
		return fmt.Errorf("%s after the terminal event", typ)
	case n == 0 && typ != "response.created":
		return fmt.Errorf("the first event is %s, not response.created", typ)
	case n == 1 && typ != "response.in_progress":
		return fmt.Errorf("the second event is %s, not response.in_progress", typ)
	}
	if c.errSeen && typ != "response.failed" {
		return fmt.Errorf("%s after an error event; only response.failed may follow it", typ)
	}
	str := func(k string) string { s, _ := m[k].(string); return s }
	item := func() error {
		if c.open == nil {
			return fmt.Errorf("%s while no item is open", typ)
		}
		if oi, _ := m["output_index"].(float64); int(oi) != c.open.index {
			return fmt.Errorf("output_index %v, but the open item is %d", m["output_index"], c.open.index)
		}
		if id := str("item_id"); id != c.open.id {
			return fmt.Errorf("item_id %q, but the open item is %q", id, c.open.id)
		}
		return nil
	}
	switch typ {
	case "response.created", "response.in_progress":
		resp, _ := m["response"].(map[string]any)
		if resp == nil {
			return fmt.Errorf("no response object")
		}
		id, _ := resp["id"].(string)
		if id == "" {
			return fmt.Errorf("the response has no id")
		}
		if c.id == "" {
			c.id = id
		} else if id != c.id {
			return fmt.Errorf("response id %q, earlier %q", id, c.id)
		}
		if out, _ := resp["output"].([]any); len(out) != 0 {
			return fmt.Errorf("%s has output already", typ)
		}
	case "response.output_item.added":
		if c.open != nil {
			return fmt.Errorf("output_item.added while item %d is open", c.open.index)
		}
		it, _ := m["item"].(map[string]any)
		oi, _ := m["output_index"].(float64)
		if it == nil || int(oi) != c.next {
			return fmt.Errorf("output_item.added with output_index %v, want %d", m["output_index"], c.next)
		}
		ci := &chkItem{index: c.next, typ: fmt.Sprint(it["type"])}
		ci.id, _ = it["id"].(string)
		if ci.id == "" {
			return fmt.Errorf("the added item has no id")
		}
		switch ci.typ {
		case "message":
			if content, ok := it["content"].([]any); !ok || len(content) != 0 {
				return fmt.Errorf("the added message's content is %v, want []", it["content"])
			}
		case "function_call":
			if it["arguments"] != "" {
				return fmt.Errorf("the added function_call's arguments are %v, want \"\"", it["arguments"])
			}
			if it["call_id"] == "" || it["name"] == "" {
				return fmt.Errorf("the added function_call has no call_id or name")
			}
		}
		c.open = ci
		c.next++
	case "response.content_part.added":
		if err := item(); err != nil {
			return err
		}
		if ci, _ := m["content_index"].(float64); int(ci) != c.open.part || c.open.partOn {
			return fmt.Errorf("content_part.added with content_index %v while part %d is expected", m["content_index"], c.open.part)
		}
		c.open.partOn = true
		c.open.texts = append(c.open.texts, "")
	case "response.output_text.delta", "response.refusal.delta":
		if err := item(); err != nil {
			return err
		}
		if !c.open.partOn {
			return fmt.Errorf("a delta outside a content part")
		}
		c.open.texts[len(c.open.texts)-1] += str("delta")
	case "response.output_text.done", "response.refusal.done":
		if err := item(); err != nil {
			return err
		}
		field := "text"
		if typ == "response.refusal.done" {
			field = "refusal"
		}
		if got, want := str(field), c.open.texts[len(c.open.texts)-1]; got != want {
			return fmt.Errorf("%s says %q, the deltas said %q", typ, got, want)
		}
	case "response.content_part.done":
		if err := item(); err != nil {
			return err
		}
		part, _ := m["part"].(map[string]any)
		got, _ := part["text"].(string)
		if part["type"] == "refusal" {
			got, _ = part["refusal"].(string)
		}
		if want := c.open.texts[len(c.open.texts)-1]; got != want {
			return fmt.Errorf("content_part.done says %q, the deltas said %q", got, want)
		}
		c.open.partOn = false
		c.open.part++
	case "response.reasoning_summary_part.added", "response.reasoning_summary_part.done":
		if err := item(); err != nil {
			return err
		}
	case "response.reasoning_summary_text.delta", "response.reasoning_text.delta":
		if err := item(); err != nil {
			return err
		}
		c.open.summary.WriteString(str("delta"))
	case "response.reasoning_summary_text.done", "response.reasoning_text.done":
		if err := item(); err != nil {
			return err
		}
		if got, want := str("text"), c.open.summary.String(); got != want {
			return fmt.Errorf("%s says %q, the deltas said %q", typ, got, want)
		}
	case "response.function_call_arguments.delta", "response.custom_tool_call_input.delta":
		if err := item(); err != nil {
			return err
		}
		c.open.args.WriteString(str("delta"))
	case "response.function_call_arguments.done", "response.custom_tool_call_input.done":
		if err := item(); err != nil {
			return err
		}
		field := "arguments"
		if typ == "response.custom_tool_call_input.done" {
			field = "input"
		}
		if got, want := str(field), c.open.args.String(); got != want {
			return fmt.Errorf("%s says %q, the deltas said %q", typ, got, want)
		}
	case "response.output_item.done":
		if c.open == nil {
			return fmt.Errorf("output_item.done while no item is open")
		}
		if oi, _ := m["output_index"].(float64); int(oi) != c.open.index {
			return fmt.Errorf("output_item.done for output_index %v, the open item is %d", m["output_index"], c.open.index)
		}
		it, _ := m["item"].(map[string]any)
		if err := c.open.matches(it); err != nil {
			return err
		}
		c.done = append(c.done, it)
		c.collect(it)
		c.open = nil
	case "error":
		c.errSeen = true
	case "response.completed", "response.incomplete", "response.failed":
		return c.terminal(typ, m)
	default:
		if c.open != nil {
			if _, ok := m["output_index"]; ok {
				return item()
			}
		}
	}
	return nil
}

// matches checks a done item against the deltas of its item.
func (ci *chkItem) matches(it map[string]any) error {
	if it == nil {
		return fmt.Errorf("output_item.done without an item")
	}
	if id, _ := it["id"].(string); id != ci.id || fmt.Sprint(it["type"]) != ci.typ {
		return fmt.Errorf("output_item.done is %v %q, the open item is %s %q", it["type"], it["id"], ci.typ, ci.id)
	}
	if ci.partOn {
		return fmt.Errorf("output_item.done with content part %d still open", ci.part)
	}
	switch ci.typ {
	case "message":
		content, _ := it["content"].([]any)
		if len(content) != len(ci.texts) {
			return fmt.Errorf("the done message has %d parts, %d were streamed", len(content), len(ci.texts))
		}
		for i, p := range content {
			pm, _ := p.(map[string]any)
			got, _ := pm["text"].(string)
			if pm["type"] == "refusal" {
				got, _ = pm["refusal"].(string)
			}
			if got != ci.texts[i] {
				return fmt.Errorf("the done message's part %d says %q, the deltas said %q", i, got, ci.texts[i])
			}
		}
	case "reasoning":
		var b strings.Builder
		summary, _ := it["summary"].([]any)
		for _, p := range summary {
			pm, _ := p.(map[string]any)
			s, _ := pm["text"].(string)
			b.WriteString(s)
		}
		if b.String() != ci.summary.String() {
			return fmt.Errorf("the done reasoning's summary says %q, the deltas said %q", b.String(), ci.summary.String())
		}
	case "function_call":
		if got, _ := it["arguments"].(string); got != ci.args.String() {
			return fmt.Errorf("the done call's arguments are %q, the deltas said %q", got, ci.args.String())
		}
	case "custom_tool_call":
		if got, _ := it["input"].(string); got != ci.args.String() {
			return fmt.Errorf("the done call's input is %q, the deltas said %q", got, ci.args.String())
		}
	}
	return nil
}

// collect adds a done item to what the stream said.
func (c *checker) collect(it map[string]any) {
	switch it["type"] {
	case "message":
		content, _ := it["content"].([]any)
		for _, p := range content {
			pm, _ := p.(map[string]any)
			s, _ := pm["text"].(string)
			c.text.WriteString(s)
		}
	case "reasoning":
		summary, _ := it["summary"].([]any)
		for _, p := range summary {
			pm, _ := p.(map[string]any)
			s, _ := pm["text"].(string)
			c.reason.WriteString(s)
		}
	case "function_call", "custom_tool_call":
		c.out.Calls = append(c.out.Calls, it)
	}
}

// terminal checks the terminal event.
func (c *checker) terminal(typ string, m map[string]any) error {
	c.ended = true
	if c.open != nil && typ != "response.failed" {
		return fmt.Errorf("%s while item %d is open", typ, c.open.index)
	}
	resp, _ := m["response"].(map[string]any)
	if resp == nil {
		return fmt.Errorf("no response object")
	}
	o := c.out
	o.ID, _ = resp["id"].(string)
	o.Status, _ = resp["status"].(string)
	o.Text, o.Reasoning = c.text.String(), c.reason.String()
	if o.ID != c.id {
		return fmt.Errorf("the final response's id is %q, the first's %q", o.ID, c.id)
	}
	want := map[string]string{"response.completed": "completed", "response.incomplete": "incomplete", "response.failed": "failed"}[typ]
	if o.Status != want {
		return fmt.Errorf("status %q in %s", o.Status, typ)
	}
	out, _ := resp["output"].([]any)
	for _, it := range out {
		im, _ := it.(map[string]any)
		o.Output = append(o.Output, im)
	}
	if len(o.Output) != len(c.done) {
		return fmt.Errorf("the final output has %d items, %d were done", len(o.Output), len(c.done))
	}
	for i := range o.Output {
		if !reflect.DeepEqual(o.Output[i], c.done[i]) {
			return fmt.Errorf("final output item %d differs from its output_item.done:\n%v\n%v", i, o.Output[i], c.done[i])
		}
	}
	o.Usage, _ = resp["usage"].(map[string]any)
	switch typ {
	case "response.failed":
		e, _ := resp["error"].(map[string]any)
		o.ErrorCode, _ = e["code"].(string)
		o.ErrorMessage, _ = e["message"].(string)
		if o.ErrorCode == "" || o.ErrorMessage == "" {
			return fmt.Errorf("response.failed without an error code and message: %v", resp["error"])
		}
	case "response.incomplete":
		det, _ := resp["incomplete_details"].(map[string]any)
		o.Incomplete, _ = det["reason"].(string)
		if o.Incomplete == "" {
			return fmt.Errorf("response.incomplete without incomplete_details.reason")
		}
	}
	if typ != "response.failed" {
		u := o.Usage
		in, _ := u["input_tokens_details"].(map[string]any)
		out, _ := u["output_tokens_details"].(map[string]any)
		_, cached := in["cached_tokens"].(float64)
		_, reasoning := out["reasoning_tokens"].(float64)
		if !cached || !reasoning {
			return fmt.Errorf("usage %v lacks input_tokens_details.cached_tokens or output_tokens_details.reasoning_tokens", u)
		}
	}
	return nil
}
