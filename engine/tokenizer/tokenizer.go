package tokenizer

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/engine/gguf"
)

// Kind is the tokenizer algorithm.
type Kind int

// The supported algorithms.
const (
	SentencePiece Kind = iota // tokenizer.ggml.model "llama"
	BPE                       // tokenizer.ggml.model "gpt2"
)

// Token types, as stored in tokenizer.ggml.token_type.
const (
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// Vocab is everything needed to build a [Tokenizer]; [FromGGUF] fills it from
// a file and tests fill it by hand. Token ids that a vocabulary lacks are -1.
type Vocab struct {
	Kind Kind
	// Pre names the BPE pre-tokenizer (tokenizer.ggml.pre): "llama3" (also
	// "llama-bpe"), "qwen2", "smollm" and others of those families; anything
	// else means GPT-2's.
	Pre    string
	Tokens []string
	// Scores ranks SentencePiece pieces (higher merges first). Missing
	// scores count as 0.
	Scores []float32
	// Types holds a Type* value per token; missing types count as normal,
	// except that "<0xNN>" pieces of a SentencePiece vocabulary are bytes.
	Types []int32
	// Merges lists BPE merges, "left right", highest priority first.
	Merges []string
	// BOS, EOS and UNK are token ids, or -1 when the vocabulary has none.
	BOS, EOS, UNK int
	// EOT is the end-of-turn token id, or -1.
	EOT int
	// AddBOS says whether prompts start with BOS.
	AddBOS bool
	// NoSpacePrefix turns off the space SentencePiece puts in front of the
	// text (tokenizer.ggml.add_space_prefix = false).
	NoSpacePrefix bool
	// ChatTemplate is the Jinja template from tokenizer.chat_template, used
	// only to recognise the format.
	ChatTemplate string
}

// Tokenizer encodes and decodes text. It is immutable after [New] and safe
// for concurrent use.
type Tokenizer struct {
	kind          Kind
	tokens        []string
	scores        []float32
	types         []int32
	index         map[string]int32
	bos, eos, unk int
	addBOS        bool
	spacePrefix   bool
	byteID        [256]int32 // SentencePiece <0xNN> ids, or BPE single-byte ids; -1 if absent
	merges        map[uint64]merge
	pre           preTokenizer
	special       []int32   // control and user-defined ids, longest text first
	specialFirst  [256]bool // first bytes of special tokens' text
	eog           map[int]bool
	template      Template
}

// merge is the result of merging a BPE pair.
type merge struct {
	rank int32
	id   int32
}

// FromGGUF builds the tokenizer described by a GGUF file's metadata.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v := Vocab{BOS: -1, EOS: -1, UNK: -1, EOT: -1}
	switch m := f.String("tokenizer.ggml.model"); m {
	case "llama":
		v.Kind = SentencePiece
		v.AddBOS = true
	case "gpt2":
		v.Kind = BPE
	case "":
		return nil, errors.New("tokenizer: the file has no tokenizer.ggml.model; it holds no vocabulary, so it cannot be run alone")
	default:
		return nil, fmt.Errorf("tokenizer: tokenizer.ggml.model %q is not supported (only \"llama\" SentencePiece and \"gpt2\" BPE); use a model of the Llama family", m)
	}
	v.Pre = f.String("tokenizer.ggml.pre")
	tv, _ := f.Lookup("tokenizer.ggml.tokens")
	var ok bool
	if v.Tokens, ok = tv.Strings(); !ok || len(v.Tokens) == 0 {
		return nil, errors.New("tokenizer: tokenizer.ggml.tokens is missing or not a string array; the file is corrupt")
	}
	if sv, ok := f.Lookup("tokenizer.ggml.scores"); ok {
		v.Scores, _ = sv.Float32s()
	}
	if tt, ok := f.Lookup("tokenizer.ggml.token_type"); ok {
		v.Types, _ = tt.Int32s()
	}
	if mv, ok := f.Lookup("tokenizer.ggml.merges"); ok {
		v.Merges, _ = mv.Strings()
	}
	id := func(key string) int {
		n := f.Int(key, -1)
		if n < 0 || n >= int64(len(v.Tokens)) {
			return -1
		}
		return int(n)
	}
	v.BOS, v.EOS, v.UNK, v.EOT = id("tokenizer.ggml.bos_token_id"), id("tokenizer.ggml.eos_token_id"),
		id("tokenizer.ggml.unknown_token_id"), id("tokenizer.ggml.eot_token_id")
	if b, ok := f.Lookup("tokenizer.ggml.add_bos_token"); ok {
		v.AddBOS, _ = b.Bool()
	}
	if b, ok := f.Lookup("tokenizer.ggml.add_space_prefix"); ok {
		add, _ := b.Bool()
		v.NoSpacePrefix = !add
	}
	v.ChatTemplate = f.String("tokenizer.chat_template")
	return New(v)
}

// New builds a tokenizer from a vocabulary.
func New(v Vocab) (*Tokenizer, error) {
	n := len(v.Tokens)
	if n == 0 {
		return nil, errors.New("tokenizer: empty vocabulary")
	}
	if n > 1<<30 {
		return nil, fmt.Errorf("tokenizer: %d tokens is too many", n)
	}
	t := &Tokenizer{
		kind:        v.Kind,
		tokens:      v.Tokens,
		scores:      make([]float32, n),
		types:       make([]int32, n),
		index:       make(map[string]int32, n),
		bos:         validID(v.BOS, n),
		eos:         validID(v.EOS, n),
		unk:         validID(v.UNK, n),
		addBOS:      v.AddBOS && validID(v.BOS, n) >= 0,
		spacePrefix: v.Kind == SentencePiece && !v.NoSpacePrefix,
		pre:         newPreTokenizer(v.Pre),
	}
	copy(t.scores, v.Scores)
	for i := range t.byteID {
		t.byteID[i] = -1
	}
	for i, s := range v.Tokens {
		typ := int32(TypeNormal)
		if i < len(v.Types) && v.Types[i] != 0 {
			typ = v.Types[i]
		} else if v.Kind == SentencePiece && isByteToken(s) {
			typ = TypeByte
		}
		t.types[i] = typ
		if _, dup := t.index[s]; !dup {
			t.index[s] = int32(i)
		}
		switch {
		case typ == TypeByte:
			if b, ok := parseByteToken(s); ok && t.byteID[b] < 0 {
				t.byteID[b] = int32(i)
			}
		case typ == TypeControl || typ == TypeUserDefined:
			if s != "" {
				t.special = append(t.special, int32(i))
				t.specialFirst[s[0]] = true
			}
		}
	}
	slices.SortStableFunc(t.special, func(a, b int32) int { return len(t.tokens[b]) - len(t.tokens[a]) })
	if v.Kind == BPE {
		if err := t.initBPE(v.Merges); err != nil {
			return nil, err
		}
	}
	t.eog = map[int]bool{}
	for _, id := range []int{t.eos, validID(v.EOT, n)} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
	// Chat models end a turn with a marker that is often not the declared
	// EOS; llama.cpp recognises these by name too.
	for _, s := range []string{"<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|endoftext|>", "<|end|>", "<end_of_turn>"} {
		if id, ok := t.index[s]; ok && (t.types[id] == TypeControl || t.types[id] == TypeUserDefined) {
			t.eog[int(id)] = true
		}
	}
	t.template = detectTemplate(v.ChatTemplate, t)
	return t, nil
}

func validID(id, n int) int {
	if id < 0 || id >= n {
		return -1
	}
	return id
}

func isByteToken(s string) bool { _, ok := parseByteToken(s); return ok }

// parseByteToken parses "<0xNN>".
func parseByteToken(s string) (byte, bool) {
	if len(s) != 6 || s[:3] != "<0x" || s[5] != '>' {
		return 0, false
	}
	b, err := strconv.ParseUint(s[3:5], 16, 8)
	return byte(b), err == nil
}

// Kind returns the tokenizer algorithm.
func (t *Tokenizer) Kind() Kind { return t.kind }

// Len returns the vocabulary size.
func (t *Tokenizer) Len() int { return len(t.tokens) }

// BOS returns the beginning-of-sequence id, or -1.
func (t *Tokenizer) BOS() int { return t.bos }

// EOS returns the end-of-sequence id, or -1.
func (t *Tokenizer) EOS() int { return t.eos }

// AddBOS reports whether prompts should start with [Tokenizer.BOS].
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// IsEOG reports whether id ends generation: EOS, the end-of-turn token, or a
// known end-of-turn marker of chat models such as "<|im_end|>".
func (t *Tokenizer) IsEOG(id int) bool { return t.eog[id] }

// Token returns the vocabulary string of id as stored (with "▁" or the
// byte-level characters), or "" for an id out of range.
func (t *Tokenizer) Token(id int) string {
	if id < 0 || id >= len(t.tokens) {
		return ""
	}
	return t.tokens[id]
}

// ID returns the id of a vocabulary string.
func (t *Tokenizer) ID(token string) (int, bool) {
	id, ok := t.index[token]
	return int(id), ok
}

// Template returns the chat format recognised from the model's metadata.
func (t *Tokenizer) Template() Template { return t.template }

// Encode tokenizes text without adding BOS (see [Tokenizer.AddBOS]). When
// special is true, the text of control tokens such as "<|im_start|>" is
// turned into those tokens: use it for a chat template's output, never for
// text from a user, who could otherwise forge turns.
func (t *Tokenizer) Encode(text string, special bool) []int {
	var out []int
	prevSpecial := true // the space prefix goes on the first fragment
	for len(text) > 0 {
		frag, id, rest := text, -1, ""
		if special {
			frag, id, rest = t.splitSpecial(text)
		}
		if frag != "" {
			if t.kind == SentencePiece {
				out = t.encodeSPM(out, frag, prevSpecial && t.spacePrefix)
			} else {
				out = t.encodeBPE(out, frag)
			}
			prevSpecial = false
		}
		if id >= 0 {
			out = append(out, id)
			prevSpecial = true
		}
		text = rest
	}
	return out
}

// splitSpecial finds the first special token in text, returning the text
// before it, its id (-1 if none) and the text after it.
func (t *Tokenizer) splitSpecial(text string) (before string, id int, after string) {
	for i := 0; i < len(text); i++ {
		if !t.specialFirst[text[i]] {
			continue
		}
		for _, sid := range t.special {
			s := t.tokens[sid]
			if strings.HasPrefix(text[i:], s) {
				return text[:i], int(sid), text[i+len(s):]
			}
		}
	}
	return text, -1, ""
}

// Decode returns the text of a whole token sequence. Control tokens (BOS,
// EOS, chat markers) produce no text.
func (t *Tokenizer) Decode(ids []int) string {
	d := t.NewDecoder()
	var b []byte
	for _, id := range ids {
		b = d.Append(b, id)
	}
	return string(b)
}

// Decoder converts tokens to bytes one at a time, as they are generated. It
// is not safe for concurrent use; make one per sequence.
type Decoder struct {
	t       *Tokenizer
	atStart bool
}

// NewDecoder returns a decoder at the start of a sequence.
func (t *Tokenizer) NewDecoder() *Decoder { return &Decoder{t: t, atStart: true} }

// Append appends the bytes of token id to dst and returns the result. Feed
// it every token of the sequence, prompt included, so position-dependent
// rules apply at the right place: SentencePiece drops the leading space of
// the first text token after the start or a BOS, the one it put there when
// encoding. An id out of range appends nothing.
func (d *Decoder) Append(dst []byte, id int) []byte {
	t := d.t
	if id < 0 || id >= len(t.tokens) {
		return dst
	}
	switch t.types[id] {
	case TypeControl, TypeUnknown, TypeUnused:
		if id == t.bos {
			d.atStart = true
		}
		return dst
	case TypeByte:
		d.atStart = false
		if b, ok := parseByteToken(t.tokens[id]); ok {
			return append(dst, b)
		}
		return dst
	case TypeUserDefined:
		d.atStart = false
		return append(dst, t.tokens[id]...)
	}
	s := t.tokens[id]
	if t.kind == BPE {
		d.atStart = false
		return appendByteLevel(dst, s)
	}
	if d.atStart && t.spacePrefix {
		s = strings.TrimPrefix(s, "▁")
	}
	d.atStart = false
	return appendSPMText(dst, s)
}

// appendSPMText appends a SentencePiece piece with "▁" turned into spaces.
func appendSPMText(dst []byte, s string) []byte {
	for {
		i := strings.Index(s, "▁")
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(append(dst, s[:i]...), ' ')
		s = s[i+len("▁"):]
	}
}
