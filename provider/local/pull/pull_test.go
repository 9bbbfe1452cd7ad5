package pull

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// testFile is a model file's bytes and their sha256.
func testFile(n int) ([]byte, string) {
	r := rand.New(rand.NewPCG(1, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.UintN(256))
	}
	sum := sha256.Sum256(b)
	return b, hex.EncodeToString(sum[:])
}

// serveContent answers with data, honouring Range as a real host does.
func serveContent(data []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "model.gguf", time.Time{}, bytes.NewReader(data))
	}
}

// rangeLog records the Range header of every request a server gets.
type rangeLog struct {
	mu     sync.Mutex
	ranges []string
}

func (l *rangeLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l.mu.Lock()
		l.ranges = append(l.ranges, r.Header.Get("Range"))
		l.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (l *rangeLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.ranges...)
}

func TestPull(t *testing.T) {
	data, sum := testFile(700 << 10)
	other := strings.Repeat("ab", 32)
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		pinned   string // the catalog's hash
		size     int64  // the catalog's size
		flag     string // Downloader.SHA256
		insecure bool
		source   string // the HashSource expected; "" with an error
		err      []string
	}{
		{name: "pinned hash", handler: serveContent(data), pinned: sum, size: int64(len(data)), source: "catalog"},
		{name: "host hash on a redirect", handler: func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/cdn/model.gguf" {
				serveContent(data)(w, r)
				return
			}
			w.Header().Set("X-Linked-Etag", `"`+sum+`"`)
			http.Redirect(w, r, "/cdn/model.gguf", http.StatusFound)
		}, source: "host"},
		{name: "host hash on the answer", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Linked-Etag", `W/"`+strings.ToUpper(sum)+`"`)
			serveContent(data)(w, r)
		}, source: "host"},
		{name: "flag hash", handler: serveContent(data), flag: sum, source: "--sha256"},
		{name: "flag wins over the catalog", handler: serveContent(data), flag: sum, pinned: other, source: "--sha256"},
		{name: "no hash, unchecked", handler: serveContent(data), insecure: true, source: ""},
		{name: "no hash refused", handler: serveContent(data),
			err: []string{"no sha256", "--sha256", "--insecure-skip-verify"}},
		{name: "mismatch", handler: serveContent(data), pinned: other,
			err: []string{"sha256 mismatch", "expected " + other, "got " + sum, "deleted"}},
		{name: "host's hash mismatches the file", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Linked-Etag", `"`+other+`"`)
			serveContent(data)(w, r)
		}, err: []string{"sha256 mismatch", "expected " + other + " (from the host)"}},
		{name: "host contradicts the catalog", handler: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Linked-Etag", `"`+other+`"`)
			serveContent(data)(w, r)
		}, pinned: sum, err: []string{"publishes sha256 " + other, "changed upstream", "nothing was downloaded"}},
		{name: "size differs from the catalog", handler: serveContent(data), pinned: sum, size: 5,
			err: []string{"expects 5", "changed upstream"}},
		{name: "not found", handler: http.NotFound, pinned: sum, err: []string{"404 Not Found", "no such file"}},
		{name: "gated", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) },
			pinned: sum, err: []string{"401", "gated"}},
		{name: "server error", handler: func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) },
			pinned: sum, err: []string{"502", "try again later"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			dir := t.TempDir()
			m := Model{Name: "tiny", URL: srv.URL + "/org/repo/resolve/main/tiny.gguf", SHA256: tt.pinned, Size: tt.size}
			var calls int
			d := &Downloader{Dir: dir, SHA256: tt.flag, InsecureSkipVerify: tt.insecure, Progress: func(done, total int64) { calls++ }}
			res, err := d.Pull(context.Background(), m)
			final := filepath.Join(dir, "tiny.gguf")
			if tt.err != nil {
				if err == nil {
					t.Fatalf("no error; result %+v", res)
				}
				for _, want := range tt.err {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				}
				if _, err := os.Stat(final); err == nil {
					t.Error("a failed pull stored the model")
				}
				if strings.Contains(tt.name, "mismatch") {
					var me *MismatchError
					if !errors.As(err, &me) || me.Got != sum {
						t.Errorf("error %T %v is not a *MismatchError with the file's hash", err, err)
					}
					if _, err := os.Stat(final + ".part"); err == nil {
						t.Error("the .part of a mismatched download is still there")
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, err := os.ReadFile(final)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("stored file: %d bytes, err %v", len(got), err)
			}
			wantSum := sum
			if tt.source == "" {
				wantSum = ""
			}
			if res.Path != final || res.Size != int64(len(data)) || res.HashSource != tt.source || res.SHA256 != wantSum || res.Existed || res.Resumed != 0 {
				t.Errorf("result %+v", res)
			}
			if _, err := os.Stat(final + ".part"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("the .part is still there: %v", err)
			}
			if calls < 2 {
				t.Errorf("progress called %d times", calls)
			}
		})
	}
}

// abortAfter sends the Content-Length of the whole file, then n bytes, then
// drops the connection: a transfer interrupted midway.
func abortAfter(data []byte, n int) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(http.StatusOK)
		w.Write(data[:n])
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
}

func TestPullResumes(t *testing.T) {
	data, sum := testFile(1 << 20)
	var log rangeLog
	var mu sync.Mutex
	interrupted := false
	srv := httptest.NewServer(log.wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		first := !interrupted
		interrupted = true
		mu.Unlock()
		if first {
			abortAfter(data, len(data)/2)(w, r)
			return
		}
		serveContent(data)(w, r)
	})))
	defer srv.Close()
	dir := t.TempDir()
	m := Model{Name: "tiny", URL: srv.URL + "/tiny.gguf", SHA256: sum}
	var first [2]int64
	d := &Downloader{Dir: dir, Progress: func(done, total int64) {
		if first == [2]int64{} {
			first = [2]int64{done, total}
		}
	}}
	_, err := d.Pull(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "broke off") || !strings.Contains(err.Error(), "pull again to resume") {
		t.Fatalf("interrupted pull: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "tiny.gguf.part"))
	if err != nil || fi.Size() == 0 || fi.Size() > int64(len(data)/2) {
		t.Fatalf("the .part after the interruption: %v, %v", fi, err)
	}
	kept := fi.Size()

	first = [2]int64{}
	res, err := d.Pull(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	if got := log.get(); len(got) != 2 || got[0] != "" || got[1] != fmt.Sprintf("bytes=%d-", kept) {
		t.Errorf("Range headers %q, want none then bytes=%d-", got, kept)
	}
	if res.Resumed != kept || res.HashSource != "catalog" || res.Size != int64(len(data)) {
		t.Errorf("result %+v, want %d bytes resumed", res, kept)
	}
	if first != [2]int64{kept, int64(len(data))} {
		t.Errorf("first progress %v, want the kept bytes of the total", first)
	}
	if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
		t.Error("the resumed file differs from the original")
	}
}

func TestPullPartialStates(t *testing.T) {
	data, sum := testFile(300 << 10)
	tests := []struct {
		name    string
		part    []byte // the .part before the pull
		handler http.HandlerFunc
		resumed int64
		ranges  []string
	}{
		// The server ignores Range and sends the whole file with 200: the
		// .part is rewritten from the start.
		{"server ignores Range", []byte("garbage that is not the file's start"),
			func(w http.ResponseWriter, r *http.Request) { w.Write(data) }, 0, []string{"bytes=36-"}},
		// Cut short between the last byte and the rename: 416 says the
		// part is complete.
		{"part already complete", data, serveContent(data), int64(len(data)), []string{fmt.Sprintf("bytes=%d-", len(data))}},
		// A part longer than the file is of no use: start over.
		{"part too long", append(append([]byte{}, data...), 1, 2, 3), serveContent(data), 0,
			[]string{fmt.Sprintf("bytes=%d-", len(data)+3), ""}},
		// A 206 that does not start where the part ends: start over.
		{"range from elsewhere", data[:1000], func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Range") == "" {
				w.Write(data)
				return
			}
			w.Header().Set("Content-Range", fmt.Sprintf("bytes 0-9/%d", len(data)))
			w.WriteHeader(http.StatusPartialContent)
			w.Write(data[:10])
		}, 0, []string{"bytes=1000-", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log rangeLog
			srv := httptest.NewServer(log.wrap(tt.handler))
			defer srv.Close()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "tiny.gguf.part"), tt.part, 0o644); err != nil {
				t.Fatal(err)
			}
			d := &Downloader{Dir: dir}
			res, err := d.Pull(context.Background(), Model{Name: "tiny", URL: srv.URL + "/tiny.gguf", SHA256: sum})
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := os.ReadFile(res.Path); !bytes.Equal(got, data) {
				t.Error("stored file differs from the original")
			}
			if res.Resumed != tt.resumed {
				t.Errorf("resumed %d, want %d", res.Resumed, tt.resumed)
			}
			if got := log.get(); strings.Join(got, "|") != strings.Join(tt.ranges, "|") {
				t.Errorf("Range headers %q, want %q", got, tt.ranges)
			}
		})
	}
}

// A connection that goes silent is abandoned, keeping the .part.
func TestPullStall(t *testing.T) {
	data, sum := testFile(1 << 20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:4096])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	d := &Downloader{Dir: dir, stall: 50 * time.Millisecond}
	_, err := d.Pull(context.Background(), Model{Name: "tiny", URL: srv.URL + "/tiny.gguf", SHA256: sum})
	if err == nil || !strings.Contains(err.Error(), "no data for 50ms") || !strings.Contains(err.Error(), "pull again to resume") {
		t.Fatalf("error %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tiny.gguf.part")); err != nil || fi.Size() != 4096 {
		t.Fatalf("the .part was not kept: %v %v", fi, err)
	}
}

func TestPullCancelKeepsPart(t *testing.T) {
	data, sum := testFile(1 << 20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.Write(data[:4096])
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	}))
	defer srv.Close()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := &Downloader{Dir: dir, Progress: func(done, total int64) {
		if done > 0 {
			cancel()
		}
	}}
	_, err := d.Pull(ctx, Model{Name: "tiny", URL: srv.URL + "/tiny.gguf", SHA256: sum})
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "pull again to resume") {
		t.Fatalf("error %v", err)
	}
	if fi, err := os.Stat(filepath.Join(dir, "tiny.gguf.part")); err != nil || fi.Size() == 0 {
		t.Fatalf("the .part was not kept: %v", err)
	}
}

func TestPullExisting(t *testing.T) {
	data, sum := testFile(1000)
	dir := t.TempDir()
	final := filepath.Join(dir, "tiny.gguf")
	if err := os.WriteFile(final, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// No server: an existing model needs no network.
	m := Model{Name: "tiny", URL: "http://127.0.0.1:1/tiny.gguf"}
	res, err := (&Downloader{Dir: dir}).Pull(context.Background(), m)
	if err != nil || !res.Existed || res.Size != 1000 || res.SHA256 != "" {
		t.Fatalf("unverified: %+v, %v", res, err)
	}
	m.SHA256 = sum
	res, err = (&Downloader{Dir: dir}).Pull(context.Background(), m)
	if err != nil || !res.Existed || res.SHA256 != sum || res.HashSource != "catalog" {
		t.Fatalf("verified: %+v, %v", res, err)
	}
	_, err = (&Downloader{Dir: dir, SHA256: strings.Repeat("0", 64)}).Pull(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "already there") || !strings.Contains(err.Error(), sum) {
		t.Fatalf("mismatch: %v", err)
	}
	if _, err := os.Stat(final); err != nil {
		t.Error("a mismatched existing file was deleted; it is the user's")
	}
}

func TestPullBadInput(t *testing.T) {
	tests := []struct {
		name string
		d    Downloader
		m    Model
		err  string
	}{
		{"no folder", Downloader{}, Model{Name: "x", URL: "http://127.0.0.1:1/x.gguf"}, "no models folder"},
		{"path in the name", Downloader{Dir: "d"}, Model{Name: "../x", URL: "http://127.0.0.1:1/x.gguf"}, "file name"},
		{"bad flag hash", Downloader{Dir: "d", SHA256: "abc"}, Model{Name: "x"}, "--sha256"},
		{"unreachable", Downloader{}, Model{Name: "x", URL: "http://127.0.0.1:1/x.gguf"}, "cannot reach 127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.d
			if tt.name == "unreachable" || d.Dir == "d" {
				d.Dir = t.TempDir()
			}
			_, err := d.Pull(context.Background(), tt.m)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one with %q", err, tt.err)
			}
		})
	}
}

// The catalog's pinned hash is the one of the real stories260K, served
// here from ../shared the way Hugging Face serves it.
func TestPullCatalogStories260K(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "..", "shared", "models", "stories260K.gguf"))
	if err != nil {
		t.Skipf("stories260K.gguf not present (%v); skipping", err)
	}
	var (
		mu    sync.Mutex
		paths []string
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		serveContent(data)(w, r)
	}))
	defer srv.Close()
	m, err := Resolve("stories260k", srv.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Downloader{Dir: t.TempDir()}).Pull(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if res.HashSource != "catalog" || filepath.Base(res.Path) != "stories260K.gguf" || len(paths) != 1 ||
		paths[0] != "/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf" {
		t.Errorf("result %+v, paths %q", res, paths)
	}
}

func TestResolve(t *testing.T) {
	tests := []struct {
		arg, host string
		name, url string
		err       []string
	}{
		{arg: "stories260K", name: "stories260K", url: "https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories260K.gguf"},
		{arg: "SmolLM2-135M-Instruct", host: "http://127.0.0.1:9", name: "smollm2-135m-instruct",
			url: "http://127.0.0.1:9/HuggingFaceTB/SmolLM2-135M-Instruct-GGUF/resolve/main/smollm2-135m-instruct-q8_0.gguf"},
		{arg: "stories15M", name: "stories15M", url: "https://huggingface.co/ggml-org/models/resolve/main/tinyllamas/stories15M-q8_0.gguf"},
		{arg: "https://example.com/a/b/tiny-q8_0.gguf?download=true", host: "http://ignored", name: "tiny-q8_0",
			url: "https://example.com/a/b/tiny-q8_0.gguf?download=true"},
		{arg: "https://example.com/a/model.bin", err: []string{"does not name a .gguf file"}},
		{arg: "https://example.com/.gguf", err: []string{"does not name a .gguf file"}},
		{arg: "llama3", err: []string{`unknown model "llama3"`, "stories260K, stories15M, smollm2-135m-instruct", "URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			m, err := Resolve(tt.arg, tt.host)
			if tt.err != nil {
				if err == nil {
					t.Fatalf("no error: %+v", m)
				}
				for _, w := range tt.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil || m.Name != tt.name || m.URL != tt.url {
				t.Fatalf("got %+v, %v", m, err)
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	seen := map[string]bool{}
	for _, m := range Catalog("") {
		if m.Name == "" || !strings.HasPrefix(m.URL, DefaultHost+"/") || !strings.HasSuffix(m.URL, ".gguf") || m.License == "" || m.About == "" {
			t.Errorf("incomplete entry %+v", m)
		}
		if m.SHA256 != "" {
			if h, ok := normalHash(m.SHA256); !ok || h != m.SHA256 {
				t.Errorf("%s: pinned hash %q is not lower-case sha256 hex", m.Name, m.SHA256)
			}
		}
		seen[m.Name] = true
	}
	if !seen[Default] {
		t.Errorf("the default model %q is not in the catalog", Default)
	}
}

func TestParseContentRange(t *testing.T) {
	tests := []struct {
		in          string
		start, size int64
		ok          bool
	}{
		{"bytes 100-199/1000", 100, 1000, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes */1000", 0, 1000, true},
		{"bytes */*", 0, 0, false},
		{"items 0-1/2", 0, 0, false},
		{"bytes 5-9", 0, 0, false},
		{"bytes x-9/10", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		start, size, ok := parseContentRange(tt.in)
		if ok != tt.ok || (ok && (start != tt.start || size != tt.size)) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v", tt.in, start, size, ok)
		}
	}
}

func TestWriteError(t *testing.T) {
	tests := []struct {
		err  error
		want []string
	}{
		{&os.PathError{Op: "write", Path: "m.part", Err: syscall.ENOSPC}, []string{"disk is full", "SLUICE_MODELS", "resumes"}},
		{&os.PathError{Op: "write", Path: "m.part", Err: syscall.EIO}, []string{"writing m.gguf.part"}},
	}
	for _, tt := range tests {
		got := writeError("m.gguf.part", tt.err)
		if !errors.Is(got, tt.err.(*os.PathError).Err) {
			t.Errorf("%v does not wrap %v", got, tt.err)
		}
		for _, w := range tt.want {
			if !strings.Contains(got.Error(), w) {
				t.Errorf("%q lacks %q", got, w)
			}
		}
	}
}
