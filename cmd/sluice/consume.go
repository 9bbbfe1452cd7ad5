package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/sse"
)

// headerFlags collects repeated -H "Name: value" flags.
type headerFlags []string

func (h *headerFlags) String() string { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error {
	if !strings.Contains(v, ":") {
		return fmt.Errorf("header %q is not of the form 'Name: value'", v)
	}
	*h = append(*h, v)
	return nil
}

// sluiceEvent is the JSON payload of sluice's own /stream endpoint.
type sluiceEvent struct {
	Type         string          `json:"type"`
	Text         string          `json:"text"`
	FinishReason string          `json:"finish_reason"`
	Metrics      json.RawMessage `json:"metrics"`
	Kind         string          `json:"kind"`
	Message      string          `json:"message"`
}

func runConsume(ctx context.Context, a *App, args []string) error {
	fs := a.flagSet("consume", "consume [--events] [-d JSON] [-H 'Name: value'] URL")
	events := fs.Bool("events", false, "print one JSON line per dispatched event: {\"event\", \"data\", \"id\"}")
	data := fs.String("d", "", "send this body with POST (for example an OpenAI chat request with \"stream\": true)")
	var headers headerFlags
	fs.Var(&headers, "H", "add a request header 'Name: value' (repeatable)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{code: 2, err: errors.New("give exactly one URL")}
	}
	url := fs.Arg(0)
	method, body := http.MethodGet, io.Reader(nil)
	if *data != "" {
		method, body = http.MethodPost, strings.NewReader(*data)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return fmt.Errorf("bad URL %q: %w", url, err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if *data != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return &exitError{code: 130}
		}
		return fmt.Errorf("cannot reach %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return fmt.Errorf("%s answered %s: %s", url, resp.Status, bytes.TrimSpace(msg))
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/event-stream") {
		fmt.Fprintf(a.Stderr, "warning: Content-Type is %q, not text/event-stream; reading it as SSE anyway\n", ct)
	}
	dec := sse.NewDecoder(resp.Body)
	enc := json.NewEncoder(a.Stdout)
	enc.SetEscapeHTML(false)
	var streamErr error
	for dec.Next() {
		ev := dec.Event()
		if *events {
			name := ev.Type
			if name == "" {
				name = "message"
			}
			if err := enc.Encode(struct {
				Event string `json:"event"`
				Data  string `json:"data"`
				ID    string `json:"id"`
			}{name, string(ev.Data), ev.ID}); err != nil {
				return err
			}
			continue
		}
		if err := printEventText(a, ev.Data, &streamErr); err != nil {
			return err
		}
	}
	if err := dec.Err(); err != nil {
		if ctx.Err() != nil {
			fmt.Fprintln(a.Stderr, "\n[cancelled]")
			return &exitError{code: 130}
		}
		return fmt.Errorf("reading the stream: %w", err)
	}
	return streamErr
}

// printEventText prints the text of one event: token text for sluice's own
// format, and the raw data line for anything else.
func printEventText(a *App, data []byte, streamErr *error) error {
	var ev sluiceEvent
	if json.Unmarshal(data, &ev) != nil || ev.Type == "" {
		_, err := fmt.Fprintf(a.Stdout, "%s\n", data)
		return err
	}
	switch ev.Type {
	case "token":
		_, err := io.WriteString(a.Stdout, ev.Text)
		return err
	case "done":
		fmt.Fprintln(a.Stdout)
		fmt.Fprintf(a.Stderr, "finish: %s  metrics: %s\n", ev.FinishReason, ev.Metrics)
	case "error":
		fmt.Fprintln(a.Stdout)
		*streamErr = fmt.Errorf("stream error (%s): %s", ev.Kind, ev.Message)
	default:
		_, err := fmt.Fprintf(a.Stdout, "%s\n", data)
		return err
	}
	return nil
}
