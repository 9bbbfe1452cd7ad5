// Package overhead measures what sluice costs as a relay: the latency it
// adds to a stream, the CPU it spends per event and the memory it holds per
// open stream, against the floor for any proxy.
//
// # Method
//
// The upstream is sluice's simulator, run in this process, sending 64
// content deltas 20 ms apart, the upstream of published gateway
// benchmarks. In one run, at each concurrency (1, 100 and 1,000 streams by
// default), the same client measures three ways to reach it, each in a
// phase of its own:
//
//   - direct: the client talks to the simulator itself;
//   - relay: through a raw byte relay, an httputil.ReverseProxy that
//     flushes every write at once (FlushInterval −1) and does nothing else;
//   - sluice: through sluice's gateway, which decodes every chunk into
//     events, meters them, and encodes them again for the client.
//
// Streams start spread evenly over one pace interval. The client reads
// each stream as raw SSE (no JSON decoding, to spend as little of the
// shared CPU as it can) and times every content chunk on the monotonic
// clock as it is decoded. A relay's added TTFT and inter-chunk gap are its
// phase's percentiles minus the direct phase's; a stall is a gap longer
// than twice the pace.
//
// Relays run as separate processes ([Process]) or in this process
// ([InProcess]). A separate process is the honest measurement: its CPU
// time (the process's CPU clock, in nanoseconds) and resident memory are
// its own, and its garbage collector does not run on the client's heap.
// In this process, the relay's share is what its phase consumed beyond the
// direct phase of the same size, which is noisier.
//
// [Result] holds every phase; [WriteTable] prints the ratios to the
// reference relay.
package overhead
