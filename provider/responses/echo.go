package responses

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/sluicehq/sluice/internal/jsonwire"
)

func nowUnix() int64 { return time.Now().Unix() }

// echoFields are the request fields a response object repeats, with the
// value written when the request did not set them.
var echoDefaults = []struct{ key, value string }{
	{"instructions", "null"},
	{"max_output_tokens", "null"},
	{"parallel_tool_calls", "true"},
	{"previous_response_id", "null"},
	{"reasoning", `{"effort":null,"summary":null}`},
	{"store", "false"},
	{"temperature", "null"},
	{"text", `{"format":{"type":"text"}}`},
	{"tool_choice", `"auto"`},
	{"tools", "[]"},
	{"top_p", "null"},
	{"truncation", `"disabled"`},
	{"metadata", "{}"},
}

// echo is the request fields a response repeats, parsed once.
type echo struct {
	keys []string
	vals map[string]json.RawMessage
}

// newEcho reads the JSON object raw; anything else echoes the defaults.
func newEcho(raw json.RawMessage) echo {
	var e echo
	if len(raw) > 0 && json.Unmarshal(raw, &e.vals) == nil {
		for k, v := range e.vals {
			if len(v) > 0 {
				e.keys = append(e.keys, k)
			}
		}
		sort.Strings(e.keys)
	}
	return e
}

// append appends the echoed members, and the defaults of those the request
// did not set, to an object being written in b (which already has a
// member and no closing brace).
func (e echo) append(b []byte) []byte {
	for _, d := range echoDefaults {
		if _, ok := e.vals[d.key]; ok {
			continue
		}
		b = append(b, ',')
		b = jsonwire.AppendString(b, d.key)
		b = append(b, ':')
		b = append(b, d.value...)
	}
	for _, k := range e.keys {
		switch k {
		case "id", "object", "created_at", "status", "completed_at", "error", "incomplete_details", "model", "output", "usage":
			continue // the response's own
		}
		b = append(b, ',')
		b = jsonwire.AppendString(b, k)
		b = append(b, ':')
		b = append(b, e.vals[k]...)
	}
	return b
}
