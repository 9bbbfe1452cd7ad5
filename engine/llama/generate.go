package llama

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// GenerateOptions control one generation. The zero value decodes greedily until the
// model ends its turn or the context is full.
type GenerateOptions struct {
	// MaxTokens caps the generated tokens; 0 means no cap but the context.
	MaxTokens int
	// Temperature divides the logits before sampling; 0 means greedy: always
	// the most likely token.
	Temperature float64
	// TopK keeps only the K most likely tokens; 0 keeps all.
	TopK int
	// TopP keeps the most likely tokens whose probabilities sum to TopP
	// (nucleus sampling); 0 or 1 keeps all.
	TopP float64
	// RepeatPenalty, above 1, makes tokens seen in the last RepeatLastN
	// tokens less likely; 0 or 1 turns it off.
	RepeatPenalty float64
	// RepeatLastN is the window of the repetition penalty; 0 means 64 and
	// -1 the whole sequence.
	RepeatLastN int
	// Seed makes sampling reproducible; 0 picks a random seed.
	Seed uint64
	// Stop ends generation at the first occurrence of any of these strings,
	// which are not emitted.
	Stop []string
	// IgnoreEOS keeps generating past end-of-turn tokens, for benchmarks.
	IgnoreEOS bool
}

// FinishReason says why a generation ended.
type FinishReason string

// The reasons a generation ends.
const (
	FinishEOS        FinishReason = "eos"         // the model produced an end-of-turn token
	FinishStopString FinishReason = "stop_string" // a stop string appeared
	FinishLength     FinishReason = "length"      // MaxTokens reached, or the context is full
	FinishCanceled   FinishReason = "canceled"    // the context was cancelled or emit failed
)

// Result summarises a generation.
type Result struct {
	Finish       FinishReason
	PromptTokens int
	// OutputTokens counts generated tokens, the end-of-turn token excluded.
	OutputTokens int
	// StopString is the stop string that ended generation, if any.
	StopString string
}

// Piece is one stretch of generated text handed to the emit callback.
type Piece struct {
	// Text is complete UTF-8, never empty.
	Text string
	// Tokens is the number of tokens generated so far, this piece's
	// included. Several tokens can make one piece, when text was held back.
	Tokens int
}

// PrefillChunk is the most prompt tokens processed in one turn before other
// sequences get theirs.
const PrefillChunk = 16

// ErrContextFull means the prompt alone does not fit in the context.
var ErrContextFull = errors.New("llama: prompt does not fit in the context")

// Generate continues prompt (at least one token, usually starting with BOS;
// see [Model.Prompt] and [Model.ChatPrompt]) and calls emit with each piece
// of text as it is decided. It returns when generation ends: the Result is
// valid in every case, and the error is non-nil only when ctx ended
// (ctx.Err(), with FinishCanceled), emit failed (its error, with
// FinishCanceled) or the prompt was unusable.
//
// Cancelling ctx stops generation before the next token. emit runs on the
// calling goroutine, outside the model's turn, so a slow consumer delays
// only its own sequence.
func (m *Model) Generate(ctx context.Context, prompt []int, opts GenerateOptions, emit func(Piece) error) (Result, error) {
	res := Result{PromptTokens: len(prompt)}
	if err := m.CheckPrompt(prompt); err != nil {
		return res, err
	}
	capacity := m.maxCtx
	if opts.MaxTokens > 0 {
		capacity = min(capacity, len(prompt)+opts.MaxTokens)
	}
	st := m.newState(len(prompt)+256, capacity)
	smp := newSampler(opts)
	out := newEmitter(opts.Stop)
	dec := m.tok.NewDecoder()
	for _, id := range prompt {
		dec.Append(nil, id)
	}
	history := append(make([]int, 0, capacity), prompt...)

	finish := func(r FinishReason, err error) (Result, error) {
		res.Finish = r
		if r != FinishCanceled {
			if text := out.flush(); text != "" {
				if e := emit(Piece{Text: text, Tokens: res.OutputTokens}); e != nil {
					return res, e
				}
			}
		}
		return res, err
	}

	// Prefill: every prompt token but the last, in turns of PrefillChunk.
	pos := 0
	for pos < len(prompt)-1 {
		if err := m.turn.acquire(ctx); err != nil {
			return finish(FinishCanceled, err)
		}
		end := min(pos+PrefillChunk, len(prompt)-1)
		st.forward(prompt[pos:end], pos, false)
		pos = end
		m.turn.release()
	}
	token := prompt[len(prompt)-1]
	var buf []byte
	for {
		if err := m.turn.acquire(ctx); err != nil {
			return finish(FinishCanceled, err)
		}
		st.step(token, pos)
		m.turn.release()
		pos++
		token = smp.sample(st.logits, history)
		if m.tok.IsEOG(token) && !opts.IgnoreEOS {
			return finish(FinishEOS, nil)
		}
		res.OutputTokens++
		history = append(history, token)
		buf = dec.Append(buf[:0], token)
		text, stop := out.push(buf)
		if text != "" {
			if err := emit(Piece{Text: text, Tokens: res.OutputTokens}); err != nil {
				return finish(FinishCanceled, err)
			}
		}
		if stop != "" {
			res.StopString = stop
			return finish(FinishStopString, nil)
		}
		if opts.MaxTokens > 0 && res.OutputTokens >= opts.MaxTokens || pos >= capacity {
			return finish(FinishLength, nil)
		}
		if err := ctx.Err(); err != nil {
			return finish(FinishCanceled, err)
		}
	}
}

// CheckPrompt reports why Generate would refuse prompt: empty, a token
// outside the vocabulary, or too long for the context ([ErrContextFull]).
// An adapter calls it to fail a request before streaming anything.
func (m *Model) CheckPrompt(prompt []int) error {
	if len(prompt) == 0 {
		return errors.New("llama: empty prompt; start it with the BOS token (Model.Prompt(\"\") does)")
	}
	for _, id := range prompt {
		if id < 0 || id >= m.cfg.Vocab {
			return fmt.Errorf("llama: prompt token %d is outside the vocabulary of %d", id, m.cfg.Vocab)
		}
	}
	if len(prompt) >= m.maxCtx {
		return fmt.Errorf("%w: %d tokens, the context holds %d", ErrContextFull, len(prompt), m.maxCtx)
	}
	return nil
}

// emitter decides which generated bytes can be shown: complete UTF-8
// characters that cannot be the start of a stop string.
type emitter struct {
	stops   []string
	pending []byte
}

func newEmitter(stops []string) *emitter {
	e := &emitter{}
	for _, s := range stops {
		if s != "" {
			e.stops = append(e.stops, s)
		}
	}
	return e
}

// push adds generated bytes and returns the text that is now settled, and
// the stop string if one appeared (the text before it is returned, the rest
// dropped).
func (e *emitter) push(b []byte) (text, stop string) {
	e.pending = append(e.pending, b...)
	// Hold back an incomplete last character: the next token may finish it.
	n := len(e.pending) - incompleteTail(e.pending)
	settled := string(e.pending[:n])
	// The earliest stop string wins.
	at := -1
	for _, s := range e.stops {
		if i := strings.Index(settled, s); i >= 0 && (at < 0 || i < at) {
			at, stop = i, s
		}
	}
	if at >= 0 {
		e.pending = e.pending[:0]
		return strings.ToValidUTF8(settled[:at], "\uFFFD"), stop
	}
	// Hold back a suffix that may begin a stop string.
	hold := 0
	for _, s := range e.stops {
		for k := min(len(s)-1, len(settled)); k > hold; k-- {
			if strings.HasSuffix(settled, s[:k]) {
				hold = k
				break
			}
		}
	}
	text = settled[:len(settled)-hold]
	e.pending = append(e.pending[:0], e.pending[len(text):]...)
	return strings.ToValidUTF8(text, "\uFFFD"), ""
}

// flush returns everything held back, at the end of generation; an
// incomplete character becomes U+FFFD.
func (e *emitter) flush() string {
	s := strings.ToValidUTF8(string(e.pending), "\uFFFD")
	e.pending = e.pending[:0]
	return s
}

// incompleteTail returns the length of a trailing UTF-8 sequence that is
// valid so far but unfinished, or 0.
func incompleteTail(b []byte) int {
	for i := 1; i <= min(3, len(b)); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return 0
		}
		if c >= 0xC0 { // a lead byte: is its sequence complete?
			if utf8.FullRune(b[len(b)-i:]) {
				return 0
			}
			return i
		}
	}
	return 0
}
