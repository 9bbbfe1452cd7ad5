package sluice

import (
	"reflect"
	"strings"
	"testing"
)

func TestSealRoundTrip(t *testing.T) {
	in := Sealed{Text: "thinking <&> \"quoted\"", Opaque: []Opaque{{Provider: "anthropic", Kind: OpaqueSignature, Data: "EqQBCgIYAh=="}}}
	s := Seal(in)
	if !strings.HasPrefix(s, SealPrefix) || strings.ContainsAny(s[len(SealPrefix):], "+/=.") {
		t.Fatalf("sealed %q", s)
	}
	out, ok := Unseal(s)
	if !ok || !reflect.DeepEqual(out, in) {
		t.Fatalf("unsealed %+v %v", out, ok)
	}
	for _, bad := range []string{"", "EqQBCgIYAh==", SealPrefix + "!!", SealPrefix + "e30"} {
		if _, ok := Unseal(bad); ok {
			t.Errorf("Unseal(%q) accepted", bad)
		}
	}
}

func TestUnsealRequest(t *testing.T) {
	sig := Seal(Sealed{Text: "signed text", Opaque: []Opaque{{Provider: "anthropic", Kind: OpaqueSignature, Data: "S"}}})
	onCall := Seal(Sealed{CallID: "c1", Opaque: []Opaque{{Provider: "gemini", Kind: OpaqueThoughtSignature, Data: "T"}}})
	req := &Request{Messages: []Message{UserMessage("hi"), {Role: RoleAssistant, Content: []Part{
		{Type: PartReasoning, Text: "summary the client kept", Opaque: []Opaque{{Provider: "responses", Kind: OpaqueEncrypted, Data: sig}}},
		{Type: PartToolCall, CallID: "c1", Name: "f"},
		{Type: PartReasoning, Opaque: []Opaque{{Provider: "responses", Kind: OpaqueEncrypted, Data: onCall}}},
		{Type: PartReasoning, Text: "own", Opaque: []Opaque{{Provider: "openai", Kind: OpaqueEncrypted, Data: "E"}}},
	}}}}
	if !UnsealRequest(req) {
		t.Fatal("nothing changed")
	}
	got := req.Messages[1].Content
	want := []Part{
		{Type: PartReasoning, Text: "signed text", Opaque: []Opaque{{Provider: "anthropic", Kind: OpaqueSignature, Data: "S"}}},
		{Type: PartToolCall, CallID: "c1", Name: "f", Opaque: []Opaque{{Provider: "gemini", Kind: OpaqueThoughtSignature, Data: "T"}}},
		{Type: PartReasoning, Text: "own", Opaque: []Opaque{{Provider: "openai", Kind: OpaqueEncrypted, Data: "E"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if UnsealRequest(req) {
		t.Error("a second pass changed something")
	}
}
