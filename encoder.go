package sluice

// Encoder writes events in one provider's wire protocol. There is one per
// protocol, shared by the simulator and the server's frontends, so what the
// simulator proves about a protocol holds for what sluice serves.
//
// Encode buffers; Flush writes what is buffered to the underlying writer in
// one write. An EventError is written as the protocol's own in-stream error
// and ends the stream: End is not called after it. Events an encoder cannot
// express (a passthrough event from another protocol) are dropped.
type Encoder interface {
	Encode(ev *Event) error
	// End writes the protocol's end marker after a clean end.
	End() error
	Flush() error
}
