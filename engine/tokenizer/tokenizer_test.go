package tokenizer

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// spmVocab builds a small SentencePiece vocabulary: <unk> <s> </s>, the 256
// byte tokens, then scored pieces.
func spmVocab(t testing.TB, mod func(*Vocab)) *Tokenizer {
	t.Helper()
	v := Vocab{Kind: SentencePiece, BOS: 1, EOS: 2, UNK: 0, EOT: -1, AddBOS: true}
	v.Tokens = []string{"<unk>", "<s>", "</s>"}
	v.Types = []int32{TypeUnknown, TypeControl, TypeControl}
	for b := range 256 {
		v.Tokens = append(v.Tokens, fmt.Sprintf("<0x%02X>", b))
		v.Types = append(v.Types, TypeByte)
	}
	v.Scores = make([]float32, len(v.Tokens))
	pieces := []string{"▁", "h", "e", "l", "o", "w", "r", "d", "t", "a", "n", "\n",
		"he", "ll", "llo", "hello", "▁hello", "▁w", "or", "ld", "▁wor", "▁world", "▁t", "he▁", "▁the", "an", "▁an"}
	for i, p := range pieces {
		v.Tokens = append(v.Tokens, p)
		v.Types = append(v.Types, TypeNormal)
		v.Scores = append(v.Scores, float32(-i)) // later pieces score lower
	}
	if mod != nil {
		mod(&v)
	}
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func pieces(tok *Tokenizer, ids []int) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = tok.Token(id)
	}
	return out
}

func TestSentencePieceEncode(t *testing.T) {
	tok := spmVocab(t, nil)
	noPrefix := spmVocab(t, func(v *Vocab) { v.NoSpacePrefix = true })
	tests := []struct {
		name    string
		tok     *Tokenizer
		text    string
		special bool
		want    []string
	}{
		{"words", tok, "hello world", false, []string{"▁hello", "▁world"}},
		{"leading space added", tok, "hello", false, []string{"▁hello"}},
		{"no space prefix", noPrefix, "hello", false, []string{"hello"}},
		{"byte fallback", tok, "hé", false, []string{"▁", "h", "<0xC3>", "<0xA9>"}},
		{"emoji bytes", tok, "🙂", false, []string{"▁", "<0xF0>", "<0x9F>", "<0x99>", "<0x82>"}},
		// "▁t" outscores "he▁", so the second "he" stays apart.
		{"score order", tok, "he the", false, []string{"▁", "he", "▁the"}},
		{"special parsed", tok, "<s>hello", true, []string{"<s>", "▁hello"}},
		{"special as text", tok, "<s>", false, []string{"▁", "<0x3C>", "<0x73>", "<0x3E>"}},
		{"empty", tok, "", false, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pieces(tt.tok, tt.tok.Encode(tt.text, tt.special))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Encode(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

// roundTripInputs are texts every tokenizer must give back unchanged.
var roundTripInputs = []string{
	"", "hello", "hello world", " leading", "  two leading", "trailing  ", "a\nb\n\nc",
	"héllo wörld", "日本語のテキスト", "emoji 🙂🚀 mix", "tabs\tand\rreturns", "don't I'M we'll",
	"numbers 1234567 and 3.14", "(parens) [brackets] {braces}!!", "\n\nstart with newlines",
}

func TestSentencePieceRoundTrip(t *testing.T) {
	for _, tok := range []*Tokenizer{spmVocab(t, nil), spmVocab(t, func(v *Vocab) { v.NoSpacePrefix = true })} {
		for _, s := range roundTripInputs {
			ids := tok.Encode(s, false)
			if got := tok.Decode(ids); got != s {
				t.Errorf("prefix %v: Decode(Encode(%q)) = %q (pieces %q)", tok.spacePrefix, s, got, pieces(tok, ids))
			}
			// With BOS in front, as a prompt is fed, the result is the same.
			if got := tok.Decode(append([]int{tok.BOS()}, ids...)); got != s {
				t.Errorf("with BOS: %q != %q", got, s)
			}
		}
	}
}

func TestDecoderStreaming(t *testing.T) {
	tok := spmVocab(t, nil)
	ids := tok.Encode("hello world", false)
	d := tok.NewDecoder()
	var got []string
	for _, id := range append([]int{tok.BOS()}, ids...) {
		got = append(got, string(d.Append(nil, id)))
	}
	if want := []string{"", "hello", " world"}; !slices.Equal(got, want) {
		t.Errorf("pieces %q, want %q", got, want)
	}
	// A continuation after a prompt keeps its space.
	d = tok.NewDecoder()
	d.Append(nil, tok.BOS())
	d.Append(nil, ids[0])
	if s := string(d.Append(nil, ids[1])); s != " world" {
		t.Errorf("continuation %q", s)
	}
}

// bpeVocab builds a byte-level BPE vocabulary: the 256 byte characters,
// merged pieces, and ChatML control tokens.
func bpeVocab(t testing.TB, pre string) *Tokenizer {
	t.Helper()
	v := Vocab{Kind: BPE, Pre: pre, BOS: -1, EOS: -1, UNK: -1, EOT: -1}
	for b := range 256 {
		v.Tokens = append(v.Tokens, string(byteRune(byte(b))))
	}
	v.Merges = []string{"h e", "l l", "he ll", "hell o", "Ġ h", "Ġ hello", "w o", "r l", "wo rl", "worl d", "Ġ world", "1 2", "12 3", "' s"}
	for _, m := range v.Merges {
		l, r, _ := strings.Cut(m, " ")
		v.Tokens = append(v.Tokens, l+r)
	}
	v.Tokens = append(v.Tokens, "<|im_start|>", "<|im_end|>", "<|endoftext|>")
	v.Types = make([]int32, len(v.Tokens))
	for i := range v.Types {
		v.Types[i] = TypeNormal
	}
	v.Types[len(v.Types)-3], v.Types[len(v.Types)-2], v.Types[len(v.Types)-1] = TypeControl, TypeControl, TypeControl
	v.EOS = len(v.Tokens) - 1
	tok, err := New(v)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestBPEEncode(t *testing.T) {
	tok := bpeVocab(t, "")
	tests := []struct {
		text    string
		special bool
		want    []string
	}{
		{"hello", false, []string{"hello"}},
		{"hello world", false, []string{"hello", "Ġworld"}},
		{" hello", false, []string{"Ġhello"}},
		{"hellohe", false, []string{"hello", "he"}},
		{"it's", false, []string{"i", "t", "'s"}},
		{"1234", false, []string{"123", "4"}},
		{"<|im_start|>hello<|im_end|>", true, []string{"<|im_start|>", "hello", "<|im_end|>"}},
		{"é", false, []string{"Ã", "©"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := pieces(tok, tok.Encode(tt.text, tt.special))
			if !slices.Equal(got, tt.want) {
				t.Errorf("Encode(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestBPERoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	inputs := slices.Clone(roundTripInputs)
	for range 200 { // arbitrary bytes, invalid UTF-8 included
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for _, pre := range []string{"gpt2", "llama3", "qwen2", "smollm"} {
		tok := bpeVocab(t, pre)
		for _, s := range inputs {
			if got := tok.Decode(tok.Encode(s, false)); got != s {
				t.Errorf("%s: Decode(Encode(%q)) = %q", pre, s, got)
			}
		}
	}
}

func TestByteRune(t *testing.T) {
	seen := map[rune]bool{}
	for b := range 256 {
		r := byteRune(byte(b))
		if seen[r] || !utf8.ValidRune(r) {
			t.Fatalf("byte %d maps to %U twice or invalid", b, r)
		}
		seen[r] = true
		if back, ok := runeByte(r); !ok || back != byte(b) {
			t.Fatalf("byte %d -> %U -> %d %v", b, r, back, ok)
		}
	}
	if byteRune(' ') != 'Ġ' || byteRune('\n') != 'Ċ' {
		t.Errorf("space %c newline %c", byteRune(' '), byteRune('\n'))
	}
}

func TestPreTokenize(t *testing.T) {
	const text = "Hello world's  test 123!!\n\nfoo  "
	tests := []struct {
		pre, text string
		want      []string
	}{
		{"gpt2", text, []string{"Hello", " world", "'s", " ", " test", " 123", "!!", "\n", "\n", "foo", "  "}},
		{"llama3", text, []string{"Hello", " world", "'s", " ", " test", " ", "123", "!!\n\n", "foo", "  "}},
		{"llama3", "12345", []string{"123", "45"}},
		{"qwen2", "12345", []string{"1", "2", "3", "4", "5"}},
		{"smollm", "a 12", []string{"a", " ", "1", "2"}},
		{"gpt2", "(hello", []string{"(", "hello"}},
		{"llama3", "(hello", []string{"(hello"}},
		{"llama3", "I'M", []string{"I", "'M"}},
		{"gpt2", "I'M", []string{"I", "'", "M"}},
		{"llama3", "a \n\n b", []string{"a", " \n\n", " b"}},
		{"gpt2", "x\xffy", []string{"x", "\xff", "y"}},
	}
	for _, tt := range tests {
		t.Run(tt.pre+" "+tt.text, func(t *testing.T) {
			var got []string
			newPreTokenizer(tt.pre).split(tt.text, func(w string) { got = append(got, w) })
			if !slices.Equal(got, tt.want) {
				t.Errorf("split(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}

func TestEOG(t *testing.T) {
	tok := bpeVocab(t, "")
	imEnd, _ := tok.ID("<|im_end|>")
	if !tok.IsEOG(imEnd) || !tok.IsEOG(tok.EOS()) {
		t.Error("<|im_end|> or EOS not end of generation")
	}
	if h, _ := tok.ID("hello"); tok.IsEOG(h) {
		t.Error("hello ends generation")
	}
}

func TestNewErrors(t *testing.T) {
	if _, err := New(Vocab{}); err == nil {
		t.Error("empty vocabulary accepted")
	}
	v := Vocab{Kind: BPE, Tokens: []string{"a"}, Merges: []string{"ab"}}
	if _, err := New(v); err == nil || !strings.Contains(err.Error(), "corrupt") {
		t.Errorf("bad merge: %v", err)
	}
}

func TestTemplates(t *testing.T) {
	conv := []Message{{"system", "Be brief."}, {"user", "Hi"}, {"assistant", "Hello."}, {"user", "Bye"}}
	tests := []struct {
		name  string
		jinja string
		msgs  []Message
		want  Template
		text  string
	}{
		{"chatml", "{% for m in messages %}<|im_start|>...", conv, Template{Format: ChatML},
			"<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nBye<|im_end|>\n<|im_start|>assistant\n"},
		{"chatml default system", `{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are SmolLM.<|im_end|>\n' }}{% endif %}`,
			[]Message{{"user", "Hi"}}, Template{Format: ChatML, DefaultSystem: "You are SmolLM."},
			"<|im_start|>system\nYou are SmolLM.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{"llama3", "{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' }}", conv[1:2], Template{Format: Llama3},
			"<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n"},
		{"llama2", "{{ bos_token + '[INST] ' + content + ' [/INST]' }}", conv, Template{Format: Llama2},
			"[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello. </s><s>[INST] Bye [/INST]"},
		{"zephyr", "{{ '<|user|>\n' }}{{ '<|assistant|>\n' }}", conv[1:2], Template{Format: Zephyr},
			"<|user|>\nHi</s>\n<|assistant|>\n"},
		{"plain", "", []Message{{"user", "Once upon a time"}}, Template{}, "Once upon a time"},
	}
	base := spmVocab(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := detectTemplate(tt.jinja, base)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("detect = %+v, want %+v", got, tt.want)
			}
			if text := got.Apply(tt.msgs); text != tt.text {
				t.Errorf("Apply =\n%q\nwant\n%q", text, tt.text)
			}
		})
	}
	// Without a template, the vocabulary's markers decide.
	if f := bpeVocab(t, "").Template().Format; f != ChatML {
		t.Errorf("vocabulary with <|im_start|>: %v", f)
	}
}
