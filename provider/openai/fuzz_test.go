package openai

import (
	"bytes"
	"encoding/json"
	"io"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice"
)

func addStreamSeeds(f *testing.F) {
	for _, name := range streamFiles(f) {
		f.Add(readFile(f, name), uint16(len(name)*7))
	}
}

// FuzzDecoder checks that the decoder never panics and that its events do
// not depend on where the input is cut.
func FuzzDecoder(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, cut uint16) {
		want := transcript(decodeAll(bytes.NewReader(data)))
		i := int(cut) % (len(data) + 1)
		got := transcript(decodeAll(io.MultiReader(bytes.NewReader(data[:i]), bytes.NewReader(data[i:]))))
		if got != want {
			t.Fatalf("cut at %d:\n%s\nwhole:\n%s", i, got, want)
		}
	})
}

// FuzzRelay checks the relay on any stream that decodes cleanly. The first
// pass may fill in what the input lacked (an id, created, zero counts), so
// it must keep every event's content; from then on a relay must change
// nothing: decoding what the encoder wrote gives the same events, Extra
// included (compared as JSON).
func FuzzRelay(f *testing.F) {
	addStreamSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte, _ uint16) {
		first, err := decodeAll(bytes.NewReader(data))
		if err != nil {
			return
		}
		written := relayEvents(t, first)
		second, err := decodeAll(bytes.NewReader(written))
		if err != nil {
			t.Fatalf("re-encoded stream fails: %v\ninput:\n%s\nwritten:\n%s", err, data, written)
		}
		if a, b := content(first, nil), content(second, first); !reflect.DeepEqual(a, b) {
			t.Fatalf("content changed by a relay\ninput:\n%s\nwritten:\n%s\nfirst:\n%v\nagain:\n%v", data, written, a, b)
		}
		again := relayEvents(t, second)
		third, err := decodeAll(bytes.NewReader(again))
		if err != nil {
			t.Fatalf("second relay fails: %v", err)
		}
		if a, b := comparable(t, second), comparable(t, third); !reflect.DeepEqual(a, b) {
			ja, _ := json.MarshalIndent(a, "", " ")
			jb, _ := json.MarshalIndent(b, "", " ")
			t.Fatalf("events differ after a relay\ninput:\n%s\nwritten:\n%s\nagain:\n%s\nfirst:\n%s\nsecond:\n%s", data, written, again, ja, jb)
		}
	})
}

func relayEvents(t *testing.T, evs []sluice.Event) []byte {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{IncludeUsage: true})
	for i := range evs {
		if err := enc.Encode(&evs[i]); err != nil {
			t.Fatal(err)
		}
	}
	enc.End()
	enc.Flush()
	return buf.Bytes()
}

// content is what a relay must keep of each event, whatever the input
// lacked: the events but Start, and the usage counts that were known in
// like (the same events before the relay; nil for evs themselves).
func content(evs, like []sluice.Event) []string {
	var out []string
	for i, ev := range evs {
		if ev.Type == sluice.EventStart {
			continue
		}
		if ev.Type == sluice.EventUsage && ev.Usage != nil {
			u, k := *ev.Usage, *ev.Usage
			if i < len(like) && like[i].Usage != nil {
				k = *like[i].Usage
			}
			counts := []*sluice.Count{&u.Input, &u.CacheRead, &u.CacheWrite, &u.Output, &u.Reasoning}
			known := []sluice.Count{k.Input, k.CacheRead, k.CacheWrite, k.Output, k.Reasoning}
			for j, c := range counts {
				if !known[j].Known() {
					*c = sluice.Count{}
				}
			}
			ev.Usage = &u
		}
		ev.Raw, ev.Extra = nil, nil
		j, _ := json.Marshal(ev)
		out = append(out, string(j))
	}
	return out
}

// comparable renders events for FuzzRelay: Raw dropped (passthrough raws
// kept as JSON), Extra parsed.
func comparable(t *testing.T, evs []sluice.Event) []any {
	var out []any
	for _, ev := range evs {
		var extra, raw any
		if ev.Extra != nil && len(ev.Extra.Fields) > 0 {
			extra = jsonValue(t, string(ev.Extra.Fields))
		}
		if ev.Type == sluice.EventPassthrough && json.Valid(ev.Raw) {
			raw = jsonValue(t, string(ev.Raw))
		}
		ev.Raw, ev.Extra = nil, nil
		j, _ := json.Marshal(ev)
		out = append(out, []any{string(j), extra, raw})
	}
	return out
}

// FuzzParseRequest checks that ParseRequest never panics, and that what it
// reads BuildRequest writes back so that it reads the same again.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	f.Add([]byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]},{"role":"assistant","content":null,"reasoning_content":"r","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}},"parallel_tool_calls":false,"stop":["x"],"max_tokens":5,"temperature":1,"top_p":0.5,"top_k":2,"seed":3,"reasoning_effort":"low","stream":true,"stream_options":{"include_usage":true},"n":2}`))
	body, _ := BuildRequest(fullRequest(), true)
	f.Add(body)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _, err := ParseRequest(body)
		if err != nil {
			if e := sluice.AsError(err); e.Kind != sluice.KindBadRequest {
				t.Fatalf("error of kind %s: %v", e.Kind, err)
			}
			return
		}
		again, err := buildRequest(req, true, buildOptions{topK: true, reasoning: true})
		if err != nil {
			t.Fatalf("BuildRequest of a parsed request: %v", err)
		}
		checkRequestJSON(t, req, buildOptions{topK: true, reasoning: true})
		back, _, err := ParseRequest(again)
		if err != nil {
			t.Fatalf("ParseRequest of a built request: %v\n%s", err, again)
		}
		if !reflect.DeepEqual(back, req) {
			a, _ := json.Marshal(req)
			b, _ := json.Marshal(back)
			t.Fatalf("request changed:\n%s\n%s\nbody %s", a, b, again)
		}
	})
}
