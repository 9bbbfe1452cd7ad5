package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// App is the sluice command line with its streams and environment made
// explicit, so tests run it in-process without touching the real ones.
type App struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Getenv reads the environment; tests pass a map-backed function.
	Getenv func(string) string
}

// command is one sluice subcommand. run gets the arguments after the
// command's name and returns an error to print, or nil.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, a *App, args []string) error
}

// commands lists every subcommand. Adding one is one line here and one file
// beside this one, named after the command.
func commands() []command {
	return []command{
		{"stream", "stream one response to the terminal with TTFT and tokens/s", runStream},
		{"consume", "read any SSE endpoint: token text, or every event as JSON", runConsume},
		{"sim", "run the provider simulator for tests and load", runSim},
		{"tokens", "count tokens exactly as tiktoken does", runTokens},
		{"serve", "run the streaming gateway, its web page and the OpenAI/Anthropic-compatible APIs", runServe},
		{"bench", "benchmark models (TTFT, ITL, TPOT, tokens/s) or sluice's own overhead", runBench},
		{"pull", "download a local model (resumable, sha256-checked) into the models folder", runPull},
	}
}

// exitError carries a process exit code other than 1 (for example 130 after
// Ctrl-C) through the error path.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}
func (e *exitError) Unwrap() error { return e.err }

// Run executes the command named by args[0] and returns the exit code.
func (a *App) Run(ctx context.Context, args []string) int {
	if a.Getenv == nil {
		a.Getenv = func(string) string { return "" }
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		a.usage(a.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, a, args[1:])
		if err == nil || errors.Is(err, flag.ErrHelp) {
			return 0
		}
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil {
				fmt.Fprintf(a.Stderr, "sluice %s: %v\n", c.name, ee.err)
			}
			return ee.code
		}
		fmt.Fprintf(a.Stderr, "sluice %s: %v\n", c.name, err)
		return 1
	}
	fmt.Fprintf(a.Stderr, "sluice: unknown command %q\n\n", args[0])
	a.usage(a.Stderr)
	return 2
}

func (a *App) usage(w io.Writer) {
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	var b strings.Builder
	b.WriteString("sluice streams LLM responses from any provider to any client.\n\nUsage:\n  sluice <command> [flags] [arguments]\n\nCommands:\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "  %-9s %s\n", c.name, c.summary)
	}
	b.WriteString("\nRun 'sluice <command> -h' for a command's flags.\n")
	io.WriteString(w, b.String())
}

// flagSet returns a FlagSet for a subcommand that reports errors instead of
// exiting, and prints its help on the App's stderr.
func (a *App) flagSet(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("sluice "+name, flag.ContinueOnError)
	fs.SetOutput(a.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(a.Stderr, "Usage: sluice %s\n\n", usage)
		fs.PrintDefaults()
	}
	return fs
}
