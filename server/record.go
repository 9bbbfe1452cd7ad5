package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/requestlog"
)

// call describes one accepted request for what is recorded once it ends.
type call struct {
	id, api string
	// name is the "provider/model" name after aliases; provider and model
	// are its parts.
	name, provider, model string
	prompt, system        string
	start                 time.Time
}

// finish records a response that was streamed (or collected): metrics, one
// log line and a request log entry. It runs after the response was written,
// off the per-token path; the request log write is queued, never awaited.
func (s *Server) finish(c *call, out *relayResult) {
	res := &out.res
	if res.Err != nil {
		res.Err = s.scrub(res.Err)
	}
	s.metrics.observe(c.provider, c.model, res, out.clientGone, out.shutdown)
	oc := outcome(res)
	attrs := []slog.Attr{
		slog.String("id", c.id), slog.String("api", c.api), slog.String("model", c.name),
		slog.Float64("ttft_ms", msf(res.Metrics.TTFT)), slog.Int64("output_tokens", res.Metrics.OutputTokens),
		slog.Float64("tps", round1(res.Metrics.TPS)), slog.String("finish", string(res.Finish)),
		slog.String("outcome", oc), slog.Float64("duration_ms", msf(time.Since(c.start))),
	}
	level := slog.LevelInfo
	if res.Err != nil {
		attrs = append(attrs, slog.String("error_kind", res.Err.Kind.String()), slog.String("error", res.Err.Message))
		if oc == "error" {
			level = slog.LevelWarn
		}
	}
	if out.clientGone {
		attrs = append(attrs, slog.Bool("client_gone", true))
	}
	s.log.LogAttrs(context.Background(), level, "request", attrs...)

	if s.reqlog == nil {
		return
	}
	// A key pasted into a prompt, or echoed by a model, is not kept.
	e := requestlog.Entry{ID: c.id, Time: c.start, API: c.api, Model: c.name,
		System: s.redactText(c.system), Prompt: s.redactText(c.prompt), Text: s.redactText(res.Text),
		Finish: res.Finish, Usage: res.Usage, Metrics: res.Metrics, Partial: res.Partial}
	if res.Err != nil {
		e.ErrorKind, e.Error = res.Err.Kind.String(), res.Err.Message
	}
	s.reqlog.Record(e)
}

// logRejected logs a request answered with an error before any stream
// started, and counts it. Rejected requests are not stored in the request
// log, which keeps responses.
func (s *Server) logRejected(id, api, model string, status int, e *sluice.Error, start time.Time) {
	provider, m := "", ""
	if model != "" {
		if p, mm, err := sluice.SplitModel(model); err == nil && e.Provider != "" {
			provider, m = p, mm
		}
	}
	s.metrics.observeRejected(provider, m, e)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	s.log.LogAttrs(context.Background(), level, "request", slog.String("id", id), slog.String("api", api),
		slog.String("model", model), slog.Int("status", status), slog.String("outcome", "rejected"),
		slog.String("error_kind", e.Kind.String()), slog.String("error", e.Message),
		slog.Float64("duration_ms", msf(time.Since(start))))
}

func msf(d time.Duration) float64 { return float64(d.Microseconds()) / 1e3 }

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }
