package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/internal/jsonwire"
)

// DefaultMaxTokens is the max_tokens sent when a request leaves MaxTokens at
// 0: the API requires the field. With thinking on, the thinking budget is
// added to it.
const DefaultMaxTokens = 4096

// Thinking budgets for the reasoning efforts. The API takes a token budget
// (at least 1024, below max_tokens); an effort is turned into one of these.
// "high" stays under 32000 together with DefaultMaxTokens, the output limit
// of the smallest current models.
var effortBudgets = map[string]int{
	"minimal": 1024,
	"low":     4096,
	"medium":  12288,
	"high":    24576,
}

// minBudget is the smallest thinking budget the API accepts.
const minBudget = 1024

// shadowed are the top-level fields that [ParseRequest] keeps raw in
// req.Extra when the domain Request cannot hold all they say (cache_control,
// documents, server tools, adaptive thinking, …). BuildRequest sends such a
// raw value instead of the one it would build only while the request's own
// field is empty or still says the same thing, so a relay is lossless and an
// edit made to the Request after parsing still wins.
var shadowed = []string{"system", "messages", "tools", "thinking"}

// wireRequest is the Messages API request body, in the API's field order.
type wireRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	System        json.RawMessage `json:"system,omitempty"`
	Messages      json.RawMessage `json:"messages"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          int             `json:"top_k,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	Tools         json.RawMessage `json:"tools,omitempty"`
	ToolChoice    json.RawMessage `json:"tool_choice,omitempty"`
	Thinking      json.RawMessage `json:"thinking,omitempty"`
}

// BuildRequest returns the JSON body of a Messages API request for req, with
// "stream": true when stream is set.
//
// System text and system-role messages become the top-level system. Tool
// and tool-result messages become user messages of tool_result blocks
// (first in their message, as the API requires), and consecutive messages
// of the same role are merged. An assistant's reasoning parts go back as
// thinking blocks with their signature, or redacted_thinking blocks with
// their data, before its tool_use blocks and otherwise in the order
// received; that is what keeps the next turn of a tool loop valid. Only
// opaque data issued by Anthropic (Opaque.Provider "anthropic") is sent: a
// reasoning part without it is dropped, since the API rejects thinking
// blocks it did not sign.
//
// MaxTokens 0 sends [DefaultMaxTokens]. Reasoning turns thinking on with
// BudgetTokens (raised to the API's minimum of 1024), or with the budget of
// its Effort: minimal 1024, low 4096, medium 12288 (also for an empty
// effort), high 24576; "none" leaves thinking off. With MaxTokens 0 the
// budget is added to max_tokens; with MaxTokens set an effort's budget is
// capped at half of it, and an explicit budget that does not fit is an
// error. Thinking does not allow temperature or top_k, so they are left out
// then, and top_p only goes when it is at least 0.95. Tool choice required
// is the API's "any"; DisableParallel sets disable_parallel_tool_use. Seed
// has no Anthropic equivalent and is ignored.
//
// req.Extra is merged into the body's top level (see [ParseRequest] for the
// fields it holds raw), except "stream". An invalid request is a
// *sluice.Error of KindBadRequest saying what to fix.
func BuildRequest(req *sluice.Request, stream bool) ([]byte, error) {
	return buildRequest(req, stream, nil)
}

// buildRequest is BuildRequest accepting opaque data of the providers named
// in issuers besides "anthropic".
func buildRequest(req *sluice.Request, stream bool, issuers []string) ([]byte, error) {
	w, err := assembleRequest(req, stream, issuers)
	if err != nil {
		return nil, err
	}
	body, err := w.appendJSON(make([]byte, 0, w.size()))
	if err != nil {
		return nil, badRequest("the request cannot be encoded: %v", err)
	}
	return mergeExtra(body, req.Extra, func(k string) bool { return k == "stream" || slices.Contains(shadowed, k) })
}

// assembleRequest is the wireRequest buildRequest writes.
func assembleRequest(req *sluice.Request, stream bool, issuers []string) (*wireRequest, error) {
	if err := req.Validate(); err != nil {
		return nil, err
	}
	b := builder{req: req, issuers: issuers}
	w := &wireRequest{Model: req.Model, MaxTokens: req.MaxTokens, Stream: stream,
		Temperature: req.Temperature, TopP: req.TopP, TopK: req.TopK, StopSequences: req.Stop}
	var err error
	if w.System, err = b.system(); err != nil {
		return nil, err
	}
	if w.Messages, err = b.messages(); err != nil {
		return nil, err
	}
	if w.Tools, err = b.tools(); err != nil {
		return nil, err
	}
	if len(w.Tools) > 0 {
		w.ToolChoice = toolChoice(req.ToolChoice)
	}
	thinking, budget, err := b.thinking()
	if err != nil {
		return nil, err
	}
	if thinking != nil {
		w.Thinking = thinking
		if w.MaxTokens == 0 {
			w.MaxTokens = budget + DefaultMaxTokens
		}
		if t, _ := jsonwire.LookupDecoded(thinking, "type"); string(t) != `"disabled"` {
			w.Temperature, w.TopK = nil, 0
			if w.TopP != nil && *w.TopP < 0.95 {
				w.TopP = nil
			}
		}
	}
	if w.MaxTokens == 0 {
		w.MaxTokens = DefaultMaxTokens
	}
	return w, nil
}

// appendJSON appends w's JSON as marshal writes it (field order,
// omitempty, strings without HTML escapes, raw members compacted) but
// without reflection, and compacting the messages, which are most of the
// body, at the speed of a copy: marshal's encoding/json checked them again
// at about 150 MB/s, half of writing a coding agent's request.
// TestRequestJSONMatchesMarshal holds the two equal.
func (w *wireRequest) appendJSON(b []byte) ([]byte, error) {
	b = append(b, `{"model":`...)
	b = jsonwire.AppendString(b, w.Model)
	b = append(b, `,"max_tokens":`...)
	b = strconv.AppendInt(b, int64(w.MaxTokens), 10)
	b, err := appendRaw(b, "system", w.System)
	if err != nil {
		return nil, err
	}
	if len(w.Messages) == 0 {
		b = append(b, `,"messages":null`...)
	} else if b, err = appendRaw(b, "messages", w.Messages); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		v    *float64
	}{{"temperature", w.Temperature}, {"top_p", w.TopP}} {
		if f.v == nil {
			continue
		}
		v, err := json.Marshal(*f.v)
		if err != nil {
			return nil, err
		}
		b = append(b, `,"`+f.name+`":`...)
		b = append(b, v...)
	}
	if w.TopK != 0 {
		b = append(b, `,"top_k":`...)
		b = strconv.AppendInt(b, int64(w.TopK), 10)
	}
	if len(w.StopSequences) > 0 {
		b = append(b, `,"stop_sequences":[`...)
		for i, s := range w.StopSequences {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonwire.AppendString(b, s)
		}
		b = append(b, ']')
	}
	if w.Stream {
		b = append(b, `,"stream":true`...)
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
	}{{"tools", w.Tools}, {"tool_choice", w.ToolChoice}, {"thinking", w.Thinking}} {
		if b, err = appendRaw(b, f.name, f.raw); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// appendRaw appends ,"name":raw compacted, unless raw is empty. Raw members
// may come from a caller's Request.Extra, so each is checked (at about
// 1 GB/s) before it is copied.
func appendRaw(b []byte, name string, raw json.RawMessage) ([]byte, error) {
	if len(raw) == 0 {
		return b, nil
	}
	if !jsonwire.Valid(raw) {
		return nil, fmt.Errorf("%s is not valid JSON", name)
	}
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	return jsonwire.AppendCompact(b, raw), nil
}

// size estimates w's JSON length, so the body is written into one buffer.
func (w *wireRequest) size() int {
	// The envelope is under 64 bytes, each optional member under 40; the
	// raw members are copied as they are.
	n := 64 + len(w.Model) + len(w.System) + len(w.Messages) + len(w.Tools) + len(w.ToolChoice) + len(w.Thinking)
	for _, set := range []bool{w.Temperature != nil, w.TopP != nil, w.TopK != 0, len(w.System) > 0,
		len(w.Tools) > 0, len(w.ToolChoice) > 0, len(w.Thinking) > 0, len(w.StopSequences) > 0} {
		if set {
			n += 40
		}
	}
	for _, s := range w.StopSequences {
		n += 4 + len(s) + len(s)/8
	}
	return n
}

// marshal encodes v without HTML escaping and without a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// mergeExtra sets each field of extra in body, in key order, except those
// skip names.
func mergeExtra(body []byte, extra map[string]json.RawMessage, skip func(string) bool) ([]byte, error) {
	var set []field
	for _, k := range sortedKeys(extra) {
		if skip(k) {
			continue
		}
		v := extra[k]
		if !json.Valid(v) {
			return nil, badRequest("extra field %q is not valid JSON", k)
		}
		set = append(set, field{k, v})
	}
	if len(set) == 0 {
		return body, nil
	}
	out, err := editObject(make([]byte, 0, len(body)+64), body, set, true, nil)
	if err != nil {
		return nil, badRequest("cannot merge extra fields: %v", err)
	}
	return out, nil
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func badRequest(format string, args ...any) *sluice.Error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Message: fmt.Sprintf(format, args...)}
}

func withHint(e *sluice.Error, hint string) *sluice.Error {
	e.Hint = hint
	return e
}

// builder turns one Request into the parts of a body.
type builder struct {
	req     *sluice.Request
	issuers []string
}

// raw returns the raw shadowed field key from req.Extra, if any.
func (b *builder) raw(key string) json.RawMessage {
	v := bytes.TrimSpace(b.req.Extra[key])
	if len(v) == 0 || !json.Valid(v) {
		return nil
	}
	return v
}

// system is the top-level system: the raw one while it still matches
// req.System, else req.System; system-role messages are appended to it.
func (b *builder) system() (json.RawMessage, error) {
	var extra []string
	for _, m := range b.req.Messages {
		if m.Role == sluice.RoleSystem {
			if t := m.Text(); t != "" {
				extra = append(extra, t)
			}
		}
	}
	if raw := b.raw("system"); raw != nil {
		if s, _, err := parseSystem(raw); err == nil && (b.req.System == "" || s == b.req.System) {
			if len(extra) == 0 {
				return raw, nil
			}
			var blocks []json.RawMessage
			if raw[0] == '"' {
				var s string
				_ = json.Unmarshal(raw, &s)
				blocks = append(blocks, textBlock(s))
			} else if err := json.Unmarshal(raw, &blocks); err != nil {
				return nil, badRequest("system: %v", err)
			}
			for _, t := range extra {
				blocks = append(blocks, textBlock(t))
			}
			return marshal(blocks)
		}
	}
	if b.req.System != "" {
		extra = append([]string{b.req.System}, extra...)
	}
	text := strings.Join(extra, "\n\n")
	if text == "" {
		return nil, nil
	}
	return jsonwire.AppendString(nil, text), nil
}

func textBlock(s string) json.RawMessage {
	b := append([]byte(`{"type":"text","text":`), jsonwire.AppendString(nil, s)...)
	return append(b, '}')
}

// tools is the tools array: the raw one while it still matches req.Tools.
func (b *builder) tools() (json.RawMessage, error) {
	if raw := b.raw("tools"); raw != nil {
		if ts, _, err := parseTools(raw); err == nil && (len(b.req.Tools) == 0 || toolsEqual(ts, b.req.Tools)) {
			return raw, nil
		}
	}
	if len(b.req.Tools) == 0 {
		return nil, nil
	}
	type wireTool struct {
		Name        string          `json:"name"`
		Description string          `json:"description,omitempty"`
		InputSchema json.RawMessage `json:"input_schema"`
	}
	tools := make([]wireTool, len(b.req.Tools))
	for i, t := range b.req.Tools {
		schema := t.Parameters
		if len(bytes.TrimSpace(schema)) == 0 || string(bytes.TrimSpace(schema)) == "null" {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		} else if !json.Valid(schema) {
			return nil, badRequest("tool %q: parameters are not valid JSON", t.Name)
		}
		if t.Name == "" {
			return nil, badRequest("tool %d has no name", i)
		}
		tools[i] = wireTool{Name: t.Name, Description: t.Description, InputSchema: schema}
	}
	return marshal(tools)
}

func toolChoice(c sluice.ToolChoice) json.RawMessage {
	typ := ""
	switch c.Mode {
	case sluice.ToolChoiceAuto:
		typ = "auto"
	case sluice.ToolChoiceNone:
		typ = "none"
	case sluice.ToolChoiceRequired:
		typ = "any"
	case sluice.ToolChoiceTool:
		typ = "tool"
	default:
		if !c.DisableParallel {
			return nil
		}
		typ = "auto"
	}
	out := append([]byte(`{"type":`), jsonwire.AppendString(nil, typ)...)
	if typ == "tool" {
		out = append(out, `,"name":`...)
		out = jsonwire.AppendString(out, c.Name)
	}
	if c.DisableParallel && typ != "none" {
		out = append(out, `,"disable_parallel_tool_use":true`...)
	}
	return append(out, '}')
}

// thinking is the thinking object and the budget to add to a default
// max_tokens.
func (b *builder) thinking() (json.RawMessage, int, error) {
	r := b.req.Reasoning
	if raw := b.raw("thinking"); raw != nil {
		got, err := parseThinking(raw, b.req.Extra["output_config"])
		if err == nil && (r == nil || reasoningEqual(got, r)) {
			var t struct {
				BudgetTokens int `json:"budget_tokens"`
			}
			_ = json.Unmarshal(raw, &t)
			return raw, t.BudgetTokens, nil
		}
	}
	if r == nil || r.Effort == "none" {
		return nil, 0, nil
	}
	budget := r.BudgetTokens
	if budget > 0 {
		budget = max(budget, minBudget)
		if b.req.MaxTokens > 0 && budget >= b.req.MaxTokens {
			return nil, 0, withHint(badRequest("the thinking budget %d does not fit in max tokens %d", budget, b.req.MaxTokens), "raise max tokens above the budget, or lower the budget")
		}
	} else {
		effort := r.Effort
		if effort == "" {
			effort = "medium"
		}
		var ok bool
		if budget, ok = effortBudgets[effort]; !ok {
			return nil, 0, withHint(badRequest("unknown reasoning effort %q", r.Effort), "use none, minimal, low, medium or high")
		}
		if m := b.req.MaxTokens; m > 0 {
			if m <= minBudget {
				return nil, 0, withHint(badRequest("max tokens %d leaves no room for thinking", m), "raise max tokens above 1024 or turn reasoning off")
			}
			budget = max(minBudget, min(budget, m/2))
		}
	}
	out := append([]byte(`{"type":"enabled","budget_tokens":`), appendInt(nil, int64(budget))...)
	return append(out, '}'), budget, nil
}

// messages is the messages array: the raw one (less unsigned thinking)
// while it still says what req.Messages says, else one built from them.
func (b *builder) messages() (json.RawMessage, error) {
	if raw := b.raw("messages"); raw != nil {
		if out, ok := b.rawMessages(raw); ok {
			return out, nil
		}
	}
	var msgs []wireMessage
	for i, m := range b.req.Messages {
		if m.Role == sluice.RoleSystem {
			continue
		}
		role := "user"
		if m.Role == sluice.RoleAssistant {
			role = "assistant"
		}
		var blocks []wireBlockOut
		for j, p := range m.Content {
			blk, err := b.part(p)
			if err != nil {
				return nil, badRequest("message %d, part %d: %v", i, j, err)
			}
			if blk.raw != nil {
				blocks = append(blocks, blk)
			}
			if p.Type == sluice.PartReasoning {
				for _, o := range p.Opaque {
					if o.Kind == sluice.OpaqueRedacted && b.issued(o) {
						blocks = append(blocks, wireBlockOut{kind: sluice.PartReasoning, raw: redactedBlock(o.Data)})
					}
				}
			}
		}
		if len(blocks) == 0 {
			continue
		}
		if n := len(msgs); n > 0 && msgs[n-1].role == role {
			msgs[n-1].blocks = append(msgs[n-1].blocks, blocks...)
			continue
		}
		msgs = append(msgs, wireMessage{role: role, blocks: blocks})
	}
	if len(msgs) == 0 {
		return nil, withHint(badRequest("no message has content to send"), "add a user message with text")
	}
	out := []byte{'['}
	for i, m := range msgs {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"role":`...)
		out = jsonwire.AppendString(out, m.role)
		out = append(out, `,"content":[`...)
		for j, blk := range m.ordered() {
			if j > 0 {
				out = append(out, ',')
			}
			out = append(out, blk.raw...)
		}
		out = append(out, "]}"...)
	}
	return append(out, ']'), nil
}

type wireMessage struct {
	role   string
	blocks []wireBlockOut
}

type wireBlockOut struct {
	kind sluice.PartType
	raw  []byte
}

// ordered returns the blocks in the order the API requires: in a user
// message tool results first, in an assistant message thinking before the
// first tool_use; otherwise as given.
func (m *wireMessage) ordered() []wireBlockOut {
	first := func(k sluice.PartType) func(a, b wireBlockOut) int {
		return func(a, b wireBlockOut) int {
			switch {
			case a.kind == k && b.kind != k:
				return -1
			case a.kind != k && b.kind == k:
				return 1
			}
			return 0
		}
	}
	out := slices.Clone(m.blocks)
	if m.role == "user" {
		slices.SortStableFunc(out, first(sluice.PartToolResult))
		return out
	}
	// Move reasoning that follows a tool call up to just before the first.
	tool := slices.IndexFunc(out, func(b wireBlockOut) bool { return b.kind == sluice.PartToolCall })
	if tool < 0 {
		return out
	}
	slices.SortStableFunc(out[tool:], first(sluice.PartReasoning))
	return out
}

// issued reports whether opaque data may be sent to this provider.
func (b *builder) issued(o sluice.Opaque) bool {
	return o.Provider == Protocol || slices.Contains(b.issuers, o.Provider)
}

// part returns the block for one part; a nil raw means the part sends
// nothing (empty text, reasoning without Anthropic's signature).
func (b *builder) part(p sluice.Part) (wireBlockOut, error) {
	out := wireBlockOut{kind: p.Type}
	switch p.Type {
	case sluice.PartText:
		if p.Text != "" {
			out.raw = textBlock(p.Text)
		}
	case sluice.PartImage:
		raw, err := imageBlock(p)
		if err != nil {
			return out, err
		}
		out.raw = raw
	case sluice.PartToolCall:
		args := bytes.TrimSpace([]byte(p.Arguments))
		if len(args) == 0 {
			args = []byte("{}")
		}
		if !json.Valid(args) || args[0] != '{' {
			return out, fmt.Errorf("tool call %s (%s): the arguments are not a JSON object", p.CallID, p.Name)
		}
		raw := append([]byte(`{"type":"tool_use","id":`), jsonwire.AppendString(nil, p.CallID)...)
		raw = append(raw, `,"name":`...)
		raw = jsonwire.AppendString(raw, p.Name)
		raw = append(raw, `,"input":`...)
		var c bytes.Buffer
		_ = json.Compact(&c, args)
		raw = append(raw, c.Bytes()...)
		out.raw = append(raw, '}')
	case sluice.PartToolResult:
		raw := append([]byte(`{"type":"tool_result","tool_use_id":`), jsonwire.AppendString(nil, p.CallID)...)
		if p.Text != "" {
			raw = append(raw, `,"content":`...)
			raw = jsonwire.AppendString(raw, p.Text)
		}
		if p.IsError {
			raw = append(raw, `,"is_error":true`...)
		}
		out.raw = append(raw, '}')
	case sluice.PartReasoning:
		// The signature of Anthropic's own thinking; redacted data is added
		// by the caller as blocks of their own.
		for _, o := range p.Opaque {
			if o.Kind == sluice.OpaqueSignature && b.issued(o) && o.Data != "" {
				raw := append([]byte(`{"type":"thinking","thinking":`), jsonwire.AppendString(nil, p.Text)...)
				raw = append(raw, `,"signature":`...)
				raw = jsonwire.AppendString(raw, o.Data)
				out.raw = append(raw, '}')
			}
		}
	default:
		return out, fmt.Errorf("unknown part type %q", p.Type)
	}
	return out, nil
}

func redactedBlock(data string) []byte {
	raw := append([]byte(`{"type":"redacted_thinking","data":`), jsonwire.AppendString(nil, data)...)
	return append(raw, '}')
}

func imageBlock(p sluice.Part) ([]byte, error) {
	mediaType, data := p.MediaType, ""
	switch {
	case len(p.Data) > 0:
		data = base64.StdEncoding.EncodeToString(p.Data)
	case strings.HasPrefix(p.URL, "data:"):
		meta, payload, ok := strings.Cut(p.URL[len("data:"):], ",")
		mt, isBase64 := strings.CutSuffix(meta, ";base64")
		if !ok || !isBase64 {
			return nil, fmt.Errorf("image data URL is not base64 (data:<type>;base64,…)")
		}
		mediaType, data = mt, payload
	case p.URL != "":
		raw := append([]byte(`{"type":"image","source":{"type":"url","url":`), jsonwire.AppendString(nil, p.URL)...)
		return append(raw, "}}"...), nil
	default:
		return nil, fmt.Errorf("image part has neither data nor URL")
	}
	if mediaType == "" {
		return nil, fmt.Errorf("inline image has no media type")
	}
	raw := append([]byte(`{"type":"image","source":{"type":"base64","media_type":`), jsonwire.AppendString(nil, mediaType)...)
	raw = append(raw, `,"data":`...)
	raw = jsonwire.AppendString(raw, data)
	return append(raw, "}}"...), nil
}

// rawMessages returns the client's own messages array, without the thinking
// blocks it cannot send, if it still says what req.Messages says.
func (b *builder) rawMessages(raw json.RawMessage) (json.RawMessage, bool) {
	msgs, _, err := parseMessages(raw)
	if err != nil || !messagesEqual(msgs, b.req.Messages) {
		return nil, false
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return nil, false
	}
	out := []byte{'['}
	for i, m := range list {
		var head struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		}
		if json.Unmarshal(m, &head) != nil || head.Role == "system" {
			return nil, false
		}
		if i > 0 {
			out = append(out, ',')
		}
		content := bytes.TrimSpace(head.Content)
		if len(content) == 0 || content[0] != '[' {
			out = append(out, m...)
			continue
		}
		var blocks []json.RawMessage
		if json.Unmarshal(content, &blocks) != nil {
			return nil, false
		}
		kept := blocks[:0]
		for _, blk := range blocks {
			var wb wireBlock
			_ = json.Unmarshal(blk, &wb)
			if (wb.Type == blockThinking && wb.Signature == "") || (wb.Type == blockRedactedThinking && wb.Data == "") {
				continue // unsigned: from another provider, or made up
			}
			kept = append(kept, blk)
		}
		if len(kept) == 0 {
			return nil, false
		}
		if len(kept) == len(blocks) {
			out = append(out, m...)
			continue
		}
		nc, _ := marshal(kept)
		nm, err := editObject(nil, m, []field{{"content", nc}}, false, nil)
		if err != nil {
			return nil, false
		}
		out = append(out, nm...)
	}
	return append(out, ']'), true
}
