package gateway

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/sim"
)

// An endpoint with api: responses speaks OpenAI's Responses API.
func TestEndpointResponsesAPI(t *testing.T) {
	up := httptest.NewServer(sim.New(sim.Config{Tokens: 3}))
	defer up.Close()
	c, err := ParseConfig([]byte("endpoints:\n  - name: oair\n    base_url: " + up.URL + "/v1\n    api: responses\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := NewRegistry(nil)
	c.Apply(r)
	p, model, err := r.Resolve("oair/reasoning")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.(*responses.Provider); !ok {
		t.Fatalf("provider %T", p)
	}
	st, err := p.Stream(context.Background(), &sluice.Request{Model: model, Messages: []sluice.Message{sluice.UserMessage("hi")}})
	if err != nil {
		t.Fatal(err)
	}
	for range st.Events() {
	}
	if res := st.Result(); res.Err != nil || res.Text == "" || res.Reasoning == "" {
		t.Fatalf("%+v", res)
	}

	if _, err := ParseConfig([]byte("endpoints:\n  - name: x\n    base_url: http://h/v1\n    api: soap\n")); err == nil || !strings.Contains(err.Error(), "api") {
		t.Fatalf("api soap: %v", err)
	}
}
