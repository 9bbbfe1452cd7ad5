package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/provider/local"
	"github.com/sluicehq/sluice/provider/local/pull"
)

func runPull(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("pull", "pull [--sha256 HEX] [--insecure-skip-verify] NAME|URL\n\n"+
		"Downloads a GGUF model into the models folder ($SLUICE_MODELS, else sluice/models in the\n"+
		"user's cache folder), resuming an interrupted download and checking the file's sha256,\n"+
		"then stream it with: sluice stream --model local/NAME PROMPT. A URL's file name becomes\n"+
		"the model's name. SLUICE_PULL_BASE (or HF_ENDPOINT) replaces https://huggingface.co in\n"+
		"the known models' URLs, for a mirror. The known models:\n\n"+catalogText(""))
	sum := fs.String("sha256", "", "the file's expected sha256 in `hex`, checked instead of the catalog's or the host's")
	insecure := fs.Bool("insecure-skip-verify", false, "store the file even when no sha256 is known to check it against")
	list := fs.Bool("list", false, "list the known models and exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	env, err := gateway.Env(a.Getenv, ".env")
	if err != nil {
		return err
	}
	host := pullHost(env)
	if *list {
		io.WriteString(a.Stdout, catalogText(host))
		return nil
	}
	if fs.NArg() != 1 {
		return &exitError{code: 2, err: fmt.Errorf("name one model or a .gguf URL to pull; the known models are:\n\n%s", catalogText(host))}
	}
	m, err := pull.Resolve(fs.Arg(0), host)
	if err != nil {
		return err
	}
	d := &pull.Downloader{Dir: modelsDir(env), SHA256: *sum, InsecureSkipVerify: *insecure}
	res, err := a.download(ctx, d, m)
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: 130, err: err}
		}
		return err
	}
	switch {
	case res.Existed && res.SHA256 != "":
		fmt.Fprintf(a.Stdout, "%s is already in %s (sha256 checked against the %s)\n", m.Name, res.Path, res.HashSource)
	case res.Existed:
		fmt.Fprintf(a.Stdout, "%s is already in %s\n", m.Name, res.Path)
	case res.SHA256 == "":
		fmt.Fprintf(a.Stdout, "pulled %s into %s (%s)\n", m.Name, res.Path, sizeMiB(res.Size))
		fmt.Fprintf(a.Stderr, "warning: %s was stored without a sha256 check (--insecure-skip-verify)\n", res.Path)
	default:
		fmt.Fprintf(a.Stdout, "pulled %s into %s (%s, sha256 %s from the %s)\n", m.Name, res.Path, sizeMiB(res.Size), res.SHA256, res.HashSource)
	}
	fmt.Fprintf(a.Stdout, "stream it with: sluice stream --model local/%s \"Once upon a time\"\n", m.Name)
	return nil
}

// download runs d for m, drawing a progress bar on stderr when it is a
// terminal, or writing a line when it is not. It sets d.Progress.
func (a *App) download(ctx context.Context, d *pull.Downloader, m pull.Model) (pull.Result, error) {
	var bar *progressbar.ProgressBar
	if isTerminal(a.Stderr) {
		d.Progress = func(done, total int64) {
			if bar == nil {
				bar = newBytesBar(a.Stderr, total, m.Name)
			}
			bar.Set64(done)
		}
	} else {
		d.Progress = nil
		fmt.Fprintf(a.Stderr, "pulling %s from %s into %s\n", m.Name, m.URL, d.Dir)
	}
	res, err := d.Pull(ctx, m)
	if bar != nil {
		if err == nil {
			bar.Finish()
		} else {
			bar.Exit()
		}
		fmt.Fprintln(a.Stderr)
	}
	return res, err
}

// newBytesBar draws bytes received against total (-1: unknown) with the
// rate and the time left.
func newBytesBar(w io.Writer, total int64, name string) *progressbar.ProgressBar {
	return progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("pulling "+name),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(total > 0),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetWidth(30),
	)
}

// catalogText lists the known models, one a line, for help and errors.
func catalogText(host string) string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', 0)
	for _, m := range pull.Catalog(host) {
		check := "sha256 from the host"
		if m.SHA256 != "" {
			check = "sha256 pinned"
		}
		def := ""
		if m.Name == pull.Default {
			def = " (default)"
		}
		fmt.Fprintf(tw, "  %s%s\t%s\t%s; %s\n", m.Name, def, m.About, m.License, check)
	}
	tw.Flush()
	return b.String()
}

// pullHost is the Hugging Face endpoint for the catalog's URLs:
// SLUICE_PULL_BASE, else HF_ENDPOINT (the variable Hugging Face's own tools
// read for a mirror), else "" for huggingface.co.
func pullHost(getenv func(string) string) string {
	if h := getenv("SLUICE_PULL_BASE"); h != "" {
		return h
	}
	return getenv("HF_ENDPOINT")
}

// modelsDir is the folder the local provider reads models from.
func modelsDir(getenv func(string) string) string {
	p, _ := local.FromEnv(getenv)
	return p.ModelsDir()
}

// noPullEnv reports whether SLUICE_NO_PULL turns the first-run download off:
// any value but "", "0" and "false".
func noPullEnv(getenv func(string) string) bool {
	v := getenv("SLUICE_NO_PULL")
	if v == "" {
		return false
	}
	off, err := strconv.ParseBool(v)
	return err != nil || off
}

func sizeMiB(n int64) string {
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
