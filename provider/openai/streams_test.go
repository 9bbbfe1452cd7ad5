package openai

// The recorded streams in testdata and the ways the tests read them.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sse"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// streamFiles returns the names of the recorded streams in testdata.
func streamFiles(t testing.TB) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/*.sse")
	if err != nil || len(names) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decodeAll reads every event from r with a Decoder, copying Raw, and
// returns them with the error that ended the stream (nil after [DONE]).
func decodeAll(r io.Reader) ([]sluice.Event, error) {
	d := NewDecoder(r)
	var evs []sluice.Event
	for {
		ev, err := d.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return evs, nil
			}
			return evs, err
		}
		ev.Raw = bytes.Clone(ev.Raw)
		evs = append(evs, ev)
	}
}

// transcript renders events and the final error as JSON lines, the form the
// golden files and the chunk-split comparisons use.
func transcript(evs []sluice.Event, err error) string {
	var b strings.Builder
	for _, ev := range evs {
		j, _ := json.Marshal(ev)
		b.Write(j)
		b.WriteByte('\n')
	}
	if err != nil {
		j, _ := json.Marshal(sluice.AsError(err))
		b.WriteString("error ")
		b.Write(j)
		b.WriteByte('\n')
	} else {
		b.WriteString("EOF\n")
	}
	return b.String()
}

// result runs the stream in data through a sluice.Stream and returns its
// Result, as a caller of Provider.Stream would see it.
func result(data []byte) sluice.Result {
	s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "openai", Model: "m", Decoder: NewDecoder(bytes.NewReader(data))})
	for range s.Events() {
	}
	return s.Result()
}

// wireEvent is one SSE event as a client sees it.
type wireEvent struct {
	Type string
	Data string
}

func wireEvents(t testing.TB, data []byte) []wireEvent {
	t.Helper()
	var out []wireEvent
	for ev, err := range sse.Read(bytes.NewReader(data)) {
		if err != nil {
			t.Fatalf("sse: %v", err)
		}
		out = append(out, wireEvent{ev.Type, string(ev.Data)})
	}
	return out
}

// ignoredFields are the top-level chunk fields a round trip may drop: the
// random obfuscation padding, and a null error, which must never be written.
var ignoredFields = []string{"obfuscation", "error"}

// jsonValue parses a chunk for comparison, numbers kept exact and the
// ignored fields removed.
func jsonValue(t testing.TB, s string) any {
	t.Helper()
	if strings.TrimSpace(s) == "[DONE]" {
		return "[DONE]"
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("not JSON: %v: %s", err, s)
	}
	if m, ok := v.(map[string]any); ok {
		for _, f := range ignoredFields {
			if f == "error" && m[f] != nil {
				continue
			}
			delete(m, f)
		}
	}
	return v
}

func jsonEqual(t testing.TB, a, b string) bool {
	t.Helper()
	return reflect.DeepEqual(jsonValue(t, a), jsonValue(t, b))
}
