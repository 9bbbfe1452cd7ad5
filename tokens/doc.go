// Package tokens counts and encodes text exactly as OpenAI's tiktoken does,
// for the r50k_base, p50k_base, cl100k_base and o200k_base encodings.
//
// sluice counts tokens to control cost and to stop runaway generations. A
// stream arrives in fragments, and counting each fragment on its own
// over-counts wherever a fragment boundary cuts a word (" hel" + "lo" is two
// tokens where " hello" is one). [Counter] keeps the count of the whole text
// so far exact after every fragment while re-encoding only the last few
// pre-tokenizer pieces, the only ones more text can still change.
//
// # Exactness
//
// Encoding is the two steps tiktoken performs: a pre-tokenizer splits the
// text into pieces with the encoding's regular expression, then byte-pair
// merging turns each piece into token ids. Both are reimplemented here: the
// pre-tokenizer is a hand-written scanner that reproduces each encoding's
// pattern, backtracking and lookahead included, and the merge uses the same
// lowest-rank-leftmost rule as tiktoken. The tests compare the ids with
// vectors produced by tiktoken itself.
//
// Text is a Go string and may hold invalid UTF-8. Each byte of an invalid
// sequence is treated as one character of the "other symbol" class (as
// U+FFFD would be) and is encoded as its raw byte, so Decode(Encode(s)) == s
// for every string, valid or not. Python's tiktoken never sees such input.
//
// Special tokens such as <|endoftext|> are plain text by default, like
// tiktoken's encode_ordinary; [Encoding.WithSpecialTokens] returns a view
// that recognises them.
//
// # Cost
//
// Vocabularies are embedded in the binary: the ranks are the data that
// github.com/tiktoken-go/tokenizer embeds, read once per encoding on first
// use into this package's own tables (about 50 ms and 12 MB for
// o200k_base). That library's encoder is not used: its generated split
// matcher cuts some CR/LF runs in two. Nothing is fetched at run time.
//
// Encoding is linear in the input: long pieces are merged with a heap, so a
// megabyte without a single space costs O(n log n), not O(n²). A Counter
// fed a runaway generation one token at a time stays linear too.
package tokens
