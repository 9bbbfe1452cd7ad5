package tokens

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tiktoken-go/tokenizer/codec"
)

// ErrUnknownEncoding is wrapped by the error [Get] returns for a name it does
// not know; the message lists the names that exist.
var ErrUnknownEncoding = errors.New("tokens: unknown encoding")

// family selects the pre-tokenizer: encodings of one family share their
// split pattern.
type family uint8

const (
	// familyGPT2 is r50k_base and p50k_base:
	//	'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s
	familyGPT2 family = iota
	// familyCL100K is cl100k_base:
	//	'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s
	familyCL100K
	// familyO200K is o200k_base:
	//	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
	//	|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?
	//	|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
	familyO200K
)

// specialToken is a control token such as <|endoftext|>, outside the
// byte-pair vocabulary.
type specialToken struct {
	text string
	id   int
}

// definition is the constant description of one encoding.
type definition struct {
	name   string
	family family
	// mergeable is one more than the largest byte-pair token id. Ids below
	// it are byte-pair tokens, except those a special token holds.
	mergeable int
	special   []specialToken
	// codec builds the tiktoken-go/tokenizer codec whose embedded vocabulary
	// this encoding reads once, on first use (see loadVocab).
	codec func() *codec.Codec
}

// Encoding is one of tiktoken's encodings. It is safe for concurrent use.
// The zero value is not usable: get one from [Get] or [ForModel].
//
// The vocabulary is loaded on the first call that needs it, once per
// encoding, and shared by every *Encoding of that name.
type Encoding struct {
	def     *definition
	lazy    *lazyVocab
	special bool // recognise special tokens (WithSpecialTokens)
}

// encodings is the fixed table of the four encodings. It is never written;
// each entry's lazyVocab fills itself once under its own sync.Once, which is
// what lets every Get of a name share one loaded vocabulary.
var encodings = [...]*Encoding{
	{def: &definition{
		name: "r50k_base", family: familyGPT2, mergeable: 50256,
		special: []specialToken{{"<|endoftext|>", 50256}},
		codec:   codec.NewR50kBase,
	}, lazy: new(lazyVocab)},
	{def: &definition{
		name: "p50k_base", family: familyGPT2, mergeable: 50281,
		special: []specialToken{{"<|endoftext|>", 50256}},
		codec:   codec.NewP50kBase,
	}, lazy: new(lazyVocab)},
	{def: &definition{
		name: "cl100k_base", family: familyCL100K, mergeable: 100256,
		special: []specialToken{
			{"<|endoftext|>", 100257}, {"<|fim_prefix|>", 100258}, {"<|fim_middle|>", 100259},
			{"<|fim_suffix|>", 100260}, {"<|endofprompt|>", 100276},
		},
		codec: codec.NewCl100kBase,
	}, lazy: new(lazyVocab)},
	{def: &definition{
		name: "o200k_base", family: familyO200K, mergeable: 199998,
		special: []specialToken{{"<|endoftext|>", 199999}, {"<|endofprompt|>", 200018}},
		codec:   codec.NewO200kBase,
	}, lazy: new(lazyVocab)},
}

// Names returns the names of the encodings [Get] knows, oldest first.
func Names() []string {
	names := make([]string, len(encodings))
	for i, e := range encodings {
		names[i] = e.def.name
	}
	return names
}

// Get returns the encoding called name ("r50k_base", "p50k_base",
// "cl100k_base" or "o200k_base"). For any other name the error wraps
// [ErrUnknownEncoding] and lists the known names. Get does not load the
// vocabulary; the first encode or decode does.
func Get(name string) (*Encoding, error) {
	for _, e := range encodings {
		if e.def.name == name {
			return e, nil
		}
	}
	return nil, fmt.Errorf("%w %q (known: %s)", ErrUnknownEncoding, name, strings.Join(Names(), ", "))
}

// mustGet is Get for names known to exist.
func mustGet(name string) *Encoding {
	e, err := Get(name)
	if err != nil {
		panic(err)
	}
	return e
}

// modelNames maps model names to encodings, following tiktoken's model.py.
// An entry with whole set matches only the whole name; the others match a
// prefix. The first match wins, so the more specific prefixes come first.
var modelNames = [...]struct {
	name, encoding string
	whole          bool
}{
	{"gpt-4o", "o200k_base", false},
	{"chatgpt-4o", "o200k_base", false},
	{"gpt-4.1", "o200k_base", false},
	{"gpt-4.5", "o200k_base", false},
	{"gpt-5", "o200k_base", false},
	{"gpt-oss", "o200k_base", false}, // o200k_harmony: the same ids for plain text
	{"o1", "o200k_base", false},
	{"o3", "o200k_base", false},
	{"o4", "o200k_base", false},
	{"gpt-4", "cl100k_base", false},
	{"gpt-3.5", "cl100k_base", false},
	{"gpt-35", "cl100k_base", false}, // Azure deployment names
	{"text-embedding-3", "cl100k_base", false},
	{"text-embedding-ada-002", "cl100k_base", true},
	{"davinci-002", "cl100k_base", true},
	{"babbage-002", "cl100k_base", true},
	{"text-davinci-003", "p50k_base", true},
	{"text-davinci-002", "p50k_base", true},
	{"code-davinci-002", "p50k_base", true},
	{"code-davinci-001", "p50k_base", true},
	{"code-cushman-002", "p50k_base", true},
	{"code-cushman-001", "p50k_base", true},
	{"text-davinci-001", "r50k_base", true},
	{"davinci", "r50k_base", true},
	{"curie", "r50k_base", true},
	{"babbage", "r50k_base", true},
	{"ada", "r50k_base", true},
}

// ForModel returns the encoding an OpenAI model uses. model may carry a
// sluice provider prefix ("openai/gpt-4o-mini") or a fine-tune prefix
// ("ft:gpt-4o-mini:org::id"); case is ignored.
//
// gpt-4o*, o1*, o3*, o4*, gpt-4.1* and gpt-5* use o200k_base; gpt-4*,
// gpt-3.5* and text-embedding-3* use cl100k_base. For a model it does not
// know, ForModel returns cl100k_base with exact == false, so the caller can
// tell its user the count is an approximation.
func ForModel(model string) (enc *Encoding, exact bool) {
	m := strings.ToLower(strings.TrimSpace(model))
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	m = strings.TrimPrefix(m, "ft:")
	for _, p := range modelNames {
		if m == p.name || !p.whole && strings.HasPrefix(m, p.name) {
			return mustGet(p.encoding), true
		}
	}
	return mustGet("cl100k_base"), false
}

// Name returns the encoding's tiktoken name, such as "cl100k_base".
func (e *Encoding) Name() string { return e.def.name }

// WithSpecialTokens returns a view of e that encodes the encoding's special
// tokens (<|endoftext|>, and for cl100k_base and o200k_base also the
// fill-in-the-middle and <|endofprompt|> tokens) as their single ids, as
// tiktoken's encode(text, allowed_special="all") does. e itself, like
// tiktoken's encode_ordinary, treats them as plain text. The view shares
// e's vocabulary; its counters and chat counts recognise them too.
func (e *Encoding) WithSpecialTokens() *Encoding {
	return &Encoding{def: e.def, lazy: e.lazy, special: true}
}

// Decode returns the text the ids stand for. Special token ids decode to
// their text. The result holds the exact bytes, so a slice of ids that cuts
// a multi-byte character yields invalid UTF-8 (tiktoken's decode would
// replace it with U+FFFD). An id outside the encoding is an error.
func (e *Encoding) Decode(ids []int) (string, error) {
	v := e.vocab()
	var b strings.Builder
	n := 0
	for _, id := range ids {
		if id >= 0 && id < v.n {
			n += int(v.off[id+1] - v.off[id])
		} else {
			n += 16
		}
	}
	b.Grow(n)
	for _, id := range ids {
		if id >= 0 && id < v.n && v.off[id+1] > v.off[id] {
			b.WriteString(v.token(uint32(id)))
			continue
		}
		text, ok := e.def.specialText(id)
		if !ok {
			return "", fmt.Errorf("tokens: %s has no token id %d", e.def.name, id)
		}
		b.WriteString(text)
	}
	return b.String(), nil
}

// specialText returns the text of special token id.
func (d *definition) specialText(id int) (string, bool) {
	for _, s := range d.special {
		if s.id == id {
			return s.text, true
		}
	}
	return "", false
}

// vocab returns the loaded vocabulary, loading it on first use.
func (e *Encoding) vocab() *vocab {
	e.lazy.once.Do(func() { e.lazy.v = loadVocab(e.def) })
	return e.lazy.v
}
