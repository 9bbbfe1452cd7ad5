// Package llama runs Llama-architecture models (Llama 2 and 3, TinyLlama,
// SmolLM2, the TinyStories models) from GGUF files, in process and in pure
// Go: no cgo, no server.
//
// [Open] maps the file, checks its shapes and types, and builds the
// tokenizer. [Model.Generate] turns prompt tokens into streamed text: the
// callback receives complete UTF-8 only (bytes of a character split across
// tokens, and text that might be the start of a stop string, are held back
// until they are settled), and the call ends with a [FinishReason] and token
// counts. [Model.ChatPrompt] and [Model.Prompt] make prompt tokens from chat
// messages or plain text.
//
// # The forward pass
//
// Per token: RMSNorm, the Q/K/V projections, rotary position embedding on
// adjacent pairs (the layout llama.cpp's converter stores for the llama
// architecture, which permutes Hugging Face's half-split rows back into
// Meta's interleaved order), grouped-query attention over a float32 KV
// cache, the output projection, RMSNorm, a SwiGLU feed-forward block, and
// finally the classifier. Every matrix-vector product is split by rows over
// a persistent [kernels.Pool]; projections that read the same input (Q, K
// and V; gate and up) go out as one job. Prompt tokens skip the classifier,
// which is the largest matrix of small models.
//
// # Concurrency
//
// A Model is safe for concurrent use, and each Generate call has its own KV
// cache. Forward steps are queued: a FIFO turnstile gives the cores to one
// sequence for one token (or one slice of up to [PrefillChunk] prompt
// tokens) at a time, in arrival order, so concurrent requests advance
// round-robin and none waits for another to finish. Each step uses every
// core, so a lone request runs at full speed. (Batching several sequences
// into one product would raise total throughput; the queue was chosen for
// simplicity and per-request latency, and the API leaves room for it.)
package llama
