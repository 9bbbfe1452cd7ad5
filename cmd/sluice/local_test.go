package main

import (
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The same local model streams through sluice stream and through sluice
// serve's /stream, picked as the default because it is the only model in
// the folder, and greedy decoding makes both give the same text.
func TestLocalModelStreamAndServe(t *testing.T) {
	_, path := sharedStories260K(t)
	dir := t.TempDir()
	if err := os.Symlink(path, filepath.Join(dir, "stories260K.gguf")); err != nil {
		t.Fatal(err)
	}
	env := envMap(map[string]string{"SLUICE_MODELS": dir, "SLUICE_NO_PULL": "1"})
	const prompt = "Once upon a time"

	code, out, errs := runWith(t.Context(), env, "", "stream", "--temperature", "0", "--max-tokens", "24", prompt)
	if code != 0 || !strings.Contains(errs, "local/stories260K · TTFT") || !strings.Contains(errs, "24 output tokens") {
		t.Fatalf("sluice stream: exit %d stderr %q", code, errs)
	}
	streamed := strings.TrimSpace(out)

	s := startServe(t, env)
	if !strings.Contains(waitOutput(t, s.stdout, "default model"), "default model local/stories260K\n") {
		t.Errorf("serve stdout %q", s.stdout.String())
	}
	status, body := httpDo(t, "GET", s.base+"/stream?"+url.Values{"prompt": {prompt}, "temperature": {"0"}, "max_tokens": {"24"}}.Encode(), "")
	if status != 200 {
		t.Fatalf("/stream: %d %s", status, body)
	}
	var served strings.Builder
	var types []string
	for _, line := range strings.Split(body, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var ev struct {
			Type, Text, Model string
			Simulated         *bool
		}
		if err := json.Unmarshal([]byte(data), &ev); err != nil {
			t.Fatalf("event %q: %v", data, err)
		}
		types = append(types, ev.Type)
		switch ev.Type {
		case "start":
			if ev.Model != "local/stories260K" || ev.Simulated == nil || *ev.Simulated {
				t.Errorf("start event %s", data)
			}
		case "token":
			served.WriteString(ev.Text)
		}
	}
	if len(types) < 3 || types[0] != "start" || types[len(types)-1] != "done" {
		t.Fatalf("event types %q in %s", types, body)
	}
	if streamed == "" || strings.TrimSpace(served.String()) != streamed {
		t.Errorf("sluice stream wrote %q, /stream sent %q", streamed, served.String())
	}
}
