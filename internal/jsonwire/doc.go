// Package jsonwire reads and writes JSON at the byte level for the protocol
// packages (provider/...) and the server: one implementation of what their
// decoders and encoders would otherwise each write for themselves.
//
// It holds six things:
//
//   - [Valid], a check that agrees with encoding/json.Valid on every input
//     at a fraction of its cost, for the check every streamed chunk gets;
//   - a walk over the members of an object ([ObjectMembers], [Lookup]) or the
//     elements of an array ([ArrayElements], [Index]) that returns sub-slices
//     of the input;
//   - string quoting and unquoting that agrees byte for byte with
//     encoding/json: [AppendString] as a json.Encoder with SetEscapeHTML(false)
//     writes (what the provider APIs send), [AppendHTMLString] as json.Marshal
//     writes (what Ollama's Go server and Google's encoders send), and
//     [Unquote] as json.Unmarshal reads;
//   - member-by-member object building ([AppendMember], [WrapObject]), and
//     merging a caller's extra members into an object ([MergeMembers], with
//     [MergeDeep] or [MergeShallow]);
//   - a [Writer] that writes an object in the order a protocol's encoder
//     chooses while restoring an overlay: the wire members an Event does not
//     model, which a decoder keeps in Event.Extra.
//
// Why by hand and not with encoding/json: these run once or more per streamed
// event. A decoder splits every chunk into the members it models and the ones
// it keeps verbatim, and an encoder merges the kept ones back in, in their
// original order. encoding/json would need a map per object per chunk (and a
// map loses the order), and its Marshal of one string costs an allocation and
// reflection. Here the walks allocate nothing and the quoting appends into the
// caller's buffer, so a decoder allocates only the strings it hands out. The
// decoder and encoder benchmarks of each provider package (go test -bench .
// -benchmem ./provider/...) measure it, and the fuzz targets in this package
// check the quoting against encoding/json on every input.
//
// The walks expect JSON that [Valid] has accepted, which is how every
// caller uses them: they track only strings and nesting. On invalid input they
// stop early; they never panic and never loop.
package jsonwire
