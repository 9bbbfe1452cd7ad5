// Package tokenizer turns text into token ids and back for models whose
// vocabulary is stored in GGUF metadata, and formats chat conversations with
// the model's chat template.
//
// Two kinds of vocabulary are supported, chosen by tokenizer.ggml.model:
//
//   - "llama": SentencePiece-style. Spaces become "▁", a space is put in
//     front of the text as Llama 2 models expect, adjacent pieces are merged
//     by score (highest first), and characters missing from the vocabulary
//     fall back to byte tokens "<0xNN>".
//   - "gpt2": byte-level BPE as in GPT-2, Llama 3, Qwen and SmolLM2. Text is
//     split by a pre-tokenizer (the regular expression of the model family,
//     written out by hand because Go's regexp has no look-ahead), every byte
//     is mapped to a printable character, and pieces are merged by rank
//     from the merges list.
//
// Decoding is streaming-friendly: a [Decoder] returns the bytes of each token
// as it is generated, applying the rules that depend on position (the
// SentencePiece leading space is dropped once, at the start). Bytes of one
// character can arrive in different tokens; holding back an incomplete rune
// is the caller's job, since only the caller knows when the stream ends.
//
// [Template] formats a conversation for a model. The format is chosen from
// the Jinja chat template stored in the file by looking for its markers
// (ChatML, Llama 3, Llama 2, Zephyr); the template is never executed.
package tokenizer
