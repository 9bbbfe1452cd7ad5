package server

import (
	"encoding/json"
	"net/url"
	"testing"
)

func FuzzParseStreamQuery(f *testing.F) {
	for _, s := range []string{
		"prompt=hi", "prompt=hi&model=sim/echo&max_tokens=5&system=s&temperature=0.5",
		"max_tokens=-1", "max_tokens=99999999999999999999", "temperature=NaN", "prompt=%zz", "a=1&a=2", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, err := url.ParseQuery(raw)
		if err != nil {
			return
		}
		sr, perr := parseStreamQuery(q)
		if perr != nil {
			if perr.Status != 400 || perr.Message == "" {
				t.Fatalf("error without status or message: %+v", perr)
			}
			return
		}
		if sr.Temperature != nil && *sr.Temperature != *sr.Temperature {
			t.Fatal("NaN temperature accepted")
		}
		if verr := sr.validate(); verr == nil && (sr.MaxTokens < 0 || sr.Prompt == "") {
			t.Fatalf("validate accepted %+v", sr)
		}
		// What was accepted survives a round trip through a query.
		back := url.Values{}
		for k, vs := range q {
			back[k] = vs
		}
		again, perr := parseStreamQuery(back)
		if perr != nil || again.Prompt != sr.Prompt || again.MaxTokens != sr.MaxTokens || again.Model != sr.Model {
			t.Fatalf("round trip: %+v %v, want %+v", again, perr, sr)
		}
	})
}

func FuzzParseStreamBody(f *testing.F) {
	for _, s := range []string{
		`{"prompt":"hi"}`, `{"prompt":"hi","model":"sim/echo","max_tokens":5,"system":"s","temperature":0.2}`,
		`{"prompt":`, `{"prompt":1}`, `{"max_token":1}`, `{} {}`, `null`, `[]`, `{"prompt":"\u0000\n\ndata: x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		sr, perr := parseStreamBody(body)
		if perr != nil {
			if perr.Status != 400 || perr.Message == "" {
				t.Fatalf("error without status or message: %+v", perr)
			}
			return
		}
		b, err := json.Marshal(sr)
		if err != nil {
			t.Fatal(err)
		}
		again, perr := parseStreamBody(b)
		if perr != nil || again.Prompt != sr.Prompt || again.MaxTokens != sr.MaxTokens || again.System != sr.System {
			t.Fatalf("round trip of %s: %+v %v", b, again, perr)
		}
	})
}
