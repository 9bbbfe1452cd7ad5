package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice"
	"github.com/sluicehq/sluice/sim"
)

// Chat completions streams a tool call's argument fragments as they arrive
// from an upstream that cannot sign calls: the simulator stalls for a
// minute in the middle of the arguments, and the client must already hold
// several fragments of the call, its id carrying the sealed reasoning that
// came before it. From Gemini, which signs calls, the call comes whole with
// the signature sealed in its id (TestToolLoopEveryFrontendEveryUpstream
// runs that loop to its third turn).
func TestChatStreamsToolArguments(t *testing.T) {
	e := newProtocolEnv(t, sim.Config{Tokens: 4, ReasoningTokens: 5})
	tools := []any{map[string]any{"type": "function", "function": map[string]any{"name": "shell",
		"parameters": map[string]any{"type": "object", "properties": map[string]any{"command": map[string]any{"type": "string"}}}}}}
	for _, tt := range []struct {
		name, model string
		// stalls: the upstream stalls mid-arguments, so the fragments
		// must arrive before the call ends; sealed: the id carries data.
		stalls, sealed bool
	}{
		{"chat", "chat/tools+stall@3:1m", true, false},
		{"chat with reasoning", "chat/reasoning+tools+stall@8:1m", true, false},
		{"anthropic signed", "anthropic/reasoning+tools+signed+stall@8:1m", true, true},
		{"responses encrypted", "responses/reasoning+tools+signed+stall@8:1m", true, true},
		{"gemini signed", "gemini/reasoning+tools+signed", false, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
			defer cancel()
			b, _ := json.Marshal(map[string]any{"model": tt.model, "stream": true, "tools": tools, "max_tokens": 8000,
				"reasoning_effort": "low", "messages": []any{map[string]any{"role": "user", "content": "run the shell"}}})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url+"/v1/chat/completions", bytes.NewReader(b))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			id, args, frags := "", "", 0
			r := bufio.NewReader(resp.Body)
			for {
				line, err := r.ReadString('\n')
				if err != nil {
					// With stalls, a call held until done never arrives.
					t.Fatalf("after %d argument fragments %q (id %q): %v", frags, args, id, err)
				}
				data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
				if !ok || data == "[DONE]" {
					continue
				}
				var chunk struct {
					Choices []struct {
						Delta struct {
							ToolCalls []struct {
								ID       string `json:"id"`
								Function struct {
									Arguments string `json:"arguments"`
								} `json:"function"`
							} `json:"tool_calls"`
						} `json:"delta"`
						FinishReason *string `json:"finish_reason"`
					} `json:"choices"`
				}
				if err := json.Unmarshal([]byte(data), &chunk); err != nil {
					t.Fatalf("chunk %s: %v", data, err)
				}
				if len(chunk.Choices) == 0 {
					continue
				}
				c := chunk.Choices[0]
				for _, tc := range c.Delta.ToolCalls {
					if tc.ID != "" {
						id = tc.ID
					}
					if tc.Function.Arguments != "" {
						args += tc.Function.Arguments
						frags++
					}
				}
				if tt.stalls && frags >= 2 {
					break // mid-call, the upstream stalled: streamed
				}
				if c.FinishReason != nil {
					if tt.stalls {
						t.Fatalf("the call ended before two of its fragments arrived (%d: %q)", frags, args)
					}
					if !strings.Contains(args, "echo hello from sluice sim") {
						t.Fatalf("arguments %q", args)
					}
					break
				}
			}
			if id == "" {
				t.Fatalf("no call id before the arguments")
			}
			if got := strings.Contains(id, callSealSep); got != tt.sealed {
				t.Errorf("call id %q: sealed data %v, want %v", id, got, tt.sealed)
			}
		})
	}
}

// The sealer streams a call unless told to hold calls; data that rides on
// a call already streamed goes into the next call's id and comes back on
// its own call.
func TestSealerChatCalls(t *testing.T) {
	sig := sluice.Event{Type: sluice.EventReasoningData, Item: 0, Opaque: sluice.OpaqueSignature, Text: "anthropic-sig"}
	stray := sluice.Event{Type: sluice.EventReasoningData, Item: 1, Opaque: sluice.OpaqueThoughtSignature, Text: "on-call-a"}
	events := []sluice.Event{
		{Type: sluice.EventItemStart, Item: 0, Kind: sluice.ItemReasoning},
		{Type: sluice.EventReasoning, Item: 0, Text: "thinking"},
		sig,
		{Type: sluice.EventItemDone, Item: 0, Kind: sluice.ItemReasoning},
		{Type: sluice.EventItemStart, Item: 1, Kind: sluice.ItemToolCall, CallID: "a", Name: "shell"},
		{Type: sluice.EventToolCall, Item: 1, Text: `{"command":`},
		{Type: sluice.EventToolCall, Item: 1, Text: `"echo"}`},
		stray,
		{Type: sluice.EventItemDone, Item: 1, Kind: sluice.ItemToolCall},
		{Type: sluice.EventItemStart, Item: 2, Kind: sluice.ItemToolCall, CallID: "b", Name: "shell"},
		{Type: sluice.EventToolCall, Item: 2, Text: `{}`},
		{Type: sluice.EventItemDone, Item: 2, Kind: sluice.ItemToolCall},
		{Type: sluice.EventFinish, Finish: sluice.FinishToolCalls},
	}
	for _, hold := range []bool{false, true} {
		s := newSealer("p", sealCallID, hold)
		var out []sluice.Event
		for i := range events {
			got := s.apply(&events[i])
			if events[i].Type == sluice.EventToolCall && len(got) == 0 && !hold {
				t.Errorf("streaming: fragment %d held", i)
			}
			if events[i].Type == sluice.EventToolCall && len(got) != 0 && hold {
				t.Errorf("holding: fragment %d written before its call was done", i)
			}
			out = append(out, got...)
		}
		out = append(out, s.flush()...)
		// Build the assistant message a client sends back, and unseal it.
		msg := sluice.Message{Role: sluice.RoleAssistant}
		for _, ev := range out {
			switch ev.Type {
			case sluice.EventItemStart:
				if ev.Kind == sluice.ItemToolCall {
					msg.Content = append(msg.Content, sluice.Part{Type: sluice.PartToolCall, CallID: ev.CallID, Name: ev.Name})
				}
			case sluice.EventToolCall:
				msg.Content[len(msg.Content)-1].Arguments += ev.Text
			}
		}
		req := &sluice.Request{Messages: []sluice.Message{msg}}
		if !unsealCallIDs(req) {
			t.Fatalf("hold %v: nothing sealed in %+v", hold, msg)
		}
		var kinds []string
		var callA, callB sluice.Part
		for _, p := range req.Messages[0].Content {
			kinds = append(kinds, string(p.Type))
			switch p.CallID {
			case "a":
				callA = p
			case "b":
				callB = p
			}
		}
		if strings.Join(kinds, ",") != "reasoning,tool_call,tool_call" {
			t.Fatalf("hold %v: parts %v", hold, kinds)
		}
		if r := req.Messages[0].Content[0]; r.Text != "thinking" || len(r.Opaque) != 1 || r.Opaque[0].Data != "anthropic-sig" {
			t.Errorf("hold %v: reasoning %+v", hold, r)
		}
		if len(callA.Opaque) != 1 || callA.Opaque[0].Data != "on-call-a" || callA.Arguments != `{"command":"echo"}` {
			t.Errorf("hold %v: call a %+v", hold, callA)
		}
		if len(callB.Opaque) != 0 || callB.Arguments != `{}` {
			t.Errorf("hold %v: call b %+v", hold, callB)
		}
	}
}

// Messages without a sealed call id are left as they are, not copied: an
// agent's request can carry hundreds of them.
func TestUnsealLeavesPlainMessages(t *testing.T) {
	plain := []sluice.Part{{Type: sluice.PartText, Text: "hi"}, {Type: sluice.PartToolCall, CallID: "call_1", Name: "f"}}
	result := []sluice.Part{{Type: sluice.PartToolResult, CallID: "call_1", Text: "ok"}}
	req := &sluice.Request{Messages: []sluice.Message{
		{Role: sluice.RoleAssistant, Content: plain},
		{Role: sluice.RoleTool, Content: result},
	}}
	if unsealCallIDs(req) {
		t.Error("reported a change in messages without sealed ids")
	}
	if &req.Messages[0].Content[0] != &plain[0] || &req.Messages[1].Content[0] != &result[0] {
		t.Error("messages without sealed ids were copied")
	}
	if allocs := testing.AllocsPerRun(10, func() { unsealCallIDs(req) }); allocs != 0 {
		t.Errorf("%v allocations for messages without sealed ids, want 0", allocs)
	}
}
