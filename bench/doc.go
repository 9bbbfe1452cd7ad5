// Package bench benchmarks streaming models: it sends load to one or more
// sluice providers, measures every response, and reports statistics a person
// can compare with other tools' numbers.
//
// # What is measured
//
// Each request is one [sluice.Stream]; its timings are the Stream's own
// [sluice.Metrics], taken on the monotonic clock as each event is decoded,
// so the benchmark adds no second clock and no parsing of its own. The
// definitions are pinned there and repeated here:
//
//	TTFB     response headers received − request sent
//	TTFT     first content event − request sent (content: text, refusal,
//	         reasoning or tool-call arguments, so a role-only chunk does not
//	         count, unlike vLLM's client)
//	ITL      every gap between consecutive content events (vLLM's itl list,
//	         AIPerf's inter-chunk latency), pooled over requests
//	TPOT     (last content − first content) / (output tokens − 1) (vLLM's
//	         tpot, GenAI-Perf's and GuideLLM's inter_token_latency)
//	E2E      end of stream − request sent
//	TPS      output tokens / (last content − first content)
//	E2E TPS  output tokens / E2E
//
// Output tokens come from the provider's usage when it reports them;
// otherwise a tiktoken encoding counts the streamed text (exact for OpenAI
// models, an approximation marked "~" for others), and each sample and
// model summary says which source it used.
//
// # Load
//
// [Load] is a closed loop of N workers or an open loop of Poisson arrivals,
// for a number of requests or a duration, after warmup requests that are
// left out. Models are benchmarked one after the other with the same load.
//
// # Statistics and reports
//
// Every metric is summarised per model by mean, standard deviation, min,
// p50, p90, p95, p99 and max ([Summary]; percentiles interpolate linearly
// between ranks, as numpy does by default). Overall output throughput and
// request rate divide by the measured window; with an [SLO], goodput counts
// the requests that met it. A [Report] is written as a terminal table
// ([WriteTable]), JSON ([WriteJSON]), CSV with one row per request
// ([WriteCSV]) or a self-contained HTML page with SVG charts ([WriteHTML]).
//
// The package bench/overhead measures sluice's own cost as a relay, against
// direct access and a raw byte relay.
package bench
