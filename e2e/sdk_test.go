package e2e

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	aoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/sim"
)

// The official Go SDKs, pointed at sluice by their base URL alone, stream
// from models of either protocol, with usage, tool calls and errors.

const simTokens = 12

func simArgs() []string {
	return []string{"--ttft", "0", "--itl", "1ms", "--jitter", "0", "--tokens", "12"}
}

func openaiClient(s *stack) openai.Client {
	return openai.NewClient(option.WithBaseURL(s.serve.URL+"/v1"), option.WithAPIKey("any-key"), option.WithMaxRetries(0))
}

func anthropicClient(s *stack) anthropic.Client {
	return anthropic.NewClient(aoption.WithBaseURL(s.serve.URL), aoption.WithAPIKey("any-key"), aoption.WithMaxRetries(0))
}

var weatherTool = map[string]any{
	"type":       "object",
	"properties": map[string]any{"city": map[string]any{"type": "string"}},
	"required":   []string{"city"},
}

func TestOpenAIGoSDK(t *testing.T) {
	s := startStack(t, simArgs()...)
	c := openaiClient(s)
	user := []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Hello")}

	for _, model := range []string{"openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "fast"} {
		t.Run("stream "+model, func(t *testing.T) {
			stream := c.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{
				Model: model, Messages: user,
				StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
			})
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				if !acc.AddChunk(stream.Current()) {
					t.Fatalf("the SDK's accumulator refused a chunk: %s", stream.Current().RawJSON())
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if got := acc.Choices[0].Message.Content; got != sim.Text(simTokens) {
				t.Errorf("text %q, want %q", got, sim.Text(simTokens))
			}
			if acc.Usage.CompletionTokens != simTokens || acc.Usage.PromptTokens == 0 {
				t.Errorf("usage %+v", acc.Usage)
			}
			if acc.Choices[0].FinishReason != "stop" {
				t.Errorf("finish %q", acc.Choices[0].FinishReason)
			}
		})
	}

	t.Run("not streamed", func(t *testing.T) {
		res, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "anthropic/claude-sonnet-4-5", Messages: user})
		if err != nil {
			t.Fatal(err)
		}
		if res.Choices[0].Message.Content != sim.Text(simTokens) || res.Usage.CompletionTokens != simTokens {
			t.Errorf("got %s", res.RawJSON())
		}
	})

	for _, model := range []string{"openai/tools", "anthropic/tools"} {
		t.Run("tool call "+model, func(t *testing.T) {
			stream := c.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{
				Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")},
				Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
					Name: "get_weather", Parameters: openai.FunctionParameters(weatherTool),
				})},
			})
			var acc openai.ChatCompletionAccumulator
			for stream.Next() {
				acc.AddChunk(stream.Current())
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			calls := acc.Choices[0].Message.ToolCalls
			if len(calls) != 1 || calls[0].Function.Name != "get_weather" || calls[0].ID == "" {
				t.Fatalf("tool calls %+v", calls)
			}
			var args map[string]any
			if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args["city"] == nil {
				t.Errorf("arguments %q: %v", calls[0].Function.Arguments, err)
			}
			if acc.Choices[0].FinishReason != "tool_calls" {
				t.Errorf("finish %q", acc.Choices[0].FinishReason)
			}
		})
	}

	for _, tt := range []struct {
		name, model string
		status      int
		contains    string
	}{
		{"unknown model", "nobody/model", http.StatusNotFound, "openai/"},
		{"upstream rate limit", "anthropic/claude+429", http.StatusTooManyRequests, ""},
		{"upstream auth", "openai/gpt-4o+401", http.StatusUnauthorized, ""},
	} {
		t.Run("error "+tt.name, func(t *testing.T) {
			_, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: tt.model, Messages: user})
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("err = %v, want an *openai.Error with status %d", err, tt.status)
			}
			if !strings.Contains(apiErr.Message, tt.contains) {
				t.Errorf("message %q lacks %q", apiErr.Message, tt.contains)
			}
		})
	}

	t.Run("midstream error", func(t *testing.T) {
		stream := c.Chat.Completions.NewStreaming(t.Context(), openai.ChatCompletionNewParams{Model: "flaky", Messages: user})
		var text strings.Builder
		for stream.Next() {
			if ch := stream.Current(); len(ch.Choices) > 0 {
				text.WriteString(ch.Choices[0].Delta.Content)
			}
		}
		if stream.Err() == nil {
			t.Fatal("a stream that failed upstream ended cleanly")
		}
		if text.String() != sim.Text(8) {
			t.Errorf("text before the error %q, want %q", text.String(), sim.Text(8))
		}
	})
	s.noSecrets(t)
}

func TestAnthropicGoSDK(t *testing.T) {
	s := startStack(t, simArgs()...)
	c := anthropicClient(s)
	user := []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello"))}

	for _, model := range []string{"anthropic/claude-sonnet-4-5", "openai/gpt-4o-mini"} {
		t.Run("stream "+model, func(t *testing.T) {
			stream := c.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 256, Messages: user})
			var msg anthropic.Message
			for stream.Next() {
				if err := msg.Accumulate(stream.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) != 1 || msg.Content[0].Text != sim.Text(simTokens) {
				t.Errorf("content %+v", msg.Content)
			}
			if msg.Usage.OutputTokens != simTokens || msg.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("usage %+v stop %q", msg.Usage, msg.StopReason)
			}
		})
	}

	t.Run("not streamed", func(t *testing.T) {
		msg, err := c.Messages.New(t.Context(), anthropic.MessageNewParams{Model: "openai/gpt-4o-mini", MaxTokens: 256, Messages: user})
		if err != nil {
			t.Fatal(err)
		}
		if msg.Content[0].Text != sim.Text(simTokens) || msg.Usage.OutputTokens != simTokens {
			t.Errorf("got %s", msg.RawJSON())
		}
	})

	for _, model := range []string{"anthropic/tools", "openai/tools"} {
		t.Run("tool use "+model, func(t *testing.T) {
			stream := c.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{
				Model: anthropic.Model(model), MaxTokens: 256,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Weather in Paris?"))},
				Tools: []anthropic.ToolUnionParam{{OfTool: &anthropic.ToolParam{
					Name:        "get_weather",
					InputSchema: anthropic.ToolInputSchemaParam{Properties: weatherTool["properties"], Required: []string{"city"}},
				}}},
			})
			var msg anthropic.Message
			for stream.Next() {
				if err := msg.Accumulate(stream.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatal(err)
			}
			var tool *anthropic.ToolUseBlock
			for _, b := range msg.Content {
				if b.Type == "tool_use" {
					tu := b.AsToolUse()
					tool = &tu
				}
			}
			if tool == nil || tool.Name != "get_weather" || tool.ID == "" {
				t.Fatalf("content %+v", msg.Content)
			}
			var args map[string]any
			if err := json.Unmarshal(tool.Input, &args); err != nil || args["city"] == nil {
				t.Errorf("input %s: %v", tool.Input, err)
			}
			if msg.StopReason != anthropic.StopReasonToolUse {
				t.Errorf("stop %q", msg.StopReason)
			}
		})
	}

	for _, tt := range []struct {
		name, model string
		status      int
	}{
		{"unknown model", "nobody/model", http.StatusNotFound},
		{"upstream overloaded", "openai/gpt-4o+503", http.StatusServiceUnavailable},
		{"upstream rate limit", "anthropic/claude+429", http.StatusTooManyRequests},
	} {
		t.Run("error "+tt.name, func(t *testing.T) {
			_, err := c.Messages.New(t.Context(), anthropic.MessageNewParams{Model: anthropic.Model(tt.model), MaxTokens: 64, Messages: user})
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != tt.status {
				t.Fatalf("err = %v, want an *anthropic.Error with status %d", err, tt.status)
			}
		})
	}

	t.Run("midstream error", func(t *testing.T) {
		stream := c.Messages.NewStreaming(t.Context(), anthropic.MessageNewParams{Model: "openai/text+midstream_error@5", MaxTokens: 256, Messages: user})
		var msg anthropic.Message
		for stream.Next() {
			msg.Accumulate(stream.Current())
		}
		if stream.Err() == nil {
			t.Fatal("a stream that failed upstream ended cleanly")
		}
		if len(msg.Content) == 0 || msg.Content[0].Text != sim.Text(5) {
			t.Errorf("content before the error %+v", msg.Content)
		}
	})
	s.noSecrets(t)
}
