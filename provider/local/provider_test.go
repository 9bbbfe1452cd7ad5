package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice"
)

// storiesPath is the shared test model beside the repository.
func storiesPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "models", "stories260K.gguf"))
	if err == nil {
		_, err = os.Stat(p)
	}
	if err != nil {
		t.Skipf("stories260K.gguf not present (%v); skipping", err)
	}
	return p
}

func newProvider(t *testing.T, cfg Config) *Provider {
	t.Helper()
	p := New(cfg)
	t.Cleanup(func() { p.Close() })
	return p
}

func zero() *float64 { z := 0.0; return &z }

// drain reads a stream to its end and returns its result and final error.
func drain(t *testing.T, s *sluice.Stream) (sluice.Result, []sluice.EventType, error) {
	t.Helper()
	var types []sluice.EventType
	var last error
	for ev, err := range s.Events() {
		if err != nil {
			last = err
			break
		}
		types = append(types, ev.Type)
	}
	return s.Result(), types, last
}

func TestStreamStories(t *testing.T) {
	path := storiesPath(t)
	p := newProvider(t, Config{})
	req := &sluice.Request{Model: path, Messages: []sluice.Message{sluice.UserMessage("Once upon a time")}, MaxTokens: 30, Temperature: zero()}
	s, err := p.Stream(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	res, types, err := drain(t, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("text: %q", res.Text)
	if !strings.HasPrefix(res.Text, ", there was a little") && !strings.HasPrefix(res.Text, ",") {
		t.Errorf("greedy continuation %q", res.Text)
	}
	if res.Finish != sluice.FinishLength || res.RawFinish != "length" || res.Partial {
		t.Errorf("finish %s raw %s partial %v", res.Finish, res.RawFinish, res.Partial)
	}
	if res.Usage.Output != sluice.ReportedCount(30) || res.Usage.Input.Source != sluice.Reported || res.Usage.Input.N < 2 {
		t.Errorf("usage %+v", res.Usage)
	}
	if res.Metrics.TTFT <= 0 || res.Metrics.OutputTokens != 30 || res.Metrics.TokensEstimated {
		t.Errorf("metrics %+v", res.Metrics)
	}
	if types[0] != sluice.EventStart || types[1] != sluice.EventItemStart || types[len(types)-1] != sluice.EventFinish {
		t.Errorf("event order %v", types)
	}

	// A stop string ends the reply as a normal stop.
	req.Stop = []string{"little"}
	s, _ = p.Stream(context.Background(), req)
	res, _, err = drain(t, s)
	if err != nil || res.Finish != sluice.FinishStop || res.RawFinish != "stop_string" || strings.Contains(res.Text, "little") {
		t.Errorf("stop string: %v %s %q", err, res.Finish, res.Text)
	}
}

func TestModelsFolder(t *testing.T) {
	path := storiesPath(t)
	dir := t.TempDir()
	if err := os.Symlink(path, filepath.Join(dir, "tiny-stories.gguf")); err != nil {
		t.Fatal(err)
	}
	p, _ := FromEnv(func(k string) string {
		if k == "SLUICE_MODELS" {
			return dir
		}
		return ""
	})
	defer p.Close()
	names, err := p.Models(context.Background())
	if err != nil || !slices.Equal(names, []string{"tiny-stories"}) {
		t.Fatalf("Models = %v, %v", names, err)
	}
	s, err := p.Stream(context.Background(), &sluice.Request{Model: "tiny-stories", Messages: []sluice.Message{sluice.UserMessage("Lily")}, MaxTokens: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res, _, err := drain(t, s); err != nil || res.Usage.Output.N != 3 {
		t.Errorf("by name: %v %+v", err, res.Usage)
	}
}

func TestStreamErrors(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.gguf")
	os.WriteFile(junk, []byte("not a model at all"), 0o644)
	p := newProvider(t, Config{ModelsDir: dir})
	msgs := []sluice.Message{sluice.UserMessage("hi")}
	type errCase struct {
		name string
		req  *sluice.Request
		kind sluice.Kind
		msg  string
	}
	tests := []errCase{
		{"no messages", &sluice.Request{Model: "junk"}, sluice.KindBadRequest, "no messages"},
		{"unknown name", &sluice.Request{Model: "nope", Messages: msgs}, sluice.KindNotFound, "SLUICE_MODELS"},
		{"not a model", &sluice.Request{Model: "junk", Messages: msgs}, sluice.KindBadRequest, "not a GGUF file"},
	}
	if path, err := filepath.Abs(filepath.Join("..", "..", "..", "shared", "models", "stories260K.gguf")); err == nil {
		if _, err := os.Stat(path); err == nil {
			img := sluice.Message{Role: sluice.RoleUser, Content: []sluice.Part{{Type: sluice.PartImage, URL: "data:,"}}}
			long := sluice.UserMessage(strings.Repeat("x ", 3000))
			tests = append(tests,
				errCase{"image", &sluice.Request{Model: path, Messages: []sluice.Message{img}}, sluice.KindBadRequest, "text only"},
				errCase{"prompt too long", &sluice.Request{Model: path, Messages: []sluice.Message{long}}, sluice.KindBadRequest, "shorten"})
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := p.Stream(context.Background(), tt.req)
			if s != nil {
				t.Fatal("a stream came back with the error")
			}
			e := sluice.AsError(err)
			if e.Kind != tt.kind || e.Provider != "local" || !strings.Contains(e.Error(), tt.msg) {
				t.Errorf("err = %v (kind %s), want kind %s mentioning %q", err, e.Kind, tt.kind, tt.msg)
			}
		})
	}
}

func TestCancelStopsGeneration(t *testing.T) {
	path := storiesPath(t)
	p := newProvider(t, Config{})
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s, err := p.Stream(ctx, &sluice.Request{Model: path, Messages: []sluice.Message{sluice.UserMessage("Once")}})
	if err != nil {
		t.Fatal(err)
	}
	texts := 0
	for ev, err := range s.Events() {
		if err != nil {
			break
		}
		if ev.Type == sluice.EventText {
			if texts++; texts == 3 {
				break // closes the stream, which waits for the generator
			}
		}
	}
	res := s.Result()
	if !res.Partial || res.Finish != sluice.FinishCanceled {
		t.Errorf("partial %v finish %s", res.Partial, res.Finish)
	}
	// The generating goroutine has ended by the time the loop exits; the
	// model's worker pool is the only thing left running.
	if n := runtime.NumGoroutine(); n > before+runtime.GOMAXPROCS(0) {
		t.Errorf("%d goroutines after cancel, %d before", n, before)
	}

	// Cancelling the request context ends a stream with KindCanceled.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	s, _ = p.Stream(ctx2, &sluice.Request{Model: path, Messages: []sluice.Message{sluice.UserMessage("Once")}})
	var last error
	for ev, err := range s.Events() {
		if err != nil {
			last = err
			break
		}
		if ev.Type == sluice.EventText {
			cancel2()
		}
	}
	var e *sluice.Error
	if !errors.As(last, &e) || e.Kind != sluice.KindCanceled || !e.Streamed {
		t.Errorf("cancel via context: %v", last)
	}
}

func TestConcurrentStreams(t *testing.T) {
	path := storiesPath(t)
	p := newProvider(t, Config{})
	var wg sync.WaitGroup
	texts := make([]string, 4)
	for i := range texts {
		wg.Go(func() {
			s, err := p.Stream(context.Background(), &sluice.Request{Model: path, Messages: []sluice.Message{sluice.UserMessage("Once upon a time")}, MaxTokens: 40, Temperature: zero()})
			if err != nil {
				t.Error(err)
				return
			}
			res, _, err := drain(t, s)
			if err != nil {
				t.Error(err)
			}
			texts[i] = res.Text
		})
	}
	wg.Wait()
	for _, s := range texts[1:] {
		if s != texts[0] {
			t.Errorf("greedy replies differ under concurrency:\n%q\n%q", s, texts[0])
		}
	}
}
