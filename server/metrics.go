package server

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/requestlog"
)

// Label names. The gen_ai_* ones are the OpenTelemetry GenAI semantic
// convention attributes (gen_ai.provider.name, …) as Prometheus spells them.
const (
	labelProvider  = "gen_ai_provider_name"
	labelModel     = "gen_ai_request_model"
	labelTokenType = "gen_ai_token_type"
)

// maxModelLabels bounds the distinct model label values, because model names
// come from clients: past the bound, new names are counted as "other".
const maxModelLabels = 200

// metrics holds the server's own Prometheus registry; nothing is registered
// with the global default registry.
type metrics struct {
	reg *prometheus.Registry

	ttft, tpot, itl, duration, tokens *prometheus.HistogramVec
	requests                          *prometheus.CounterVec
	upstreamErrors                    *prometheus.CounterVec
	active                            prometheus.Gauge
	disconnects                       prometheus.Counter

	nActive atomic.Int64 // mirrors active, which cannot be read back

	mu     sync.Mutex
	models map[string]bool
}

func newMetrics(store *requestlog.Store) *metrics {
	// Bucket boundaries. The first four are the ones the OpenTelemetry
	// GenAI conventions recommend; ITL starts lower because local and
	// simulated models produce tokens far less than 10ms apart.
	var (
		ttftBuckets     = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
		tpotBuckets     = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5}
		tokenBuckets    = []float64{1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304}
		durationBuckets = []float64{0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92}
		itlBuckets      = []float64{0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.2, 0.5, 1, 2.5}
	)
	m := &metrics{reg: prometheus.NewRegistry(), models: map[string]bool{}}
	pm := []string{labelProvider, labelModel}
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gen_ai_server_time_to_first_token_seconds",
		Help: "Time from sending the upstream request to the first content token.", Buckets: ttftBuckets}, pm)
	m.tpot = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gen_ai_server_time_per_output_token_seconds",
		Help: "Time per output token after the first: (last - first content) / (tokens - 1), per response.", Buckets: tpotBuckets}, pm)
	m.itl = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "sluice_inter_token_latency_seconds",
		Help: "Gaps between consecutive content events of a stream.", Buckets: itlBuckets}, pm)
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gen_ai_client_operation_duration_seconds",
		Help: "Time from sending the upstream request to the end of its response.", Buckets: durationBuckets}, pm)
	m.tokens = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "gen_ai_client_token_usage",
		Help: "Tokens per response, by type (input, output).", Buckets: tokenBuckets},
		[]string{labelProvider, labelModel, labelTokenType})
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_requests_total",
		Help: "Responses by provider, model and outcome (ok, error, canceled)."},
		[]string{"provider", "model", "outcome"})
	m.upstreamErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "sluice_upstream_errors_total",
		Help: "Upstream failures by error kind (rate_limit, server, truncated, …)."}, []string{"kind"})
	m.active = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "sluice_active_streams", Help: "Responses being streamed now."})
	m.disconnects = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "sluice_client_disconnects_total", Help: "Clients that went away before their response ended."})
	m.reg.MustRegister(m.ttft, m.tpot, m.itl, m.duration, m.tokens, m.requests, m.upstreamErrors,
		m.active, m.disconnects,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if store != nil {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "sluice_request_log_dropped_total",
			Help: "Request log entries dropped because the writer could not keep up."},
			func() float64 { return float64(store.Dropped()) }))
	}
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// modelLabel returns model, or "other" once maxModelLabels distinct names
// have been seen.
func (m *metrics) modelLabel(model string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.models[model] {
		return model
	}
	if len(m.models) >= maxModelLabels {
		return "other"
	}
	m.models[model] = true
	return model
}

// streamStarted counts st as active and feeds its inter-token gaps to the
// ITL histogram as they are measured: the stream then keeps none, so its
// memory does not grow with the length of the answer.
func (m *metrics) streamStarted(st *sluice.Stream, provider, model string) {
	m.active.Inc()
	m.nActive.Add(1)
	itl := m.itl.WithLabelValues(provider, m.modelLabel(model))
	st.OnGap(func(d time.Duration) { itl.Observe(d.Seconds()) })
}

func (m *metrics) streamEnded() {
	m.active.Dec()
	m.nActive.Add(-1)
}

func (m *metrics) activeCount() int64 { return m.nActive.Load() }

// outcome classifies a finished response for sluice_requests_total.
func outcome(res *sluice.Result) string {
	switch {
	case res.Err == nil:
		return "ok"
	case res.Err.Kind == sluice.KindCanceled:
		return "canceled"
	}
	return "error"
}

// observe records one finished response. It runs once per response, after
// the stream ended, so label children are looked up once per request; the
// only per-token observation is a gap's, on a child looked up when the
// stream started (streamStarted).
func (m *metrics) observe(provider, model string, res *sluice.Result, clientGone, shutdown bool) {
	model = m.modelLabel(model)
	out := outcome(res)
	m.requests.WithLabelValues(provider, model, out).Inc()
	if clientGone {
		m.disconnects.Inc()
	}
	if res.Err != nil && res.Err.Kind != sluice.KindCanceled && !shutdown {
		m.upstreamErrors.WithLabelValues(res.Err.Kind.String()).Inc()
	}
	mt := &res.Metrics
	if mt.ContentEvents > 0 {
		m.ttft.WithLabelValues(provider, model).Observe(mt.TTFT.Seconds())
	}
	if mt.TPOT > 0 {
		m.tpot.WithLabelValues(provider, model).Observe(mt.TPOT.Seconds())
	}
	if mt.E2E > 0 {
		m.duration.WithLabelValues(provider, model).Observe(mt.E2E.Seconds())
	}
	if n := res.Usage.InputTotal(); n > 0 || res.Usage.Input.Known() {
		m.tokens.WithLabelValues(provider, model, "input").Observe(float64(n))
	}
	if res.Usage.Output.Known() {
		m.tokens.WithLabelValues(provider, model, "output").Observe(float64(res.Usage.Output.N))
	}
}

// observeRejected records a request that failed before any stream started
// (an upstream HTTP error, an unknown model).
func (m *metrics) observeRejected(provider, model string, e *sluice.Error) {
	if provider == "" {
		provider, model = "none", "none"
	}
	m.requests.WithLabelValues(provider, m.modelLabel(model), "error").Inc()
	if e != nil && e.Provider != "" {
		m.upstreamErrors.WithLabelValues(e.Kind.String()).Inc()
	}
}
