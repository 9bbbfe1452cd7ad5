package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// modelHost is a stand-in for Hugging Face: it serves files by path, with
// their sha256 in X-Linked-Etag where asked, and counts requests.
type modelHost struct {
	*httptest.Server
	requests atomic.Int64
}

type hostedFile struct {
	data      []byte
	publishes bool // send X-Linked-Etag
}

func newModelHost(t *testing.T, files map[string]hostedFile) *modelHost {
	t.Helper()
	h := &modelHost{}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.requests.Add(1)
		f, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if f.publishes {
			sum := sha256.Sum256(f.data)
			w.Header().Set("X-Linked-Etag", `"`+hex.EncodeToString(sum[:])+`"`)
		}
		http.ServeContent(w, r, "model.gguf", time.Time{}, bytes.NewReader(f.data))
	}))
	t.Cleanup(h.Close)
	return h
}

// waitOutput waits until b holds want, a line a running command prints
// after its first, and returns b's text.
func waitOutput(t *testing.T, b *lockedBuffer, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.String(), want) && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond) // polling an observable state, not waiting a fixed time
	}
	return b.String()
}

// envMap returns a getenv over m.
func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// sharedStories260K returns the bytes of ../shared's stories260K, or skips.
func sharedStories260K(t *testing.T) ([]byte, string) {
	t.Helper()
	path, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "models", "stories260K.gguf"))
	if err == nil {
		var b []byte
		if b, err = os.ReadFile(path); err == nil {
			return b, path
		}
	}
	t.Skipf("stories260K.gguf not present (%v); skipping", err)
	return nil, ""
}

func TestPullCommand(t *testing.T) {
	data := bytes.Repeat([]byte("GGUF model bytes "), 4000)
	sum := hexSum(data)
	host := newModelHost(t, map[string]hostedFile{
		"/org/repo/resolve/main/tiny.gguf":  {data: data, publishes: true},
		"/org/repo/resolve/main/plain.gguf": {data: data},
	})
	zero := strings.Repeat("0", 64)
	tests := []struct {
		name     string
		args     []string
		existing string // a model file already in the folder
		code     int
		stdout   []string
		stderr   []string
		stored   string // the file expected in the folder afterwards
	}{
		{name: "URL, hash from the host", args: []string{host.URL + "/org/repo/resolve/main/tiny.gguf"},
			stdout: []string{"pulled tiny into", "sha256 " + sum + " from the host", "sluice stream --model local/tiny"},
			stderr: []string{"pulling tiny from " + host.URL}, stored: "tiny.gguf"},
		{name: "URL, hash from the flag", args: []string{"--sha256", strings.ToUpper(sum), host.URL + "/org/repo/resolve/main/plain.gguf"},
			stdout: []string{"pulled plain into", "from the --sha256"}, stored: "plain.gguf"},
		{name: "no hash anywhere", args: []string{host.URL + "/org/repo/resolve/main/plain.gguf"}, code: 1,
			stderr: []string{"no sha256 to check", "--sha256 HEX", "--insecure-skip-verify"}},
		{name: "no hash, unchecked", args: []string{"--insecure-skip-verify", host.URL + "/org/repo/resolve/main/plain.gguf"},
			stdout: []string{"pulled plain into"}, stderr: []string{"warning", "without a sha256 check"}, stored: "plain.gguf"},
		{name: "mismatch", args: []string{"--sha256", zero, host.URL + "/org/repo/resolve/main/plain.gguf"}, code: 1,
			stderr: []string{"sha256 mismatch", "expected " + zero + " (from the --sha256)", "got " + sum, "deleted"}},
		{name: "not found", args: []string{host.URL + "/org/repo/resolve/main/nope.gguf"}, code: 1,
			stderr: []string{"404 Not Found", "no such file"}},
		{name: "unknown name", args: []string{"llama3"}, code: 1,
			stderr: []string{`unknown model "llama3"`, "stories260K", "smollm2-135m-instruct"}},
		{name: "not a gguf", args: []string{host.URL + "/model.bin"}, code: 1, stderr: []string{"does not name a .gguf file"}},
		{name: "no argument", code: 2, stderr: []string{"name one model", "stories15M", "smollm2-135m-instruct (default)", "pinned"}},
		{name: "list", args: []string{"--list"}, stdout: []string{"stories260K", "stories15M", "smollm2-135m-instruct (default)", "MIT", "Apache-2.0"}},
		{name: "already there", args: []string{"--sha256", sum, host.URL + "/org/repo/resolve/main/tiny.gguf"}, existing: "tiny.gguf",
			stdout: []string{"tiny is already in", "sha256 checked"}, stored: "tiny.gguf"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.existing != "" {
				os.WriteFile(filepath.Join(dir, tt.existing), data, 0o644)
			}
			before := host.requests.Load()
			code, out, errs := runWith(t.Context(), envMap(map[string]string{"SLUICE_MODELS": dir}), "", append([]string{"pull"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stdout %q stderr %q", code, tt.code, out, errs)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout %q lacks %q", out, w)
				}
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr %q lacks %q", errs, w)
				}
			}
			entries, _ := os.ReadDir(dir)
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			want := ""
			if tt.stored != "" {
				want = tt.stored
				if b, _ := os.ReadFile(filepath.Join(dir, tt.stored)); !bytes.Equal(b, data) {
					t.Errorf("%s does not hold the served file", tt.stored)
				}
			}
			if strings.Join(names, ",") != want {
				t.Errorf("the models folder holds %q, want %q", names, want)
			}
			if tt.existing != "" && host.requests.Load() != before {
				t.Error("pulling a model that is already there asked the host")
			}
		})
	}
}

// A catalog name is fetched from SLUICE_PULL_BASE and checked against the
// catalog's pinned hash.
func TestPullCommandCatalog(t *testing.T) {
	data, _ := sharedStories260K(t)
	host := newModelHost(t, map[string]hostedFile{"/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf": {data: data}})
	dir := t.TempDir()
	code, out, errs := runWith(t.Context(), envMap(map[string]string{"SLUICE_MODELS": dir, "SLUICE_PULL_BASE": host.URL}), "", "pull", "stories260K")
	if code != 0 || !strings.Contains(out, "from the catalog") {
		t.Fatalf("exit %d; stdout %q stderr %q", code, out, errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "stories260K.gguf")); err != nil {
		t.Fatal(err)
	}
}

// defaultPath is where the default model is on the test host.
const defaultPath = "/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/resolve/main/smollm2-135m-instruct-q8_0.gguf"

// With no key and no model, serve downloads the default model before it
// listens, and serves it.
func TestServePullsDefaultModel(t *testing.T) {
	data := bytes.Repeat([]byte("not really a model "), 1000)
	host := newModelHost(t, map[string]hostedFile{defaultPath: {data: data, publishes: true}})
	dir := t.TempDir()
	s := startServe(t, envMap(map[string]string{"SLUICE_MODELS": dir, "SLUICE_PULL_BASE": host.URL}))
	if !strings.Contains(waitOutput(t, s.stdout, "default model"), "default model local/smollm2-135m-instruct\n") {
		t.Errorf("stdout %q", s.stdout.String())
	}
	if !strings.Contains(s.stderr.String(), "downloads its default model, smollm2-135m-instruct") {
		t.Errorf("stderr %q", s.stderr.String())
	}
	if b, err := os.ReadFile(filepath.Join(dir, "smollm2-135m-instruct.gguf")); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("the default model was not stored: %v", err)
	}
	_, b := httpDo(t, "GET", s.base+"/v1/models", "")
	if !strings.Contains(b, `"default":"local/smollm2-135m-instruct"`) || strings.Contains(b, `"notice"`) {
		t.Errorf("models %s", b)
	}
}

// Offline, or told not to download, serve falls back to the simulator and
// says why: on stdout, in the log, and to the page through /v1/models.
func TestServeFallsBackToSimulator(t *testing.T) {
	host := newModelHost(t, map[string]hostedFile{}) // has nothing: every pull fails
	offline := httptest.NewServer(http.NotFoundHandler())
	offline.Close() // nothing listens there any more
	tests := []struct {
		name    string
		env     map[string]string
		args    []string
		notice  string
		stderr  string // the download's error
		askHost bool
	}{
		{"offline", map[string]string{"SLUICE_PULL_BASE": offline.URL}, nil, "smollm2-135m-instruct could not be downloaded", "cannot reach", false},
		{"host has no such file", map[string]string{"SLUICE_PULL_BASE": host.URL}, nil, "could not be downloaded", "404 Not Found", true},
		{"--no-pull", map[string]string{"SLUICE_PULL_BASE": host.URL}, []string{"--no-pull"}, "--no-pull (or SLUICE_NO_PULL) turned off", "", false},
		{"SLUICE_NO_PULL", map[string]string{"SLUICE_PULL_BASE": host.URL, "SLUICE_NO_PULL": "1"}, nil, "turned off the download", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["SLUICE_MODELS"] = t.TempDir()
			before := host.requests.Load()
			s := startServe(t, envMap(tt.env), tt.args...)
			if asked := host.requests.Load() != before; asked != tt.askHost {
				t.Errorf("asked the host: %v, want %v", asked, tt.askHost)
			}
			if out := waitOutput(t, s.stdout, "default model"); !strings.Contains(out, "default model sim/text (simulated: no API key is set") {
				t.Errorf("stdout %q", out)
			}
			_, b := httpDo(t, "GET", s.base+"/v1/models", "")
			if !strings.Contains(b, `"default":"sim/text"`) || !strings.Contains(b, `"notice":"sluice streams from its built-in simulator: no API key`) ||
				!strings.Contains(b, tt.notice) {
				t.Errorf("/v1/models lacks the notice %q: %s", tt.notice, b)
			}
			if code, b := httpDo(t, "GET", s.base+"/stream?prompt=hi&max_tokens=3", ""); code != 200 || !strings.Contains(b, `"simulated":true`) || !strings.Contains(b, `"type":"done"`) {
				t.Errorf("/stream: %d %s", code, b)
			}
			s.stop()
			if errs := s.stderr.String(); !strings.Contains(errs, `msg="no model to serve; the default model is the simulator"`) || !strings.Contains(errs, "reason=") {
				t.Errorf("the log does not say why: %s", errs)
			}
			errs := s.stderr.String()
			pulled := strings.Contains(errs, "could not download the default model: ") && strings.Contains(errs, tt.stderr)
			if pulled != (tt.stderr != "") {
				t.Errorf("stderr should hold the download's error %q (%v): %s", tt.stderr, tt.stderr != "", s.stderr.String())
			}
		})
	}
}

// stream with no key and no model pulls the default model and streams from
// it; here the host hands out stories260K under the default's name.
func TestStreamPullsDefaultModel(t *testing.T) {
	data, _ := sharedStories260K(t)
	host := newModelHost(t, map[string]hostedFile{defaultPath: {data: data, publishes: true}})
	env := envMap(map[string]string{"SLUICE_MODELS": t.TempDir(), "SLUICE_PULL_BASE": host.URL})
	code, out, errs := runWith(t.Context(), env, "", "stream", "--max-tokens", "8", "Once upon a time")
	if code != 0 || strings.TrimSpace(out) == "" || !strings.Contains(errs, "downloads its default model") || !strings.Contains(errs, "local/smollm2-135m-instruct · TTFT") {
		t.Fatalf("exit %d stdout %q stderr %q", code, out, errs)
	}
	// The second run finds the model and asks nothing.
	before := host.requests.Load()
	code, _, errs = runWith(t.Context(), env, "", "stream", "--max-tokens", "4", "Once")
	if code != 0 || strings.Contains(errs, "pulling") || host.requests.Load() != before {
		t.Fatalf("second run: exit %d stderr %q", code, errs)
	}
}

func TestStreamNoPull(t *testing.T) {
	host := newModelHost(t, map[string]hostedFile{})
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"flag", map[string]string{}, []string{"--no-pull"}},
		{"variable", map[string]string{"SLUICE_NO_PULL": "true"}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["SLUICE_MODELS"] = t.TempDir()
			tt.env["SLUICE_PULL_BASE"] = host.URL
			code, out, errs := runWith(t.Context(), envMap(tt.env), "", append(append([]string{"stream", "--max-tokens", "3"}, tt.args...), "hi")...)
			if code != 0 || out == "" || !strings.Contains(errs, "note: streaming from the simulator") || !strings.Contains(errs, "sim/text") {
				t.Fatalf("exit %d stdout %q stderr %q", code, out, errs)
			}
			if host.requests.Load() != 0 {
				t.Error("--no-pull asked the host")
			}
		})
	}
}

func TestNoPullEnv(t *testing.T) {
	for v, want := range map[string]bool{"": false, "0": false, "false": false, "FALSE": false, "1": true, "true": true, "yes": true} {
		if got := noPullEnv(envMap(map[string]string{"SLUICE_NO_PULL": v})); got != want {
			t.Errorf("SLUICE_NO_PULL=%q: %v, want %v", v, got, want)
		}
	}
}
