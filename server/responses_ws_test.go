package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/sim"
)

// wsResponse sends one response.create frame and reads the frames of its
// answer, returned as an SSE stream for responses.Check, or the error
// frame.
func wsResponse(t *testing.T, conn *websocket.Conn, req map[string]any) (sse string, errFrame map[string]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	req["type"] = "response.create"
	b, _ := json.Marshal(req)
	if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("reading: %v (so far %s)", err, out.String())
		}
		var ev map[string]any
		if err := json.Unmarshal(data, &ev); err != nil {
			t.Fatalf("frame %q: %v", data, err)
		}
		typ, _ := ev["type"].(string)
		if typ == "error" {
			return out.String(), ev
		}
		fmt.Fprintf(&out, "event: %s\ndata: %s\n\n", typ, data)
		switch typ {
		case "response.completed", "response.incomplete", "response.failed":
			return out.String(), nil
		}
	}
}

// The WebSocket mode: several responses on one connection, each with the
// whole grammar, chained with previous_response_id and only the new items,
// for every upstream protocol; a warm-up that calls no model; a failure
// before the stream as the error frame Codex reads as an HTTP status.
func TestResponsesWebSocket(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 4, ReasoningTokens: 3})
	url := "ws" + strings.TrimPrefix(e.url, "http") + "/v1/responses"
	for _, up := range upstreams {
		t.Run(up, func(t *testing.T) {
			conn, _, err := websocket.Dial(t.Context(), url, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.CloseNow()
			model := up + "/reasoning+tools+signed"
			warm, ef := wsResponse(t, conn, map[string]any{"model": model, "input": []any{}, "generate": false, "tools": []any{shellTool}})
			got, err := responses.Check(strings.NewReader(warm))
			if ef != nil || err != nil || got.Status != "completed" {
				t.Fatalf("warm-up: %v %v %+v", ef, err, got)
			}
			first, ef := wsResponse(t, conn, map[string]any{"model": model, "previous_response_id": got.ID, "tools": []any{shellTool},
				"input": []any{map[string]any{"role": "user", "content": "run it"}}, "reasoning": map[string]any{"effort": "low"}})
			got, err = responses.Check(strings.NewReader(first))
			if ef != nil || err != nil || len(got.Calls) != 1 {
				t.Fatalf("turn 1: %v %v %+v", ef, err, got)
			}
			callID, _ := got.Calls[0]["call_id"].(string)
			second, ef := wsResponse(t, conn, map[string]any{"model": model, "previous_response_id": got.ID, "tools": []any{shellTool},
				"input":     []any{map[string]any{"type": "function_call_output", "call_id": callID, "output": "hello from sluice sim"}},
				"reasoning": map[string]any{"effort": "low"}})
			got, err = responses.Check(strings.NewReader(second))
			if ef != nil || err != nil || !strings.Contains(got.Text, "The tool returned: hello from sluice sim") {
				t.Fatalf("turn 2: %v %v %+v", ef, err, got)
			}
			_, ef = wsResponse(t, conn, map[string]any{"model": up + "/text+429", "input": "hi"})
			if ef == nil || ef["status"] != float64(429) {
				t.Fatalf("429 fault: %v", ef)
			}
			if h, _ := ef["headers"].(map[string]any); h["retry-after"] == nil {
				t.Errorf("429 without retry-after: %v", ef)
			}
			// The connection still serves after an error.
			after, ef := wsResponse(t, conn, map[string]any{"model": up + "/text", "input": "hi"})
			if got, err := responses.Check(strings.NewReader(after)); ef != nil || err != nil || got.Status != "completed" {
				t.Fatalf("after the error: %v %v", ef, err)
			}
		})
	}
}
