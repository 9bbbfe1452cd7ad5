package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// The official clients agents are built on, over simulated targets of
// every upstream protocol behind sluice's /v1/responses and /v1/messages.

// agentTargets are the upstream protocols of the agent stack.
var agentTargets = []string{"anthropic", "openai", "gemini", "ollama"}

// openai-go streams a Responses reply whose final response equals its
// deltas, with the usage fields Codex requires, and runs a tool loop
// through it with reasoning that must come back signed.
func TestOpenAIGoResponses(t *testing.T) {
	s := startAgentStack(t)
	c := openaiClient(s)
	for _, up := range agentTargets {
		t.Run(up, func(t *testing.T) {
			stream := c.Responses.NewStreaming(t.Context(), responses.ResponseNewParams{
				Model: up + "/reasoning+cache",
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Hello")},
			})
			var text strings.Builder
			var final *responses.Response
			seq := int64(0)
			for stream.Next() {
				ev := stream.Current()
				if ev.SequenceNumber != seq {
					t.Fatalf("sequence_number %d, want %d", ev.SequenceNumber, seq)
				}
				seq++
				switch ev.Type {
				case "response.output_text.delta":
					text.WriteString(ev.Delta)
				case "response.completed":
					r := ev.Response
					final = &r
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if final == nil || final.OutputText() != text.String() || text.Len() == 0 {
				t.Fatalf("final %+v, deltas %q", final, text.String())
			}
			u := final.Usage
			if u.InputTokens == 0 || u.OutputTokens == 0 || (up != "ollama" && u.InputTokensDetails.CachedTokens == 0) {
				t.Errorf("usage %+v", u)
			}
			if !strings.Contains(u.RawJSON(), `"reasoning_tokens"`) || !strings.Contains(u.RawJSON(), `"cached_tokens"`) {
				t.Errorf("usage lacks a details field: %s", u.RawJSON())
			}

			// A tool loop, everything sent back as a stateless client does.
			tool := responses.ToolUnionParam{OfFunction: &responses.FunctionToolParam{Name: "shell",
				Parameters: map[string]any{"type": "object", "properties": map[string]any{"command": map[string]any{"type": "string"}}}}}
			model := "agent-" + up
			if up == "openai" {
				model = "agent-chat"
			}
			input := responses.ResponseInputParam{responses.ResponseInputItemParamOfMessage("Run echo hello", responses.EasyInputMessageRoleUser)}
			first, err := c.Responses.New(t.Context(), responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
			if err != nil {
				t.Fatal(err)
			}
			var callID string
			for _, it := range first.Output {
				var p responses.ResponseInputItemUnionParam
				if err := json.Unmarshal([]byte(it.RawJSON()), &p); err != nil {
					t.Fatalf("output item %s: %v", it.RawJSON(), err)
				}
				input = append(input, p)
				if it.Type == "function_call" {
					callID = it.CallID
				}
			}
			if callID == "" {
				t.Fatalf("no call in %s", first.RawJSON())
			}
			out := responses.ResponseInputItemParamOfFunctionCallOutput(shellOutput)
			out.OfFunctionCallOutput.CallID = openai.String(callID)
			input = append(input, out)
			second, err := c.Responses.New(t.Context(), responses.ResponseNewParams{Model: model, Tools: []responses.ToolUnionParam{tool},
				Input: responses.ResponseNewParamsInputUnion{OfInputItemList: input}})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(second.OutputText(), "The tool returned: "+shellOutput) {
				t.Fatalf("turn 2: %s", second.RawJSON())
			}
		})
	}
}

// anthropic-sdk-go streams thinking with its signature and counts tokens,
// whatever protocol the model speaks upstream.
func TestAnthropicGoThinking(t *testing.T) {
	s := startAgentStack(t)
	c := anthropicClient(s)
	for _, up := range agentTargets {
		t.Run(up, func(t *testing.T) {
			msgs := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello"))}
			thinking := anthropic.ThinkingConfigParamOfEnabled(1024)
			stream := c.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{Model: anthropic.Model(up + "/reasoning"),
				MaxTokens: 4096, Thinking: thinking, Messages: msgs})
			var msg anthropic.Message
			for stream.Next() {
				if err := msg.Accumulate(stream.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			var text, thought, sig string
			for _, b := range msg.Content {
				switch b.Type {
				case "text":
					text += b.Text
				case "thinking":
					thought, sig = thought+b.Thinking, b.Signature
				}
			}
			if text == "" {
				t.Fatalf("no text: %+v", msg.Content)
			}
			if up != "openai" && up != "ollama" && (thought == "" || sig == "") {
				t.Errorf("thinking %q signature %q", thought, sig)
			}
			n, err := c.Messages.CountTokens(t.Context(), anthropic.MessageCountTokensParams{Model: anthropic.Model(up + "/reasoning"),
				Messages: msgs, Thinking: anthropic.ThinkingConfigParamUnion{OfEnabled: thinking.OfEnabled}})
			if err != nil || n.InputTokens <= 0 {
				t.Fatalf("CountTokens: %v %+v", err, n)
			}
		})
	}
}

// The npm openai Responses API, @openai/agents and @anthropic-ai/sdk over
// every target (node/agents.mjs).
func TestNodeAgentSDKs(t *testing.T) {
	node, dir := needNode(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@openai", "agents", "package.json")); err != nil {
		t.Skip("@openai/agents is not installed: run npm ci --prefix e2e")
	}
	s := startAgentStack(t)
	out := runNode(t, node, dir, "agents.mjs", 3*time.Minute, "SLUICE_URL="+s.serve.URL,
		"OPENAI_BASE_URL="+s.serve.URL+"/v1", "OPENAI_API_KEY="+fakeAgentKey, "OPENAI_AGENTS_DISABLE_TRACING=1")
	if !strings.Contains(out, " passed, 0 failed") {
		t.Errorf("the node checks did not all pass")
	}
	noAgentSecrets(t, s)
}
