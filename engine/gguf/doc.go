// Package gguf reads and writes GGUF files, the single-file model format of
// llama.cpp: a header, typed metadata key/value pairs, tensor descriptions and
// aligned tensor data.
//
// [Open] memory-maps the file (on Unix; elsewhere it reads it into memory),
// so opening a model of several gigabytes costs no copy: [File.TensorData]
// returns slices into the mapping that stay valid until [File.Close]. [Parse]
// does the same work on a byte slice the caller owns, which is what the fuzz
// target drives.
//
// The reader checks everything it is given before it trusts it: counts and
// lengths are bounded by the bytes that remain, each tensor's extent must lie
// inside the file, and offsets must respect the declared alignment. A file
// that fails a check gives an error that wraps one of [ErrNotGGUF],
// [ErrVersion], [ErrTruncated] or [ErrCorrupt] and says what to do about it,
// because the usual cause is a partial download or a converter that is too old
// or too new.
//
// [Writer] builds GGUF version 3 files. The tests use it to make small files,
// and the engine's benchmarks use it to make random-weight models in the
// shapes of real ones.
package gguf
