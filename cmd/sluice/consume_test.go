package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func runApp(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	a := &App{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }}
	code = a.Run(context.Background(), args)
	return code, out.String(), errb.String()
}

func sseServer(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestConsume(t *testing.T) {
	body := "id: 1\ndata: {\"type\":\"token\",\"text\":\"Hel\"}\n\n" +
		": heartbeat\n\n" +
		"id: 2\r\ndata: {\"type\":\"token\",\"text\":\"lo\\n\\ndata: forged\"}\r\n\r\n" +
		"id: 3\ndata: {\"type\":\"done\",\"finish_reason\":\"stop\",\"metrics\":{\"ttft_ms\":1}}\n\n"
	url := sseServer(t, body)

	t.Run("text", func(t *testing.T) {
		code, out, errs := runApp(t, "consume", url)
		if code != 0 || out != "Hello\n\ndata: forged\n" || !strings.Contains(errs, "finish: stop") {
			t.Fatalf("code %d out %q err %q", code, out, errs)
		}
	})
	t.Run("events", func(t *testing.T) {
		code, out, _ := runApp(t, "consume", "--events", url)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != 3 {
			t.Fatalf("code %d lines %q", code, lines)
		}
		var ev struct{ Event, Data, ID string }
		if err := json.Unmarshal([]byte(lines[1]), &ev); err != nil {
			t.Fatal(err)
		}
		if ev.Event != "message" || ev.ID != "2" || !strings.Contains(ev.Data, `"lo\n\ndata: forged"`) {
			t.Fatalf("event = %+v", ev)
		}
	})
	t.Run("error event", func(t *testing.T) {
		url := sseServer(t, "data: {\"type\":\"token\",\"text\":\"par\"}\n\ndata: {\"type\":\"error\",\"kind\":\"server\",\"message\":\"boom\",\"partial_text\":\"par\"}\n\n")
		code, out, errs := runApp(t, "consume", url)
		if code != 1 || !strings.HasPrefix(out, "par") || !strings.Contains(errs, "boom") {
			t.Fatalf("code %d out %q err %q", code, out, errs)
		}
	})
	t.Run("foreign format", func(t *testing.T) {
		url := sseServer(t, "data: {\"choices\":[]}\n\ndata: [DONE]\n\n")
		code, out, _ := runApp(t, "consume", url)
		if code != 0 || out != "{\"choices\":[]}\n[DONE]\n" {
			t.Fatalf("code %d out %q", code, out)
		}
	})
	t.Run("http error", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "nope", http.StatusTeapot)
		}))
		defer srv.Close()
		code, _, errs := runApp(t, "consume", srv.URL)
		if code != 1 || !strings.Contains(errs, "418") || !strings.Contains(errs, "nope") {
			t.Fatalf("code %d err %q", code, errs)
		}
	})
	t.Run("usage", func(t *testing.T) {
		if code, _, _ := runApp(t, "consume"); code != 2 {
			t.Fatalf("code %d", code)
		}
	})
}
