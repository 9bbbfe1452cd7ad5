package tokens

import (
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestGet(t *testing.T) {
	for _, name := range Names() {
		e, err := Get(name)
		if err != nil || e.Name() != name {
			t.Errorf("Get(%q) = %v, %v", name, e, err)
		}
		if again, _ := Get(name); again != e {
			t.Errorf("Get(%q) returned a different *Encoding the second time: the vocabulary would load twice", name)
		}
	}
	_, err := Get("cl200k_base")
	if !errors.Is(err, ErrUnknownEncoding) {
		t.Fatalf("Get(unknown) error = %v, want ErrUnknownEncoding", err)
	}
	for _, name := range Names() {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not list %s", err, name)
		}
	}
}

func TestForModel(t *testing.T) {
	tests := []struct {
		model, enc string
		exact      bool
	}{
		{"gpt-4o", "o200k_base", true},
		{"gpt-4o-mini-2024-07-18", "o200k_base", true},
		{"openai/gpt-4o-mini", "o200k_base", true},
		{"ft:gpt-4o-mini:acme::abc123", "o200k_base", true},
		{"o1-preview", "o200k_base", true},
		{"o3-mini", "o200k_base", true},
		{"o4-mini", "o200k_base", true},
		{"gpt-4.1-nano", "o200k_base", true},
		{"GPT-5", "o200k_base", true},
		{"gpt-5-mini", "o200k_base", true},
		{"gpt-4", "cl100k_base", true},
		{"gpt-4-turbo", "cl100k_base", true},
		{"gpt-3.5-turbo-0125", "cl100k_base", true},
		{"text-embedding-3-small", "cl100k_base", true},
		{"text-davinci-003", "p50k_base", true},
		{"davinci", "r50k_base", true},
		{"adaptive-model", "cl100k_base", false},
		{"claude-3-5-haiku-latest", "cl100k_base", false},
		{"ollama/llama3.2", "cl100k_base", false},
		{"", "cl100k_base", false},
	}
	for _, tt := range tests {
		e, exact := ForModel(tt.model)
		if e.Name() != tt.enc || exact != tt.exact {
			t.Errorf("ForModel(%q) = %s, %v; want %s, %v", tt.model, e.Name(), exact, tt.enc, tt.exact)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	e := mustGet("p50k_base")
	for _, id := range []int{-1, 50281, 1 << 40} {
		if _, err := e.Decode([]int{id}); err == nil {
			t.Errorf("Decode(%d): no error", id)
		}
	}
	if s, err := e.Decode([]int{50256}); err != nil || s != "<|endoftext|>" {
		t.Errorf("Decode(50256) = %q, %v", s, err)
	}
	// A slice of ids may cut a character: Decode keeps the exact bytes.
	ids := mustGet("cl100k_base").Encode("語")
	if len(ids) < 2 {
		t.Skip("語 is one token")
	}
	part, _ := mustGet("cl100k_base").Decode(ids[:1])
	if !strings.HasPrefix("語", part) {
		t.Errorf("Decode(first id of 語) = %q, want a byte prefix of it", part)
	}
}

// TestCountAllocations holds Count to its promise: no allocation for text
// whose pieces are short, which is nearly all text.
func TestCountAllocations(t *testing.T) {
	text := "The quick brown fox, 日本語のテキスト, {\"id\": 42}\r\n\tdon't 👨‍👩‍👧‍👦 stop!\n"
	for _, name := range Names() {
		e := mustGet(name)
		e.Count(text)
		if n := testing.AllocsPerRun(100, func() { e.Count(text) }); n != 0 {
			t.Errorf("%s: Count allocates %v times", name, n)
		}
		buf := make([]int, 0, 256)
		if n := testing.AllocsPerRun(100, func() { buf = e.AppendEncode(buf[:0], text) }); n != 0 {
			t.Errorf("%s: AppendEncode into a large enough buffer allocates %v times", name, n)
		}
	}
}

// TestLoadCost logs what the first use of each encoding costs.
func TestLoadCost(t *testing.T) {
	for _, name := range Names() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		start := time.Now()
		e := &Encoding{def: mustGet(name).def, lazy: new(lazyVocab)} // a fresh, unloaded copy
		e.Count("x")
		took := time.Since(start)
		runtime.GC()
		runtime.ReadMemStats(&after)
		t.Logf("%-11s loads in %v, heap +%d MB", name, took.Round(time.Millisecond), (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20)
		runtime.KeepAlive(e)
	}
}

// TestConcurrentFirstUse races the lazy vocabulary load (run with -race).
func TestConcurrentFirstUse(t *testing.T) {
	var wg sync.WaitGroup
	for range 8 {
		for _, name := range Names() {
			wg.Go(func() {
				e := mustGet(name)
				if n := e.Count("hello world"); n != 2 {
					t.Errorf("%s: Count = %d", name, n)
				}
			})
		}
	}
	wg.Wait()
}
