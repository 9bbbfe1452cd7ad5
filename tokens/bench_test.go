package tokens

// The comparison libraries are imported only here, in a _test file, so the
// sluice binary does not link them (tiktoken-go/tokenizer's codec package
// is linked for its vocabulary data only; see loadVocab).

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	pkoukk "github.com/pkoukk/tiktoken-go"
	pkoukkloader "github.com/pkoukk/tiktoken-go-loader"
	tkgo "github.com/tiktoken-go/tokenizer"
)

// mixedCorpus returns about 1.5 MB of deterministic text in 2,000
// documents: English prose, Go code, JSON, CJK, Cyrillic, emoji, CRLF line
// ends and tabs, the mix a gateway sees.
func mixedCorpus() []string {
	r := rand.New(rand.NewPCG(42, 7))
	words := strings.Fields(`the of and to in is was that for it with as his on be at by had are
		but from or have an they which one you were her all she there would their we him been has
		when who will more no if out so said what up its about into than them can only other new
		some could time these two may then do first any my now such like our over man me even most
		made after also did many before must through back years where much your way well down should
		because each just those people Mr how too little state good very make world still own see men
		work long get here between both life being under never day same another know while last
		might us great old year off come since against go came right used take three don't it's
		we'll they're I've you'd streaming tokens gateway latency throughput OpenAI Anthropic`)
	cjk := []string{"日本語のテキスト", "中文文本处理", "한국어 문장", "東京都", "漢字とかな", "机器学习模型", "。", "、"}
	cyr := []string{"Привет", "мир", "быстрый", "ответ", "модель", "токен", "Москва", "ЁЖИК"}
	emoji := []string{"👋", "🌍", "👨‍👩‍👧‍👦", "🏳️‍🌈", "👍🏽", "🇯🇵", "✨", "🚀"}
	code := []string{
		"func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {\n",
		"\tif err != nil {\n\t\treturn fmt.Errorf(\"decode: %w\", err)\n\t}\n",
		"\tfor i := 0; i < len(buf); i++ {\n\t\tsum += int(buf[i])\n\t}\n",
		"}\n\n",
		"// Stream sends the request at once; a non-2xx reply is a typed error.\n",
		"\treturn\r\n\t\r\n", // a CR/LF run that tiktoken-go/tokenizer splits in two
	}
	pick := func(xs []string) string { return xs[r.IntN(len(xs))] }
	docs := make([]string, 2000)
	for d := range docs {
		var b strings.Builder
		for b.Len() < 500+r.IntN(500) {
			switch r.IntN(10) {
			case 0, 1, 2, 3: // prose
				for k := range 8 + r.IntN(20) {
					if k > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(pick(words))
				}
				b.WriteString(pick([]string{". ", ", ", "! ", "? ", ".\n\n", ";\r\n"}))
			case 4, 5: // code
				b.WriteString(pick(code))
			case 6: // JSON
				fmt.Fprintf(&b, `{"id":"chatcmpl-%d","choices":[{"index":0,"delta":{"content":" %s"}}],"usage":null}`+"\r\n",
					r.IntN(1e6), pick(words))
			case 7:
				b.WriteString(pick(cjk) + pick(cjk) + pick([]string{"", " ", "\n"}))
			case 8:
				b.WriteString(pick(cyr) + " " + pick(cyr) + pick([]string{" ", ", ", "\r\n"}))
			case 9:
				b.WriteString(pick(emoji) + pick([]string{"", " ", "\t", "\t\t", "  \r\n"}))
			}
		}
		docs[d] = b.String()
	}
	return docs
}

var corpus = sync.OnceValue(mixedCorpus)

func corpusBytes(docs []string) int64 {
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	return int64(n)
}

// pkoukkEncoding returns pkoukk/tiktoken-go's encoding, loaded offline.
func pkoukkEncoding(tb testing.TB, name string) *pkoukk.Tiktoken {
	pkoukk.SetBpeLoader(pkoukkloader.NewOfflineLoader())
	e, err := pkoukk.GetEncoding(name)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func tkgoCodec(tb testing.TB, name string) tkgo.Codec {
	c, err := tkgo.Get(tkgo.Encoding(name))
	if err != nil {
		tb.Fatal(err)
	}
	return c
}

// TestAgreesWithOtherLibraries cross-checks the whole benchmark corpus
// with pkoukk/tiktoken-go (cl100k_base; its loader has no o200k_base), and
// reports how often tiktoken-go/tokenizer disagrees with both.
func TestAgreesWithOtherLibraries(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: encodes the corpus with three libraries")
	}
	docs := corpus()
	ours := mustGet("cl100k_base")
	pk := pkoukkEncoding(t, "cl100k_base")
	tk := tkgoCodec(t, "cl100k_base")
	tkDiffers := 0
	for i, d := range docs {
		got := ours.Encode(d)
		if want := pk.EncodeOrdinary(d); !slices.Equal(got, want) {
			t.Fatalf("doc %d: differs from pkoukk/tiktoken-go\n got %v\nwant %v", i, got, want)
		}
		if n, _ := tk.Count(d); n != len(got) {
			tkDiffers++
		}
	}
	t.Logf("cl100k_base: %d docs identical to pkoukk/tiktoken-go; tiktoken-go/tokenizer counts differently on %d",
		len(docs), tkDiffers)
}

// BenchmarkEncode encodes the mixed corpus with sluice and with the two Go
// libraries, in one run so the ratios mean something on a shared machine.
//
//	go test ./tokens -run '^$' -bench Encode -benchtime 3x
func BenchmarkEncode(b *testing.B) {
	docs := corpus()
	size := corpusBytes(docs)
	for _, name := range []string{"cl100k_base", "o200k_base"} {
		b.Run("sluice/"+name, func(b *testing.B) {
			e := mustGet(name)
			e.Count("warm up")
			b.SetBytes(size)
			b.ReportAllocs()
			var ids []int
			for b.Loop() {
				for _, d := range docs {
					ids = e.AppendEncode(ids[:0], d)
				}
			}
		})
		b.Run("sluice-count/"+name, func(b *testing.B) {
			e := mustGet(name)
			e.Count("warm up")
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range docs {
					e.Count(d)
				}
			}
		})
		b.Run("tiktoken-go-tokenizer/"+name, func(b *testing.B) {
			c := tkgoCodec(b, name)
			c.Count("warm up")
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range docs {
					c.Encode(d)
				}
			}
		})
		b.Run("tiktoken-go-tokenizer-count/"+name, func(b *testing.B) {
			c := tkgoCodec(b, name)
			c.Count("warm up")
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				for _, d := range docs {
					c.Count(d)
				}
			}
		})
		if name == "cl100k_base" {
			b.Run("pkoukk-tiktoken-go/"+name, func(b *testing.B) {
				e := pkoukkEncoding(b, name)
				b.SetBytes(size)
				b.ReportAllocs()
				for b.Loop() {
					for _, d := range docs {
						e.EncodeOrdinary(d)
					}
				}
			})
		}
	}
}

// BenchmarkCounter streams the corpus in 8-byte fragments, a typical delta
// size, through a Counter.
func BenchmarkCounter(b *testing.B) {
	docs := corpus()
	e := mustGet("o200k_base")
	b.SetBytes(corpusBytes(docs))
	b.ReportAllocs()
	for b.Loop() {
		for _, d := range docs {
			c := e.NewCounter()
			for i := 0; i < len(d); i += 8 {
				c.Add(d[i:min(len(d), i+8)])
			}
		}
	}
}
