package sim

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// Behavior is what the simulator does for one request. It is read from the
// request's model name and the X-Sim-Behavior and X-Sim-Fault headers with
// [ParseBehavior]; the package documentation describes the grammar.
type Behavior struct {
	// Reasoning streams a reasoning item, with a signature where the protocol
	// has one, before the answer.
	Reasoning bool
	// Tools runs a tool loop: call a tool the request offers while the
	// conversation holds no tool result, answer quoting the result after one.
	Tools bool
	// Cache reports prompt-cache reads (and writes where the protocol has
	// them) in the usage.
	Cache bool
	// Echo answers with the text of the last user message instead of the
	// deterministic words.
	Echo bool
	// RequireSignature rejects a follow-up turn whose reasoning signature did
	// not come back intact, as Anthropic does.
	RequireSignature bool
	// Tokens overrides Config.Tokens when positive.
	Tokens int
	// Faults are injected in order; at most one of each kind is used.
	Faults []Fault
}

// FaultKind names an injected fault.
type FaultKind uint8

// The faults the simulator injects.
const (
	// FaultStatus answers with an HTTP error before any byte of the stream.
	FaultStatus FaultKind = iota + 1
	// FaultError sends the protocol's in-stream error after At deltas.
	FaultError
	// FaultTruncate ends the response after At deltas without the end marker.
	FaultTruncate
	// FaultStall sends no byte for Duration after At deltas, then goes on.
	FaultStall
	// FaultMalformed sends a frame of broken JSON after At deltas and ends.
	FaultMalformed
	// FaultUnknownEvent sends an event type no decoder knows after At deltas
	// and goes on.
	FaultUnknownEvent
)

var faultNames = [...]string{
	FaultStatus: "status", FaultError: "midstream_error", FaultTruncate: "truncate",
	FaultStall: "stall", FaultMalformed: "malformed", FaultUnknownEvent: "unknown_event",
}

// String returns the fault's keyword in the grammar.
func (k FaultKind) String() string {
	if int(k) < len(faultNames) && faultNames[k] != "" {
		return faultNames[k]
	}
	return "unknown"
}

// Fault is one injected fault.
type Fault struct {
	Kind FaultKind
	// Status is the HTTP status of a FaultStatus, and the status whose error
	// kind a FaultError carries (default 500).
	Status int
	// At is the number of content deltas (text, reasoning or tool-argument
	// fragments) sent before the fault; past the last delta it means "after
	// the last one".
	At int
	// Duration is how long a FaultStall stays silent.
	Duration time.Duration
	// Times limits the fault to the first Times requests that carry the same
	// term (counted per Server); 0 means every request.
	Times int
	// term is the fault's text in the grammar, the key of its Times counter.
	term string
}

// String returns the fault in the grammar's syntax.
func (f Fault) String() string {
	if f.term != "" {
		return f.term
	}
	var s string
	switch f.Kind {
	case FaultStatus:
		s = "status=" + strconv.Itoa(f.Status)
	case FaultStall:
		s = fmt.Sprintf("stall@%d:%v", f.At, f.Duration)
	case FaultError:
		s = fmt.Sprintf("midstream_error@%d", f.At)
		if f.Status != 0 && f.Status != http.StatusInternalServerError {
			s += ":" + strconv.Itoa(f.Status)
		}
	default:
		s = fmt.Sprintf("%s@%d", f.Kind, f.At)
	}
	if f.Times > 0 {
		s += "*" + strconv.Itoa(f.Times)
	}
	return s
}

// ParseBehavior reads a behaviour from terms separated by '+' or ','. A term
// that is not part of the grammar is ignored, so a real model name
// ("gpt-4o-mini", "claude-sonnet-4-5+reasoning") is a valid behaviour; a term
// that starts with a fault keyword but does not parse is an error, so a typo
// in a fault never passes silently.
func ParseBehavior(s string) (Behavior, error) {
	var b Behavior
	err := b.add(s)
	return b, err
}

func (b *Behavior) add(s string) error {
	for _, term := range strings.FieldsFunc(s, func(r rune) bool { return r == '+' || r == ',' }) {
		if err := b.addTerm(strings.TrimSpace(term)); err != nil {
			return err
		}
	}
	return nil
}

func (b *Behavior) addTerm(term string) error {
	switch strings.ToLower(term) {
	case "text", "":
		return nil
	case "reasoning", "thinking":
		b.Reasoning = true
		return nil
	case "tools", "tool":
		b.Tools = true
		return nil
	case "cache":
		b.Cache = true
		return nil
	case "echo":
		b.Echo = true
		return nil
	case "signed", "require_signature":
		b.RequireSignature = true
		return nil
	}
	if code, times, ok := bareStatus(term); ok {
		return b.addFault(Fault{Kind: FaultStatus, Status: code, Times: times, term: term})
	}
	key, arg, hasArg := strings.Cut(term, "=")
	if hasArg {
		switch strings.ToLower(key) {
		case "tokens":
			n, err := strconv.Atoi(arg)
			if err != nil || n <= 0 {
				return badTerm(term, "tokens=N takes a positive number")
			}
			b.Tokens = n
			return nil
		case "status":
			arg, times, err := cutTimes(term, arg)
			if err != nil {
				return err
			}
			code, err := strconv.Atoi(arg)
			if err != nil || code < 400 || code > 599 {
				return badTerm(term, "status=CODE takes an HTTP error status from 400 to 599")
			}
			return b.addFault(Fault{Kind: FaultStatus, Status: code, Times: times, term: term})
		}
		return nil
	}
	key, arg, hasAt := strings.Cut(term, "@")
	if !hasAt {
		return nil
	}
	var kind FaultKind
	switch strings.ToLower(key) {
	case "midstream_error", "error":
		kind = FaultError
	case "truncate":
		kind = FaultTruncate
	case "stall":
		kind = FaultStall
	case "malformed":
		kind = FaultMalformed
	case "unknown_event":
		kind = FaultUnknownEvent
	default:
		return nil // part of a real model name, such as "claude-3-5-sonnet@20240620"
	}
	arg, times, err := cutTimes(term, arg)
	if err != nil {
		return err
	}
	f := Fault{Kind: kind, Times: times, term: term}
	at, rest, hasRest := strings.Cut(arg, ":")
	if f.At, err = strconv.Atoi(at); err != nil || f.At < 0 {
		return badTerm(term, "the number after @ counts content deltas and must be 0 or more")
	}
	switch {
	case kind == FaultStall:
		if !hasRest {
			return badTerm(term, "write stall@N:DURATION, for example stall@5:2s")
		}
		if f.Duration, err = time.ParseDuration(rest); err != nil || f.Duration < 0 {
			return badTerm(term, "the stall's duration is a Go duration such as 500ms or 2s")
		}
	case kind == FaultError && hasRest:
		if f.Status, err = strconv.Atoi(rest); err != nil || f.Status < 400 || f.Status > 599 {
			return badTerm(term, "midstream_error@N:CODE takes an HTTP error status from 400 to 599")
		}
	case hasRest:
		return badTerm(term, fmt.Sprintf("%s@N takes no further argument", key))
	}
	if kind == FaultError && f.Status == 0 {
		f.Status = http.StatusInternalServerError
	}
	return b.addFault(f)
}

// addFault keeps the first fault of each kind.
func (b *Behavior) addFault(f Fault) error {
	for _, g := range b.Faults {
		if g.Kind == f.Kind {
			return nil
		}
	}
	b.Faults = append(b.Faults, f)
	return nil
}

// bareStatus reads a bare status term, "429" or "429*2".
func bareStatus(term string) (code, times int, ok bool) {
	c, n, limited := strings.Cut(term, "*")
	if len(c) != 3 || c[0] < '4' || c[0] > '5' {
		return 0, 0, false
	}
	code, err := strconv.Atoi(c)
	if err != nil {
		return 0, 0, false
	}
	if limited {
		if times, err = strconv.Atoi(n); err != nil || times <= 0 {
			return 0, 0, false
		}
	}
	return code, times, true
}

// cutTimes splits a trailing "*N" off a fault argument.
func cutTimes(term, arg string) (string, int, error) {
	arg, n, ok := strings.Cut(arg, "*")
	if !ok {
		return arg, 0, nil
	}
	times, err := strconv.Atoi(n)
	if err != nil || times <= 0 {
		return "", 0, badTerm(term, "*N after a fault limits it to the first N requests and takes a positive number")
	}
	return arg, times, nil
}

func badTerm(term, why string) error {
	return &sluice.Error{Kind: sluice.KindBadRequest, Status: http.StatusBadRequest,
		Message: fmt.Sprintf("sim: cannot read the behaviour term %q: %s", term, why),
		Hint:    "see the grammar in the sim package documentation (go doc github.com/sluicehq/sluice/sim)"}
}

// behaviorFor reads the behaviour of one request: the model name's terms, then
// the headers'. Headers add to the model's terms; X-Sim-Require-Signature
// turns signature checks on or off whatever the Config says.
func behaviorFor(model string, h http.Header, requireSignature bool) (Behavior, error) {
	b := Behavior{RequireSignature: requireSignature}
	if err := b.add(model); err != nil {
		return b, err
	}
	for _, name := range []string{"X-Sim-Behavior", "X-Sim-Fault"} {
		for _, v := range h.Values(name) {
			if err := b.add(v); err != nil {
				return b, err
			}
		}
	}
	if v := h.Get("X-Sim-Require-Signature"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			return b, badTerm(v, "X-Sim-Require-Signature takes true or false")
		}
		b.RequireSignature = on
	}
	return b, nil
}
