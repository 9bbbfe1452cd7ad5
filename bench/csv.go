package bench

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice"
)

// csvHeader is the first row of WriteCSV's output.
func csvHeader() []string {
	return []string{"model", "seq", "start_ms", "ok", "error_kind", "error", "ttfb_ms", "ttft_ms", "tpot_ms",
		"e2e_ms", "output_tokens", "token_source", "input_tokens", "tps", "e2e_tps", "content_events",
		"finish_reason", "good", "itl_ms"}
}

// WriteCSV writes one row per request with its raw timings in milliseconds.
// The last column, itl_ms, holds every gap between content events joined
// with ';', so one row keeps the whole stream's timing.
func WriteCSV(w io.Writer, samples []Sample) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader()); err != nil {
		return err
	}
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	for i := range samples {
		s := &samples[i]
		itl := make([]string, len(s.ITL))
		for j, d := range s.ITL {
			itl[j] = f(ms(d))
		}
		row := []string{s.Model, strconv.Itoa(s.Seq), f(ms(s.Start)), strconv.FormatBool(s.OK), s.ErrorKind, s.Error,
			f(ms(s.TTFB)), f(ms(s.TTFT)), f(ms(s.TPOT)), f(ms(s.E2E)), strconv.FormatInt(s.OutputTokens, 10),
			s.TokenSource, strconv.FormatInt(s.InputTokens, 10), f(round3(s.TPS)), f(round3(s.E2ETPS)),
			strconv.Itoa(s.ContentEvents), string(s.Finish), strconv.FormatBool(s.Good), strings.Join(itl, ";")}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ReadCSV reads the rows WriteCSV writes back into samples.
func ReadCSV(r io.Reader) ([]Sample, error) {
	cr := csv.NewReader(r)
	rows, err := cr.ReadAll()
	if err != nil {
		return nil, err
	}
	want := csvHeader()
	if len(rows) == 0 || strings.Join(rows[0], ",") != strings.Join(want, ",") {
		return nil, fmt.Errorf("not a sluice bench CSV: the first row must be %s", strings.Join(want, ","))
	}
	var out []Sample
	for n, row := range rows[1:] {
		p := &csvRow{row: row}
		s := Sample{Model: row[0], Seq: p.int(1), Start: p.ms(2), OK: p.bool(3), ErrorKind: row[4], Error: row[5],
			TTFB: p.ms(6), TTFT: p.ms(7), TPOT: p.ms(8), E2E: p.ms(9), OutputTokens: int64(p.int(10)),
			TokenSource: row[11], InputTokens: int64(p.int(12)), TPS: p.float(13), E2ETPS: p.float(14),
			ContentEvents: p.int(15), Finish: sluice.FinishReason(row[16]), Good: p.bool(17)}
		if row[18] != "" {
			for v := range strings.SplitSeq(row[18], ";") {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil && p.err == nil {
					p.err = fmt.Errorf("itl_ms: %w", err)
				}
				s.ITL = append(s.ITL, fromMS(f))
			}
		}
		if p.err != nil {
			return nil, fmt.Errorf("row %d: %w", n+2, p.err)
		}
		out = append(out, s)
	}
	return out, nil
}

// csvRow parses the fields of one row, keeping the first error.
type csvRow struct {
	row []string
	err error
}

func (p *csvRow) float(i int) float64 {
	f, err := strconv.ParseFloat(p.row[i], 64)
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %w", csvHeader()[i], err)
	}
	return f
}

func (p *csvRow) int(i int) int { return int(p.float(i)) }

func (p *csvRow) ms(i int) time.Duration { return fromMS(p.float(i)) }

func (p *csvRow) bool(i int) bool {
	b, err := strconv.ParseBool(p.row[i])
	if err != nil && p.err == nil {
		p.err = fmt.Errorf("column %s: %w", csvHeader()[i], err)
	}
	return b
}
