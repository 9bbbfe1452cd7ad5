package anthropic

import (
	"testing"

	"github.com/sluicehq/sluice/internal/jsonwire"
)

func TestEditObject(t *testing.T) {
	tests := []struct {
		obj  string
		set  []field
		add  bool
		keep func(string) bool
		want string
	}{
		{`{"a":1, "b" : {"c":[1,"}"]} ,"d":"x"}`, []field{{"b", []byte(`2`)}}, false, nil, `{"a":1,"b":2,"d":"x"}`},
		{`{"a":1}`, []field{{"z", []byte(`true`)}, {"a", nil}}, true, nil, `{"z":true}`},
		{`{}`, []field{{"k", []byte(`"v"`)}}, true, nil, `{"k":"v"}`},
		{`{"\u0061":1,"b":2}`, []field{{"a", []byte(`3`)}}, false, nil, `{"\u0061":3,"b":2}`},
		{`{"a":1,"b":2,"c":3}`, nil, false, func(k string) bool { return k != "b" }, `{"a":1,"c":3}`},
	}
	for _, tt := range tests {
		got, err := editObject(nil, []byte(tt.obj), tt.set, tt.add, tt.keep)
		if err != nil || string(got) != tt.want {
			t.Errorf("editObject(%s) = %s, %v; want %s", tt.obj, got, err, tt.want)
		}
	}
	for _, bad := range []string{`[1]`, `{"a":`, `"s"`} {
		if _, err := editObject(nil, []byte(bad), nil, false, nil); err == nil {
			t.Errorf("editObject(%s) gave no error", bad)
		}
	}
	if v, ok := jsonwire.LookupDecoded([]byte(`{"x":{"y":[1,2]},"z":null}`), "z"); !ok || string(v) != "null" {
		t.Errorf("LookupDecoded = %s, %v", v, ok)
	}
}
