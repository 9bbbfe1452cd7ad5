package jsonwire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openAIChunk is a streamed chat.completion.chunk as OpenAI sends it.
const openAIChunk = `{"id":"chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0","object":"chat.completion.chunk","created":1770933892,"model":"gpt-4.1-nano-2025-04-14","service_tier":"default","system_fingerprint":"fp_de604bd877","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"yhjoJbEF"}`

// nest returns n containers open and then closed around inner, objects
// (as {"k":...}) and arrays alternating from the outside in when mixed is
// set, arrays only otherwise.
func nest(n int, inner string, mixed bool) string {
	var open, closing strings.Builder
	for d := range n {
		if mixed && d%2 == 0 {
			open.WriteString(`{"k":`)
		} else {
			open.WriteString(`[`)
		}
	}
	for d := n - 1; d >= 0; d-- {
		if mixed && d%2 == 0 {
			closing.WriteString(`}`)
		} else {
			closing.WriteString(`]`)
		}
	}
	return open.String() + inner + closing.String()
}

var validTests = []struct {
	name string
	in   string
	want bool
}{
	// The empty input and whitespace.
	{"empty", ``, false},
	{"space only", " \t\r\n", false},
	{"surrounding space", " \t\r\n{}\n\r\t ", true},
	{"form feed is not space", "\f1", false},
	{"no-break space is not space", "\u00a01", false},
	{"two values", `1 2`, false},
	{"trailing garbage", `{}x`, false},
	{"trailing comma at top", `{},`, false},
	{"trailing NUL", "{}\x00", false},

	// Literals.
	{"true", `true`, true},
	{"false", `false`, true},
	{"null", `null`, true},
	{"cut true", `tru`, false},
	{"cut false", `fals`, false},
	{"cut null", `nul`, false},
	{"capital", `True`, false},
	{"literal run on", `truex`, false},
	{"literal then digit", `null1`, false},
	{"literals in array", `[true,false,null]`, true},
	{"literals run together", `[truefalse]`, false},

	// Numbers.
	{"zero", `0`, true},
	{"minus zero", `-0`, true},
	{"integer", `1234567890`, true},
	{"negative", `-12`, true},
	{"lone minus", `-`, false},
	{"minus space", `- 1`, false},
	{"plus", `+1`, false},
	{"leading zero", `01`, false},
	{"minus leading zero", `-01`, false},
	{"zeros", `00`, false},
	{"fraction", `0.5`, true},
	{"fraction digits", `12.0340`, true},
	{"dot without digits", `1.`, false},
	{"dot first", `.5`, false},
	{"minus dot", `-.5`, false},
	{"two dots", `1.2.3`, false},
	{"exponent", `1e5`, true},
	{"capital exponent", `1E5`, true},
	{"exponent signs", `[1e+5,1e-5,1.5E-05]`, true},
	{"exponent without digits", `1e`, false},
	{"exponent sign only", `1e+`, false},
	{"exponent dot", `1e5.0`, false},
	{"zero exponent", `0e0`, true},
	{"dot exponent", `1.e5`, false},
	{"hex", `0x10`, false},
	{"infinity", `Infinity`, false},
	{"NaN", `NaN`, false},
	{"number then letter", `[1a]`, false},
	{"number in object", `{"a":-0.0e-0}`, true},

	// Strings.
	{"empty string", `""`, true},
	{"string", `"hello, world"`, true},
	{"unclosed string", `"abc`, false},
	{"lone quote", `"`, false},
	{"escapes", `"\"\\\/\b\f\n\r\t"`, true},
	{"unicode escape", `"\u00e9\uD83D\uDE00"`, true},
	{"lone surrogate escape", `"\ud800"`, true},
	{"short unicode escape", `"\u12"`, false},
	{"short unicode escape at end", `"\u12`, false},
	{"unicode escape no quote", `"\u1234`, false},
	{"bad hex", `"\u12g4"`, false},
	{"capital U", `"\U1234"`, false},
	{"bad escape", `"\x41"`, false},
	{"escaped apostrophe", `"\'"`, false},
	{"backslash at end", `"\`, false},
	{"escaped quote not closing", `"\"`, false},
	{"control character", "\"a\x01b\"", false},
	{"raw newline", "\"a\nb\"", false},
	{"raw tab", "\"a\tb\"", false},
	{"control in eight-byte word", "\"abcdefg\x1fhijklmnop\"", false},
	{"DEL is allowed", "\"\x7f\"", true},
	{"UTF-8", `"héllo 世界 😀"`, true},
	{"invalid UTF-8 is allowed", "\"\xff\xfe\xc0\x80\"", true},
	{"invalid UTF-8 outside strings", "\xff", false},
	{"long string", `"` + strings.Repeat("abcdefgh", 20) + `\n` + strings.Repeat("x", 13) + `"`, true},
	{"single quotes", `'a'`, false},

	// Arrays.
	{"empty array", `[]`, true},
	{"spaced empty array", `[ ]`, true},
	{"array", `[1,"a",{},[]]`, true},
	{"trailing comma in array", `[1,]`, false},
	{"leading comma in array", `[,1]`, false},
	{"double comma", `[1,,2]`, false},
	{"missing comma", `[1 2]`, false},
	{"unclosed array", `[1`, false},
	{"unclosed empty array", `[`, false},
	{"array closed by brace", `[1}`, false},
	{"close only", `]`, false},

	// Objects.
	{"empty object", `{}`, true},
	{"spaced empty object", "{ \n}", true},
	{"object", `{"a":1,"b":[true],"c":{"d":null}}`, true},
	{"spaced object", ` { "a" : 1 , "b" : 2 } `, true},
	{"trailing comma in object", `{"a":1,}`, false},
	{"leading comma in object", `{,"a":1}`, false},
	{"missing colon", `{"a" 1}`, false},
	{"missing value", `{"a":}`, false},
	{"missing key", `{:1}`, false},
	{"bare key", `{a:1}`, false},
	{"number key", `{1:1}`, false},
	{"key only", `{"a"}`, false},
	{"unclosed object", `{"a":1`, false},
	{"unclosed after colon", `{"a":`, false},
	{"unclosed empty object", `{`, false},
	{"object closed by bracket", `{"a":1]`, false},
	{"duplicate keys", `{"a":1,"a":2}`, true},
	{"invalid key escape", `{"\q":1}`, false},

	// Nesting: encoding/json allows 10000 open containers at once.
	{"deep arrays", nest(maxDepth, `1`, false), true},
	{"too deep arrays", nest(maxDepth+1, `1`, false), false},
	{"deep mixed", nest(maxDepth, `1`, true), true},
	{"too deep mixed", nest(maxDepth+1, `1`, true), false},
	{"deep empty object", nest(maxDepth-1, `{}`, true), true},
	{"too deep empty object", nest(maxDepth, `{}`, true), false},
	{"deep twice", `[` + nest(maxDepth-1, `0`, true) + `,` + nest(maxDepth-1, `0`, false) + `]`, true},
	{"too deep unclosed", strings.Repeat(`[`, maxDepth+1), false},
	{"deep unclosed", strings.Repeat(`[`, maxDepth), false},
	{"deep mismatched close", strings.Repeat(`[{"k":`, 150) + `1` + strings.Repeat(`}]`, 149) + `]}`, false},
	{"deep matched close", strings.Repeat(`[{"k":`, 150) + `1` + strings.Repeat(`}]`, 150), true},
	{"past the stack words", strings.Repeat(`{"k":[`, 200) + `[]` + strings.Repeat(`]}`, 200), true},
}

func TestValid(t *testing.T) {
	for _, tt := range validTests {
		name := tt.name
		t.Run(name, func(t *testing.T) {
			b := []byte(tt.in)
			if got := json.Valid(b); got != tt.want {
				t.Fatalf("json.Valid(%.80q) = %v: the table is wrong", tt.in, got)
			}
			if got := Valid(b); got != tt.want {
				t.Errorf("Valid(%.80q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestValidObject(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want bool
	}{
		{` {"a":1} `, true},
		{`{}`, true},
		{`[]`, false},
		{`"{"`, false},
		{`{"a":1`, false},
		{``, false},
	} {
		if got := ValidObject([]byte(tt.in)); got != tt.want {
			t.Errorf("ValidObject(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// recordedEvents returns the JSON of every event in the recorded provider
// streams: the data lines of the SSE transcripts and the NDJSON lines.
func recordedEvents(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, pattern := range []string{"*.sse", "*.ndjson"} {
		files, err := filepath.Glob(filepath.Join("..", "..", "provider", "*", "testdata", pattern))
		if err != nil {
			tb.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				tb.Fatal(err)
			}
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 1<<20)
			for sc.Scan() {
				line := sc.Bytes()
				if d, ok := bytes.CutPrefix(line, []byte("data:")); ok {
					line = d
				} else if pattern == "*.sse" {
					continue
				}
				if line = bytes.TrimSpace(line); len(line) > 0 {
					out = append(out, bytes.Clone(line))
				}
			}
		}
	}
	return out
}

func TestValidRecorded(t *testing.T) {
	events := recordedEvents(t)
	if len(events) == 0 {
		t.Fatal("no recorded events under provider/*/testdata")
	}
	for _, b := range events {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Errorf("Valid(%s) = %v, json.Valid says %v", b, got, want)
		}
	}
}

// FuzzValid checks Valid against json.Valid on every input.
func FuzzValid(f *testing.F) {
	for _, tt := range validTests {
		if len(tt.in) < 1000 {
			f.Add([]byte(tt.in))
		}
	}
	f.Add([]byte(openAIChunk))
	for _, b := range recordedEvents(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, json.Valid says %v", b, got, want)
		}
		if got, want := ValidObject(b), json.Valid(b) && IsObject(b); got != want {
			t.Fatalf("ValidObject(%q) = %v, want %v", b, got, want)
		}
	})
}

func TestValidAllocs(t *testing.T) {
	for name, in := range map[string]string{
		"chunk":     openAIChunk,
		"256 deep":  nest(256, `1`, true),
		"text":      string(textObject(64 << 10)),
		"too short": `{"a":`,
	} {
		b := []byte(in)
		if n := testing.AllocsPerRun(100, func() { Valid(b) }); n != 0 {
			t.Errorf("Valid on %s: %v allocations, want 0", name, n)
		}
	}
}

// textObject returns a valid JSON object of about size bytes that is mostly
// prose in long strings, with the escapes and non-ASCII text a chat
// transcript has: a long request or a model's long answer.
func textObject(size int) []byte {
	const para = "The quick brown fox jumps over the lazy dog; \"quoted\", a\\path, tab\there.\n" +
		"Émigrés naïvely ate crème brûlée — 日本語のテキストも少し。\n"
	b := []byte(`{"model":"gpt-4.1-nano","messages":[`)
	for n := 0; len(b) < size-200; n++ {
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"role":"user","content":`...)
		b = AppendString(b, strings.Repeat(para, 20))
		b = append(b, '}')
	}
	return append(b, `],"stream":true}`...)
}

// BenchmarkValid compares Valid with json.Valid in one run: on a streamed
// OpenAI chunk, as the decoder checks each one, and on 64 KB of text.
func BenchmarkValid(b *testing.B) {
	inputs := []struct {
		name string
		in   []byte
	}{
		{"chunk", []byte(openAIChunk)},
		{"text64k", textObject(64 << 10)},
	}
	for _, in := range inputs {
		if !json.Valid(in.in) || !Valid(in.in) {
			b.Fatalf("%s is not valid JSON", in.name)
		}
		for _, impl := range []struct {
			name  string
			valid func([]byte) bool
		}{
			{"jsonwire", Valid},
			{"encoding_json", json.Valid},
		} {
			b.Run(in.name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(len(in.in)))
				b.ReportAllocs()
				for b.Loop() {
					if !impl.valid(in.in) {
						b.Fatal("not valid")
					}
				}
			})
		}
	}
}
