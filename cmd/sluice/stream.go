package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/tokens"
)

// ANSI styles for a terminal; empty when writing to a file or a pipe.
const (
	styleDim   = "\x1b[2m"
	styleReset = "\x1b[0m"
)

// isTerminal reports whether w is a terminal, so colours and progress bars
// are only drawn for a person.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// optionalFloat is a float flag that remembers whether it was set, so an
// unset temperature leaves the provider's default.
type optionalFloat struct{ v *float64 }

func (o *optionalFloat) String() string {
	if o.v == nil {
		return ""
	}
	return fmt.Sprint(*o.v)
}
func (o *optionalFloat) Set(s string) error {
	var f float64
	if _, err := fmt.Sscan(s, &f); err != nil {
		return fmt.Errorf("%q is not a number", s)
	}
	o.v = &f
	return nil
}

func runStream(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("stream", "stream [--model provider/model] [flags] PROMPT (or the prompt on stdin)")
	model := fs.String("model", "", "provider/model to stream from (default: $SLUICE_MODEL, else the first provider with a key, else a local model, downloaded on first run)")
	noPull := fs.Bool("no-pull", false, "with no model configured, use the simulator instead of downloading the default local model (also SLUICE_NO_PULL=1)")
	system := fs.String("system", "", "system prompt")
	maxTokens := fs.Int("max-tokens", 0, "cap on output tokens (0: the provider's default)")
	var temperature optionalFloat
	fs.Var(&temperature, "temperature", "sampling temperature (default: the provider's)")
	timeout := fs.Duration("timeout", 0, "give up after this long, e.g. 30s (0: no limit)")
	asJSON := fs.Bool("json", false, "print the whole Result as JSON at the end instead of streaming text")
	chunks := fs.Bool("verbose-chunks", false, "print every event with its time and raw provider payload on stderr")
	noReasoning := fs.Bool("no-reasoning", false, "do not print reasoning")
	budget := fs.Int("budget", 0, "stop after this many output tokens, counted exactly with the model's tiktoken encoding (0: no budget)")
	progress := fs.Bool("progress", false, "draw a progress bar (tokens against --budget or --max-tokens, rate, elapsed) on stderr when it is a terminal")
	if err := fs.Parse(args); err != nil {
		return err
	}
	prompt := strings.Join(fs.Args(), " ")
	if prompt == "" {
		b, err := io.ReadAll(a.Stdin)
		if err != nil {
			return fmt.Errorf("reading the prompt from stdin: %w", err)
		}
		prompt = strings.TrimSpace(string(b))
	}
	if prompt == "" {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("no prompt: pass it as an argument or on stdin")}
	}
	if *budget < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--budget is %d; use a positive number of tokens, or 0 for none", *budget)}
	}
	if *maxTokens < 0 {
		return &exitError{code: 2, err: fmt.Errorf("--max-tokens is %d; use a positive number, or 0 for the provider's default", *maxTokens)}
	}

	reg, env, err := a.registry()
	if err != nil {
		return err
	}
	defer reg.Close()
	name := *model
	if name == "" {
		var simulated string
		name, simulated, err = a.defaultModel(ctx, env, reg, !*noPull)
		if err != nil {
			return err
		}
		if simulated != "" {
			fmt.Fprintf(a.Stderr, "note: streaming from the simulator: %s\n", simulated)
		}
	}
	p, modelName, err := reg.Resolve(name)
	if err != nil {
		return err
	}
	req := &sluice.Request{Model: modelName, System: *system, Messages: []sluice.Message{sluice.UserMessage(prompt)},
		MaxTokens: *maxTokens, Temperature: temperature.v}
	if err := req.Validate(); err != nil {
		return err
	}

	parent := ctx
	if *timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *timeout)
		defer cancel()
	}
	s, err := p.Stream(ctx, req)
	if err != nil {
		if parent.Err() != nil {
			return &exitError{code: 130, err: errors.New("cancelled before the first token")}
		}
		return err
	}
	defer s.Close()

	// Count every stream exactly: the count is the estimate when the
	// provider reports no usage, and what a budget is measured against.
	enc, exact := tokens.ForModel(modelName)
	counter := enc.NewCounter()
	s.CountWith(counter)
	if *budget > 0 {
		if !exact {
			fmt.Fprintf(a.Stderr, "note: %s has no known tiktoken encoding; the budget counts with %s, an approximation\n", name, enc.Name())
		}
		s.StopAfter(*budget, enc.Count)
	}

	tty := isTerminal(a.Stdout)
	out := &streamPrinter{w: a.Stdout, tty: tty, noReasoning: *noReasoning, quiet: *asJSON}
	var bar *progressbar.ProgressBar
	if *progress && isTerminal(a.Stderr) {
		limit := int64(*budget)
		if limit == 0 && *maxTokens > 0 {
			limit = int64(*maxTokens)
		}
		if limit == 0 {
			limit = -1 // a spinner: the length is unknown
		}
		bar = newTokenBar(a.Stderr, limit)
		if tty {
			// The bar redraws its line; text on the same terminal would
			// tear it, so the text is shown when the stream ends.
			out.hold = true
		}
	}
	for ev, err := range s.Events() {
		if err != nil {
			break
		}
		if *chunks {
			printChunk(a.Stderr, &ev)
		}
		out.print(&ev)
		if bar != nil && ev.Type.IsContent() {
			bar.Set(counter.Count())
		}
	}
	if bar != nil {
		bar.Finish()
		fmt.Fprintln(a.Stderr)
	}
	out.finish()
	res := s.Result()
	if *asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(&res); err != nil {
			return err
		}
	}
	printSummary(a.Stderr, name, &res)
	if res.Err != nil {
		if parent.Err() != nil && res.Err.Kind == sluice.KindCanceled {
			return &exitError{code: 130, err: fmt.Errorf("cancelled; the %d characters above are partial", len(res.Text))}
		}
		if res.Err.Kind == sluice.KindTimeout && ctx.Err() != nil {
			return fmt.Errorf("timed out after %v (--timeout); the text above is partial", *timeout)
		}
		return res.Err
	}
	return nil
}

// streamPrinter writes events as a person reads them: text as it arrives,
// reasoning dimmed (or hidden), tool calls on their own lines.
type streamPrinter struct {
	w                  io.Writer
	tty, noReasoning   bool
	quiet              bool
	inReasoning, wrote bool
	lastNewline        bool
	// hold keeps the text until finish, while a progress bar owns the
	// terminal.
	hold bool
	held strings.Builder
}

func (p *streamPrinter) write(s string) {
	if s == "" {
		return
	}
	if p.hold {
		p.held.WriteString(s)
	} else {
		io.WriteString(p.w, s)
	}
	p.wrote = true
	p.lastNewline = strings.HasSuffix(s, "\n")
}

func (p *streamPrinter) setReasoning(on bool) {
	if on == p.inReasoning {
		return
	}
	p.inReasoning = on
	if p.tty {
		if on {
			p.write(styleDim)
		} else {
			p.write(styleReset)
		}
	}
	if !on && !p.lastNewline {
		p.write("\n")
	}
}

func (p *streamPrinter) print(ev *sluice.Event) {
	if p.quiet {
		return
	}
	switch ev.Type {
	case sluice.EventReasoning:
		if p.noReasoning {
			return
		}
		p.setReasoning(true)
		p.write(ev.Text)
	case sluice.EventText, sluice.EventRefusal:
		p.setReasoning(false)
		p.write(ev.Text)
	case sluice.EventItemStart:
		if ev.Kind == sluice.ItemToolCall {
			p.setReasoning(false)
			if p.wrote && !p.lastNewline {
				p.write("\n")
			}
			p.write(fmt.Sprintf("[tool call %s ", ev.Name))
		}
	case sluice.EventToolCall:
		p.write(ev.Text)
	case sluice.EventItemDone:
		if ev.Kind == sluice.ItemToolCall {
			p.write("]\n")
		}
	}
}

func (p *streamPrinter) finish() {
	p.setReasoning(false)
	if p.wrote && !p.lastNewline {
		p.write("\n")
	}
	if p.hold {
		io.WriteString(p.w, p.held.String())
		p.hold = false
	}
}

// newTokenBar draws output tokens against limit (-1: unknown) with the rate
// and the elapsed time.
func newTokenBar(w io.Writer, limit int64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(limit,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("tokens"),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("tok"),
		progressbar.OptionSetElapsedTime(true),
		progressbar.OptionSetPredictTime(limit > 0),
		progressbar.OptionThrottle(50*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}

func printChunk(w io.Writer, ev *sluice.Event) {
	fmt.Fprintf(w, "+%9.3fms %-14s", float64(ev.At)/1e6, ev.Type)
	if ev.Text != "" {
		fmt.Fprintf(w, " %q", ev.Text)
	}
	if len(ev.Raw) > 0 {
		fmt.Fprintf(w, " raw=%s", ev.Raw)
	}
	fmt.Fprintln(w)
}

// printSummary writes the metrics line and any warning a person should see.
func printSummary(w io.Writer, model string, res *sluice.Result) {
	m := res.Metrics
	est := ""
	if m.TokensEstimated {
		est = " (estimated)"
	}
	fmt.Fprintf(w, "%s · TTFT %s · %.1f tok/s · %d output tokens%s · finish %s",
		model, fmtDur(m.TTFT), m.TPS, m.OutputTokens, est, res.Finish)
	if res.Partial {
		fmt.Fprint(w, " · PARTIAL")
	}
	fmt.Fprintln(w)
	switch res.Finish {
	case sluice.FinishLength:
		fmt.Fprintln(w, "warning: the output hit the token limit and is cut off; raise --max-tokens for the rest")
	case sluice.FinishContentFilter:
		fmt.Fprintf(w, "warning: the provider stopped the output for content reasons (%s)\n", res.RawFinish)
	}
}

func fmtDur(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fms", float64(d)/1e6)
}

var _ flag.Value = (*optionalFloat)(nil)
