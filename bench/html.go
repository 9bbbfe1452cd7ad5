package bench

import (
	"html/template"
	"io"
	"maps"
	"slices"
)

// WriteHTML writes the report as one self-contained HTML page: the run, a
// table of every metric per model with the best highlighted, the metric
// definitions, and the charts of [Charts] drawn as inline SVG. It loads
// nothing from the network, so it opens offline and can be mailed or
// attached to an issue as it is.
func WriteHTML(w io.Writer, r *Report) error {
	t, err := template.New("report").Funcs(template.FuncMap{
		"num":   num,
		"stats": StatNames,
		"svg":   func(s string) template.HTML { return template.HTML(s) }, // built by chart with every text escaped
		"color": colorOf,
		"errs": func(m map[string]int) []string {
			var out []string
			for _, k := range slices.Sorted(maps.Keys(m)) {
				out = append(out, k+" "+itoa(m[k]))
			}
			return out
		},
		"pct":   func(f *float64) float64 { return 100 * *f },
		"deref": func(f *float64) float64 { return *f },
	}).Parse(pageTemplate)
	if err != nil {
		return err
	}
	var rows []metricRow
	for _, m := range Metrics() {
		for i := range r.Models {
			mr := &r.Models[i]
			s := m.Get(mr)
			row := metricRow{Model: mr.Model, N: s.N, Best: mr.IsBest(m.Key)}
			if i == 0 {
				row.Label = m.Label + " (" + m.Unit + ")"
			}
			for _, st := range StatNames() {
				v := "-"
				if s.N > 0 {
					v = num(s.Get(st))
				}
				row.Values = append(row.Values, v)
			}
			rows = append(rows, row)
		}
	}
	return t.Execute(w, struct {
		R           *Report
		Run         string
		Rows        []metricRow
		Charts      []Chart
		Definitions []definition
	}{r, describeRun(r), rows, Charts(r), toolNames()})
}

// metricRow is one line of the page's metrics table.
type metricRow struct {
	Label, Model string
	N            int
	Values       []string
	Best         bool
}

func itoa(n int) string { return num(float64(n)) }

// definition maps one of sluice's metrics to the names other tools give the
// same quantity, and warns where they use the same name for another one.
type definition struct {
	Name, Formula, VLLM, GenAIPerf, GuideLLM, LLMPerf string
}

// toolNames is the table of the docs and --help: what each tool calls each
// sluice metric (from their sources; see docs/benchmarks.md).
func toolNames() []definition {
	return []definition{
		{"TTFB", "response headers − request sent", "—", "—", "—", "—"},
		{"TTFT", "first content event − request sent", "ttft (but a role-only chunk counts)", "time_to_first_token", "time_to_first_token_ms", "ttft_s"},
		{"ITL (list)", "each gap between content events", "itl (list of chunk gaps)", "AIPerf inter_chunk_latency; not GenAI-Perf's inter_token_latency", "—", "—"},
		{"TPOT", "(last − first content) / (tokens − 1)", "tpot (same, from E2E − TTFT)", "inter_token_latency", "inter_token_latency_ms (not its time_per_output_token_ms, which includes TTFT)", "— (its inter_token_latency_s ≈ E2E / tokens)"},
		{"E2E", "end of stream − request sent", "e2el", "request_latency", "request_latency", "end_to_end_latency_s"},
		{"TPS", "tokens / (last − first content)", "—", "output_token_throughput_per_user (≈ 1/TPOT)", "—", "—"},
		{"E2E TPS", "tokens / E2E", "—", "AIPerf e2e output token throughput", "output_tokens_per_second (per request)", "request_output_throughput_token_per_s"},
		{"throughput", "all output tokens / run duration", "output_throughput", "output_token_throughput", "output_tokens_per_second (run)", "overall_output_throughput"},
		{"goodput", "good requests / run duration", "request_goodput", "goodput", "—", "—"},
	}
}

// pageTemplate is the report page. Styles are inline and there is no script
// and no external reference, so the page renders offline the same anywhere.
const pageTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sluice bench report</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1100px; padding: 0 16px; color: #1b1b1b; }
h1 { font-size: 22px; margin-bottom: 4px; }
h2 { font-size: 17px; margin-top: 32px; }
.run { color: #555; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 9px; text-align: right; border-bottom: 1px solid #e4e4e4; }
th { background: #f4f4f4; }
td.l, th.l { text-align: left; }
tr.best td { background: #e5f5ea; font-weight: 600; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 6px; vertical-align: baseline; }
svg.chart { display: inline-block; margin: 4px 8px 4px 0; overflow: visible; }
svg .grid { stroke: #eee; } svg .axis { stroke: #888; }
svg .tick { font-size: 11px; fill: #555; } svg .label { font-size: 12px; fill: #333; }
svg .name { font-size: 12px; fill: #222; } svg .note { font-size: 11px; fill: #555; }
.caption { color: #555; margin: 2px 0 8px; }
.errors { color: #a33; }
table.defs { width: 100%; font-size: 13px; } table.defs td { text-align: left; vertical-align: top; }
</style>
</head>
<body>
<h1>sluice bench report</h1>
<p class="run">{{.Run}}<br>started {{.R.Started.Format "2006-01-02 15:04:05 MST"}} · {{len .R.Samples}} measured requests · prompts: {{.R.Prompts}}</p>

<h2>Models</h2>
<table>
<tr><th class="l">model</th><th>requests</th><th>ok</th><th>output tok/s</th><th>req/s</th><th>goodput</th><th class="l">tokens from</th><th class="l">errors</th></tr>
{{range $i, $m := .R.Models}}<tr><td class="l"><span class="swatch" style="background:{{color $i}}"></span>{{$m.Model}}</td><td>{{$m.Requests}}</td><td>{{$m.OK}}</td><td>{{num $m.Throughput}}</td><td>{{num $m.RequestRate}}</td>
<td>{{if $m.Goodput}}{{num (deref $m.Goodput)}} req/s ({{printf "%.0f" (pct $m.GoodFraction)}}%){{else}}-{{end}}</td><td class="l">{{$m.TokenSource}}</td><td class="l errors">{{range errs $m.Errors}}{{.}} {{end}}</td></tr>
{{end}}</table>

<h2>Metrics</h2>
<p class="caption">Highlighted: the best model on each metric by p50 (lowest latency, highest rate). Latencies in ms, rates in tokens/s.</p>
<table>
<tr><th class="l">metric</th><th class="l">model</th><th>n</th>{{range stats}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr{{if .Best}} class="best"{{end}}><td class="l">{{.Label}}</td><td class="l">{{.Model}}</td><td>{{.N}}</td>{{range .Values}}<td>{{.}}</td>{{end}}</tr>
{{end}}</table>

{{range .Charts}}<h2 id="{{.ID}}">{{.Title}}</h2>
<p class="caption">{{.Caption}}</p>
<div>{{svg .SVG}}</div>
{{end}}

<h2>Definitions</h2>
<p class="caption">Times come from the monotonic clock when each event is decoded. Content is text, refusal, reasoning or tool-call arguments. Percentiles interpolate linearly between ranks (numpy's default); stdev divides by n. Failed requests are counted by error kind and left out of the latency statistics.</p>
<table class="defs">
<tr><th class="l">sluice</th><th class="l">formula</th><th class="l">vLLM bench</th><th class="l">GenAI-Perf / AIPerf</th><th class="l">GuideLLM</th><th class="l">llmperf</th></tr>
{{range .Definitions}}<tr><td class="l">{{.Name}}</td><td class="l">{{.Formula}}</td><td class="l">{{.VLLM}}</td><td class="l">{{.GenAIPerf}}</td><td class="l">{{.GuideLLM}}</td><td class="l">{{.LLMPerf}}</td></tr>
{{end}}</table>
</body>
</html>
`
