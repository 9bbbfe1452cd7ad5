// Package local is sluice's provider for models run in process: GGUF files
// of the Llama family executed by the pure-Go engine in engine/llama, with
// no server, no network and no API key.
//
// A request's model is a path to a .gguf file ("local/./stories15M.gguf")
// or a name looked up in the models folder: [Config.ModelsDir], else
// $SLUICE_MODELS, else sluice/models under the user's cache directory
// (~/.cache/sluice/models on Linux). A model is loaded (memory-mapped) on
// first use and kept until [Provider.Close].
//
// [Provider.Stream] formats the conversation with the model's chat template,
// checks that it fits in the context (so an oversized prompt is a
// KindBadRequest error before any event), and starts generation in its own
// goroutine, which hands events to the [sluice.Stream] through a small
// channel. Closing or cancelling the stream stops generation before the next
// token. Usage is reported exactly: the engine counts prompt and output
// tokens itself.
//
// Concurrent requests share the cores through the engine's FIFO queue of
// forward steps: each advances one token per turn, so none waits for
// another to finish.
package local
