package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/provider/anthropic"
	"github.com/sluicehq/sluice/provider/openai"
	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/sim"
)

// frontends are the server's three APIs, each driven by sluice's own
// adapter of that protocol acting as the client: it sends back exactly
// what its wire format can hold, as an SDK would.
var frontends = []struct {
	name   string
	client func(base string) sluice.Provider
}{
	{"chat", func(base string) sluice.Provider {
		return openai.New(openai.Config{Name: "client", BaseURL: base + "/v1", APIKey: "k"})
	}},
	{"messages", func(base string) sluice.Provider {
		return anthropic.New(anthropic.Config{BaseURL: base, APIKey: "k"})
	}},
	{"responses", func(base string) sluice.Provider {
		return responses.New(responses.Config{BaseURL: base + "/v1", APIKey: "k"})
	}},
}

// run streams req through p and returns the result, failing on an error.
func run(t *testing.T, p sluice.Provider, req *sluice.Request) (sluice.Result, error) {
	t.Helper()
	st, err := p.Stream(context.Background(), req)
	if err != nil {
		return sluice.Result{}, err
	}
	for _, err := range st.Events() {
		if err != nil {
			return st.Result(), err
		}
	}
	return st.Result(), nil
}

// A three-turn tool loop with reasoning through every frontend to every
// upstream protocol, the simulator rejecting any turn whose reasoning
// signature did not come back intact: the tool call, the answer after the
// tool result, and a follow-up question with the whole history.
func TestToolLoopEveryFrontendEveryUpstream(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 4, ReasoningTokens: 5})
	tool := sluice.Tool{Name: "shell", Parameters: json.RawMessage(`{"type":"object","properties":{"command":{"type":"string"}},"required":["command"]}`)}
	for _, fe := range frontends {
		for _, up := range upstreams {
			t.Run(fe.name+"/"+up, func(t *testing.T) {
				client := fe.client(e.url)
				req := &sluice.Request{Model: up + "/reasoning+tools+signed", Tools: []sluice.Tool{tool},
					Reasoning: &sluice.ReasoningConfig{Effort: "low"}, MaxTokens: 8000,
					Messages: []sluice.Message{sluice.UserMessage("run the shell")}}
				res, err := run(t, client, req)
				if err != nil {
					t.Fatalf("turn 1: %v", err)
				}
				if len(res.ToolCalls) != 1 || !strings.Contains(res.ToolCalls[0].Arguments, "echo hello from sluice sim") {
					t.Fatalf("turn 1 called %+v", res.ToolCalls)
				}
				if res.Reasoning == "" && up != "chat" && up != "ollama" {
					t.Errorf("turn 1 brought no reasoning")
				}
				call := res.ToolCalls[0]
				req.Messages = append(req.Messages, res.Message(), sluice.Message{Role: sluice.RoleTool,
					Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: call.ID, Name: call.Name, Text: "hello from sluice sim"}}})
				res, err = run(t, client, req)
				if err != nil {
					t.Fatalf("turn 2: %v", err)
				}
				if !strings.Contains(res.Text, "The tool returned: hello from sluice sim") {
					t.Fatalf("turn 2 said %q", res.Text)
				}
				req.Messages = append(req.Messages, res.Message(), sluice.UserMessage("thanks; and again?"))
				res, err = run(t, client, req)
				if err != nil {
					t.Fatalf("turn 3: %v", err)
				}
				if res.Text == "" {
					t.Fatalf("turn 3 said nothing")
				}
			})
		}
	}
}

// The simulator does reject a turn whose signature did not come back, so
// the test above proves something.
func TestToolLoopWithoutSignatureIsRejected(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 4, ReasoningTokens: 5})
	tool := sluice.Tool{Name: "shell"}
	for _, fe := range frontends {
		for _, up := range []string{"anthropic", "gemini", "responses"} {
			t.Run(fe.name+"/"+up, func(t *testing.T) {
				client := fe.client(e.url)
				req := &sluice.Request{Model: up + "/reasoning+tools+signed", Tools: []sluice.Tool{tool}, MaxTokens: 8000,
					Reasoning: &sluice.ReasoningConfig{Effort: "low"}, Messages: []sluice.Message{sluice.UserMessage("go")}}
				res, err := run(t, client, req)
				if err != nil || len(res.ToolCalls) != 1 {
					t.Fatalf("turn 1: %v %+v", err, res.ToolCalls)
				}
				call := res.ToolCalls[0]
				// The call comes back alone: its id without what the chat
				// frontend sealed into it, and no reasoning.
				id, _, _ := strings.Cut(call.ID, callSealSep)
				req.Messages = append(req.Messages,
					sluice.Message{Role: sluice.RoleAssistant, Content: []sluice.Part{{Type: sluice.PartToolCall, CallID: id, Name: call.Name, Arguments: call.Arguments}}},
					sluice.Message{Role: sluice.RoleTool, Content: []sluice.Part{{Type: sluice.PartToolResult, CallID: id, Name: call.Name, Text: "x"}}})
				_, err = run(t, client, req)
				if e := sluice.AsError(err); err == nil || e.Status != http.StatusBadRequest {
					t.Fatalf("turn 2 without the signature: %v, want a 400", err)
				}
			})
		}
	}
}

// The usage each client sees is what the simulator sent, converted to its
// API's fields: OpenAI's input counts cached tokens, Anthropic's does not.
func TestUsageEveryFrontendEveryUpstream(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 4, ReasoningTokens: 3})
	paths := map[string]string{"chat": "/v1/chat/completions", "messages": "/v1/messages", "responses": "/v1/responses"}
	for _, fe := range []string{"chat", "messages", "responses"} {
		for _, up := range upstreams {
			t.Run(fe+"/"+up, func(t *testing.T) {
				body := map[string]any{"model": up + "/reasoning+cache", "max_tokens": 5000}
				switch fe {
				case "responses":
					body = map[string]any{"model": up + "/reasoning+cache", "input": "hi", "reasoning": map[string]any{"effort": "low"}}
				default:
					body["messages"] = []any{map[string]any{"role": "user", "content": "hi"}}
				}
				resp := e.post(t, paths[fe], body)
				if resp.StatusCode != 200 {
					t.Fatalf("status %d", resp.StatusCode)
				}
				var got struct {
					Usage map[string]any `json:"usage"`
				}
				if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
					t.Fatal(err)
				}
				tr, _ := e.sim.Last()
				sent := tr.Usage
				num := func(path ...string) string {
					var v any = got.Usage
					for _, k := range path {
						m, _ := v.(map[string]any)
						v = m[k]
					}
					return fmt.Sprint(v)
				}
				in, cached, write, out, reasoning := sent.Input.N, sent.CacheRead.N, sent.CacheWrite.N, sent.Output.N, sent.Reasoning.N
				// A count the upstream protocol has no field for (Ollama's
				// cache) is absent from the chat and messages replies;
				// Responses clients require every field, so it says 0.
				opt := func(c sluice.Count) string {
					if !c.Known() {
						return "<nil>"
					}
					return fmt.Sprint(c.N)
				}
				var want, have map[string]string
				switch fe {
				case "chat":
					want = map[string]string{"prompt": fmt.Sprint(in + cached + write), "cached": opt(sent.CacheRead), "completion": fmt.Sprint(out)}
					have = map[string]string{"prompt": num("prompt_tokens"), "cached": num("prompt_tokens_details", "cached_tokens"), "completion": num("completion_tokens")}
					if sent.Reasoning.Known() {
						want["reasoning"], have["reasoning"] = fmt.Sprint(reasoning), num("completion_tokens_details", "reasoning_tokens")
					}
				case "messages":
					want = map[string]string{"input": fmt.Sprint(in), "read": opt(sent.CacheRead), "output": fmt.Sprint(out)}
					have = map[string]string{"input": num("input_tokens"), "read": num("cache_read_input_tokens"), "output": num("output_tokens")}
					if sent.CacheWrite.Known() {
						want["write"], have["write"] = fmt.Sprint(write), num("cache_creation_input_tokens")
					}
				case "responses":
					want = map[string]string{"input": fmt.Sprint(in + cached + write), "cached": fmt.Sprint(cached), "output": fmt.Sprint(out), "reasoning": fmt.Sprint(reasoning)}
					have = map[string]string{"input": num("input_tokens"), "cached": num("input_tokens_details", "cached_tokens"),
						"output": num("output_tokens"), "reasoning": num("output_tokens_details", "reasoning_tokens")}
				}
				if fmt.Sprint(want) != fmt.Sprint(have) {
					t.Errorf("sent %+v; the client sees %v, want %v (usage %v)", sent, have, want, got.Usage)
				}
				if up != "ollama" && (!sent.CacheRead.Known() || sent.CacheRead.N == 0) {
					t.Errorf("the simulator sent no cache reads: %+v", sent)
				}
			})
		}
	}
}

// Non-streaming replies carry another provider's reasoning data sealed
// too, so a client that does not stream keeps a tool loop valid.
func TestToolLoopNonStreaming(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 4, ReasoningTokens: 5})
	tools := []any{map[string]any{"type": "function", "function": map[string]any{"name": "shell", "parameters": map[string]any{"type": "object"}}}}
	for _, up := range []string{"anthropic", "gemini", "responses"} {
		t.Run("chat/"+up, func(t *testing.T) {
			msgs := []any{map[string]any{"role": "user", "content": "go"}}
			body := map[string]any{"model": up + "/reasoning+tools+signed", "max_tokens": 8000, "reasoning_effort": "low", "tools": tools, "messages": msgs}
			resp := e.post(t, "/v1/chat/completions", body)
			var got struct {
				Choices []struct {
					Message map[string]any `json:"message"`
				} `json:"choices"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || len(got.Choices) == 0 {
				t.Fatalf("turn 1: %d %v", resp.StatusCode, err)
			}
			msg := got.Choices[0].Message
			calls, _ := msg["tool_calls"].([]any)
			if len(calls) != 1 {
				t.Fatalf("turn 1: %v", msg)
			}
			id, _ := calls[0].(map[string]any)["id"].(string)
			if !strings.Contains(id, callSealSep) {
				t.Fatalf("the call id %q carries no sealed data", id)
			}
			body["messages"] = append(msgs, msg, map[string]any{"role": "tool", "tool_call_id": id, "content": "ok"})
			resp = e.post(t, "/v1/chat/completions", body)
			if resp.StatusCode != 200 {
				var b map[string]any
				json.NewDecoder(resp.Body).Decode(&b)
				t.Fatalf("turn 2: %d %v", resp.StatusCode, b)
			}
		})
	}
	for _, up := range []string{"gemini", "responses"} {
		t.Run("messages/"+up, func(t *testing.T) {
			resp := e.post(t, "/v1/messages", map[string]any{"model": up + "/reasoning", "max_tokens": 8000,
				"thinking": map[string]any{"type": "enabled", "budget_tokens": 1024},
				"messages": []any{map[string]any{"role": "user", "content": "go"}}})
			var got struct {
				Content []map[string]any `json:"content"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			sig, _ := got.Content[0]["signature"].(string)
			if got.Content[0]["type"] != "thinking" || !strings.HasPrefix(sig, sluice.SealPrefix) {
				t.Fatalf("content %v", got.Content)
			}
		})
	}
}
