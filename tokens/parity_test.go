package tokens

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// vectorsPath is tiktoken's own output, kept beside the repository (module
// root ../shared) rather than committed: see TestParity.
var vectorsPath = filepath.Join("..", "..", "shared", "testdata", "tiktoken", "vectors.jsonl")

type vector struct {
	Encoding string `json:"encoding"`
	Name     string `json:"name"`
	Text     string `json:"text"`
	Tokens   []int  `json:"tokens"`
}

// loadVectors reads the tiktoken vectors, or skips the test when they are
// not there.
func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(vectorsPath)
	if os.IsNotExist(err) {
		t.Skipf("no tiktoken vectors at %s", vectorsPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var vs []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var v vector
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			t.Fatalf("%s: %v", vectorsPath, err)
		}
		vs = append(vs, v)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestParity checks every vector produced by OpenAI's tiktoken: ids,
// count, decode and the streaming counter fed byte by byte. The vectors
// include the CR/LF runs ("\r\n\t\r\n") that tiktoken-go/tokenizer's
// generated matcher splits in two.
func TestParity(t *testing.T) {
	vs := loadVectors(t)
	pass := map[string]int{}
	total := map[string]int{}
	for _, v := range vs {
		t.Run(v.Encoding+"/"+v.Name, func(t *testing.T) {
			total[v.Encoding]++
			enc, err := Get(v.Encoding)
			if err != nil {
				t.Fatal(err)
			}
			got := enc.Encode(v.Text)
			if !slices.Equal(got, v.Tokens) {
				t.Fatalf("Encode(%q)\n got %v\nwant %v", v.Text, got, v.Tokens)
			}
			if n := enc.Count(v.Text); n != len(v.Tokens) {
				t.Errorf("Count = %d, want %d", n, len(v.Tokens))
			}
			if s, err := enc.Decode(got); err != nil || s != v.Text {
				t.Errorf("Decode = %q, %v; want the text back", s, err)
			}
			c := enc.NewCounter()
			for i := range len(v.Text) {
				c.Add(v.Text[i : i+1])
			}
			if c.Count() != len(v.Tokens) {
				t.Errorf("Counter fed byte by byte = %d, want %d", c.Count(), len(v.Tokens))
			}
			pass[v.Encoding]++
		})
	}
	for name, n := range total {
		t.Logf("%s: %d/%d vectors identical to tiktoken", name, pass[name], n)
	}
}
