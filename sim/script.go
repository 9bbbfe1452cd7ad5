package sim

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// A script is one response planned in full before its first byte: steps of
// events, each due at an offset from the request's arrival, and how it ends.
// Planning first keeps the send loop trivial and its timing exact.
type script struct {
	steps []step
	end   ending
	// err is the in-stream error of endError.
	err *sluice.Error
	// fault is the fault injected, for the transcript.
	fault string
}

// step is a batch of events written and flushed together when due.
type step struct {
	at     time.Duration
	events []sluice.Event
	// quiet suppresses keep-alive comments while waiting for this step: the
	// wait is an injected stall, which must be silent.
	quiet bool
	// raw is a frame written as is after the events, and rawName the name a
	// decoder gives it (an unknown event the encoder cannot write).
	raw     []byte
	rawName string
}

// ending says how a script ends after its last step.
type ending uint8

const (
	endMarker    ending = iota // the protocol's end marker (Encoder.End)
	endError                   // the protocol's in-stream error
	endTruncate                // nothing: the body just stops
	endMalformed               // a frame of broken JSON, then nothing
)

// plan is what a script is made from.
type plan struct {
	cfg    *Config
	b      Behavior
	req    *sluice.Request
	d      *dialect
	rng    *rand.Rand
	signer signer
	faults []Fault // the faults that apply to this request
	respID string
}

// newScript plans the response to p.req.
func newScript(p *plan) *script {
	var evs []sluice.Event // flat, in wire order
	item := 0
	usage := sluice.Usage{Input: sluice.ReportedCount(inputTokens(p.req))}
	if p.b.Cache {
		if p.d.usage.cacheRead {
			usage.CacheRead = sluice.ReportedCount(cacheReadTokens)
		}
		if p.d.usage.cacheWrite {
			usage.CacheWrite = sluice.ReportedCount(cacheWriteTokens)
		}
	}
	var output, reasoning int64

	evs = append(evs, sluice.Event{Type: sluice.EventStart, ID: p.respID, Model: p.req.Model})
	if p.d.usage.early {
		u := usage
		u.Output = sluice.ReportedCount(p.d.usage.earlyOutput)
		evs = append(evs, sluice.Event{Type: sluice.EventUsage, Usage: &u})
	}

	if p.b.Reasoning {
		n := p.cfg.ReasoningTokens
		text := ReasoningText(n)
		evs = append(evs, sluice.Event{Type: sluice.EventItemStart, Item: item, Kind: sluice.ItemReasoning})
		for _, t := range deltas(reasoningWords, n) {
			evs = append(evs, sluice.Event{Type: sluice.EventReasoning, Item: item, Text: t})
		}
		if p.d.opaque != "" {
			evs = append(evs, sluice.Event{Type: sluice.EventReasoningData, Item: item, Opaque: p.d.opaque, Text: p.signer.sign(text)})
		}
		evs = append(evs, sluice.Event{Type: sluice.EventItemDone, Item: item, Kind: sluice.ItemReasoning})
		item++
		output += int64(n)
		reasoning = int64(n)
	}

	finish := sluice.FinishStop
	if tool, ok := p.toolToCall(); ok {
		args := toolArguments(tool)
		callID := p.d.callPrefix + randomID(p.rng, 24)
		evs = append(evs, sluice.Event{Type: sluice.EventItemStart, Item: item, Kind: sluice.ItemToolCall,
			ID: callID, CallID: callID, Name: tool.Name})
		frags := splitN(args, 12)
		for _, f := range frags {
			evs = append(evs, sluice.Event{Type: sluice.EventToolCall, Item: item, Text: f})
		}
		evs = append(evs, sluice.Event{Type: sluice.EventItemDone, Item: item, Kind: sluice.ItemToolCall})
		output += int64(len(frags))
		finish = sluice.FinishToolCalls
	} else {
		words := p.answer()
		if max := p.req.MaxTokens; max > 0 && len(words) > max {
			words, finish = words[:max], sluice.FinishLength
		}
		evs = append(evs, sluice.Event{Type: sluice.EventItemStart, Item: item, Kind: sluice.ItemMessage})
		for _, w := range words {
			evs = append(evs, sluice.Event{Type: sluice.EventText, Item: item, Text: w})
		}
		evs = append(evs, sluice.Event{Type: sluice.EventItemDone, Item: item, Kind: sluice.ItemMessage})
		output += int64(len(words))
	}

	usage.Output = sluice.ReportedCount(output)
	if p.d.usage.reasoning {
		usage.Reasoning = sluice.ReportedCount(reasoning)
	}
	fin := sluice.Event{Type: sluice.EventFinish, Finish: finish}
	use := sluice.Event{Type: sluice.EventUsage, Usage: &usage}
	if p.d.usage.beforeFinish {
		evs = append(evs, use, fin)
	} else {
		evs = append(evs, fin, use)
	}
	return p.schedule(evs)
}

// Usage numbers of the cache behaviour: a long cached prefix, as agents have.
const (
	cacheReadTokens  = 1024
	cacheWriteTokens = 256
)

// inputTokens estimates a request's input tokens, four bytes a token, the
// usual rule of thumb; exactness does not matter, determinism does.
func inputTokens(req *sluice.Request) int64 {
	n := len(req.System)
	for _, m := range req.Messages {
		for _, p := range m.Content {
			n += len(p.Text) + len(p.Arguments) + len(p.Name)
		}
	}
	for _, t := range req.Tools {
		n += len(t.Name) + len(t.Description) + len(t.Parameters)
	}
	return int64(n+3)/4 + 1
}

// answer returns the text deltas of the answer.
func (p *plan) answer() []string {
	if p.b.Tools {
		if res, ok := lastToolResult(p.req); ok {
			return splitWords("The tool returned: " + res)
		}
	}
	if p.b.Echo || p.cfg.Echo {
		if w := splitWords(lastUserText(p.req)); len(w) > 0 {
			return w
		}
	}
	n := p.cfg.Tokens
	if p.b.Tokens > 0 {
		n = p.b.Tokens
	}
	return deltas(answerWords, n)
}

// toolToCall returns the tool to call: the tool behaviour is on, the request
// offers tools and allows calling them, and no tool result is in the
// conversation yet.
func (p *plan) toolToCall() (sluice.Tool, bool) {
	if !p.b.Tools || len(p.req.Tools) == 0 || p.req.ToolChoice.Mode == sluice.ToolChoiceNone {
		return sluice.Tool{}, false
	}
	if _, ok := lastToolResult(p.req); ok {
		return sluice.Tool{}, false
	}
	if p.req.ToolChoice.Mode == sluice.ToolChoiceTool {
		for _, t := range p.req.Tools {
			if t.Name == p.req.ToolChoice.Name {
				return t, true
			}
		}
	}
	// An agent offers many tools; its shell is the one whose harmless
	// echo it can run for real (Claude Code lists Bash after Task, Codex
	// has exec_command or shell among others).
	if t, ok := shellTool(p.req.Tools); ok {
		return t, true
	}
	return p.req.Tools[0], true
}

// shellTool returns the tool of tools that runs shell commands: one named
// exactly like a shell first (Bash, shell, exec_command, …), then one whose
// name only holds such a word (KillShell is not one to call first).
func shellTool(tools []sluice.Tool) (sluice.Tool, bool) {
	for _, t := range tools {
		switch strings.ToLower(t.Name) {
		case "bash", "shell", "exec_command", "shell_command", "local_shell", "run_command", "terminal", "exec":
			return t, true
		}
	}
	for _, t := range tools {
		if isShellTool(t.Name) {
			return t, true
		}
	}
	return sluice.Tool{}, false
}

func lastToolResult(req *sluice.Request) (string, bool) {
	for _, m := range slices.Backward(req.Messages) {
		for _, p := range slices.Backward(m.Content) {
			if p.Type == sluice.PartToolResult {
				return p.Text, true
			}
		}
	}
	return "", false
}

func lastUserText(req *sluice.Request) string {
	for _, m := range slices.Backward(req.Messages) {
		if m.Role == sluice.RoleUser {
			if t := m.Text(); t != "" {
				return t
			}
		}
	}
	return ""
}

// shellCommand is the harmless command the simulator asks a shell-like tool to
// run, so an agent that executes it for real does no harm.
const shellCommand = "echo hello from sluice sim"

// toolArguments builds arguments that satisfy the tool's JSON Schema well
// enough for a client to run it: the required properties (all of them when
// none is required), keys sorted, each with a plain value of its type. A
// shell-like tool gets shellCommand in its command property.
func toolArguments(t sluice.Tool) string {
	var schema struct {
		Properties map[string]struct {
			Type any   `json:"type"`
			Enum []any `json:"enum"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	_ = json.Unmarshal(t.Parameters, &schema) // a schema that does not parse gets "{}"
	shell := isShellTool(t.Name)
	names := schema.Required
	if len(names) == 0 {
		for k := range schema.Properties {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	if shell && len(schema.Properties) == 0 {
		names = []string{"command"}
	}
	args := make(map[string]any, len(names))
	cmdSet := false
	for _, k := range names {
		prop := schema.Properties[k]
		typ, _ := prop.Type.(string)
		if list, ok := prop.Type.([]any); ok && len(list) > 0 {
			typ, _ = list[0].(string)
		}
		isCmd := shell && !cmdSet && (k == "command" || k == "cmd" || k == "script" || typ == "string" || typ == "")
		switch {
		case isCmd && typ == "array":
			args[k], cmdSet = strings.Fields(shellCommand), true
		case isCmd:
			args[k], cmdSet = shellCommand, true
		case len(prop.Enum) > 0:
			args[k] = prop.Enum[0]
		case typ == "integer" || typ == "number":
			args[k] = 1
		case typ == "boolean":
			args[k] = true
		case typ == "array":
			args[k] = []any{}
		case typ == "object":
			args[k] = map[string]any{}
		case typ == "null":
			args[k] = nil
		default:
			args[k] = "sluice"
		}
	}
	b, _ := json.Marshal(args) // map keys marshal sorted
	return string(b)
}

func isShellTool(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"shell", "bash", "exec", "terminal", "run_command", "command"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// schedule turns the flat event list into timed steps and applies the
// faults. Step 0 holds everything before the first content delta and is due
// at once; step k (k ≥ 1) holds delta k and the events after it up to the
// next delta, due at TTFT plus the k−1 gaps before it; a final step holds what
// follows the last delta (finish, usage), due with it. Steps are slices of
// evs, capped so that appending to one never overwrites the next.
func (p *plan) schedule(evs []sluice.Event) *script {
	sc := &script{}
	var (
		at     = p.cfg.TTFT
		stepAt time.Duration // when the open step is due
		start  int           // the open step's first event
		deltas int
	)
	for i := range evs {
		if !evs[i].Type.IsContent() {
			continue
		}
		if deltas > 0 {
			gap := p.cfg.ITL
			if j := p.cfg.Jitter; j > 0 {
				gap += time.Duration(p.rng.Int64N(int64(2*j)+1)) - j
				gap = max(gap, 0)
			}
			at += gap
		}
		deltas++
		sc.steps = append(sc.steps, step{at: stepAt, events: evs[start:i:i]})
		start, stepAt = i, at
	}
	if deltas > 0 && len(evs)-start > 1 {
		// Split the tail off the last delta, so that a fault at "the last
		// delta" comes before the finish.
		sc.steps = append(sc.steps, step{at: stepAt, events: evs[start : start+1 : start+1]}, step{at: stepAt, events: evs[start+1:]})
	} else {
		sc.steps = append(sc.steps, step{at: stepAt, events: evs[start:]})
	}

	// index of the step after which a fault at N strikes: step N, or the last
	// delta's step when N is past it.
	after := func(n int) int { return min(n, deltas) }
	var faults []string
	if f, ok := findFault(p.faults, FaultUnknownEvent); ok {
		i := after(f.At)
		if p.d.unknownRaw != nil {
			sc.steps[i].raw, sc.steps[i].rawName = p.d.unknownRaw()
		} else {
			sc.steps[i].events = append(sc.steps[i].events, p.d.unknownEvent())
		}
		faults = append(faults, f.String())
	}
	if f, ok := findFault(p.faults, FaultStall); ok {
		i := after(f.At)
		for j := i + 1; j < len(sc.steps); j++ {
			sc.steps[j].at += f.Duration
		}
		if i+1 < len(sc.steps) {
			sc.steps[i+1].quiet = true
		}
		faults = append(faults, f.String())
	}
	for _, k := range []FaultKind{FaultError, FaultTruncate, FaultMalformed} {
		f, ok := findFault(p.faults, k)
		if !ok {
			continue
		}
		sc.steps = sc.steps[:after(f.At)+1]
		switch k {
		case FaultError:
			sc.end = endError
			sc.err = p.d.coded(midstreamError(f.Status))
		case FaultTruncate:
			sc.end = endTruncate
		case FaultMalformed:
			sc.end = endMalformed
		}
		faults = append(faults, f.String())
		break // one terminal fault per response
	}
	if sc.end == endMarker && len(sc.steps) > 1 {
		// No fault cut the tail off: send it with the last delta, one flush.
		n := len(sc.steps)
		if sc.steps[n-1].at == sc.steps[n-2].at && !sc.steps[n-1].quiet && sc.steps[n-2].raw == nil {
			sc.steps[n-2].events = append(sc.steps[n-2].events, sc.steps[n-1].events...)
			sc.steps = sc.steps[:n-1]
		}
	}
	sc.fault = strings.Join(faults, "+")
	return sc
}

func findFault(fs []Fault, k FaultKind) (Fault, bool) {
	for _, f := range fs {
		if f.Kind == k {
			return f, true
		}
	}
	return Fault{}, false
}

// midstreamError is the error a midstream_error fault sends, of the kind its
// status maps to, with the message the real APIs use for it.
func midstreamError(status int) *sluice.Error {
	kind := sluice.KindForStatus(status)
	msg := "The server had an error while processing your request. Sorry about that!"
	switch kind {
	case sluice.KindOverloaded:
		msg = "Overloaded"
	case sluice.KindRateLimit:
		msg = "Rate limit reached. Please try again later."
	}
	return &sluice.Error{Kind: kind, Message: "sim: injected mid-stream error: " + msg}
}

// randomID returns n characters of base62 from rng, so ids are reproducible
// under a fixed seed.
func randomID(rng *rand.Rand, n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

// String returns the behaviour in the grammar's syntax, "text" for the
// default.
func (b Behavior) String() string {
	var parts []string
	for _, on := range []struct {
		ok   bool
		name string
	}{{b.Reasoning, "reasoning"}, {b.Tools, "tools"}, {b.Cache, "cache"}, {b.Echo, "echo"}, {b.RequireSignature, "signed"}} {
		if on.ok {
			parts = append(parts, on.name)
		}
	}
	if b.Tokens > 0 {
		parts = append(parts, fmt.Sprintf("tokens=%d", b.Tokens))
	}
	for _, f := range b.Faults {
		parts = append(parts, f.String())
	}
	if len(parts) == 0 {
		return "text"
	}
	return strings.Join(parts, "+")
}
