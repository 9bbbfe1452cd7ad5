package bench

import (
	"encoding/json"
	"fmt"
	"io"
)

// WriteJSON writes the report as indented JSON: the run's settings, the
// definitions of its metrics, one summary per model and every request with
// its raw timings (durations in milliseconds, in fields ending in _ms).
func WriteJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// ReadJSON reads a report written by WriteJSON. It refuses a file of another
// schema, whose fields would silently read as zero.
func ReadJSON(rd io.Reader) (*Report, error) {
	var r Report
	if err := json.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("reading a bench report: %w", err)
	}
	if r.Schema != Schema {
		return nil, fmt.Errorf("the report's schema is %q; this sluice reads %q", r.Schema, Schema)
	}
	return &r, nil
}
