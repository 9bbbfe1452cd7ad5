package sim_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/anthropics/anthropic-sdk-go/option"

	"github.com/sluicehq/sluice/sim"
)

// These tests let the official anthropic-sdk-go consume the simulator: its
// Message.Accumulate must rebuild exactly the thinking (with its signature),
// text, tool calls and usage the simulator sent, and its errors must carry the
// simulator's statuses. Padding is on everywhere, so the SDK also proves it
// reads the whitespace-padded JSON of live streams.

func anthropicClient(base string, opts ...option.RequestOption) anthropic.Client {
	return anthropic.NewClient(append([]option.RequestOption{
		option.WithBaseURL(base), option.WithAPIKey("sim-key"), option.WithMaxRetries(0),
	}, opts...)...)
}

// anthropicStream streams params and accumulates the message as the SDK's
// documentation shows; unknown is the number of events of types the SDK
// does not know.
func anthropicStream(t *testing.T, c anthropic.Client, params anthropic.MessageNewParams) (msg anthropic.Message, events, unknown int, err error) {
	t.Helper()
	stream := c.Messages.NewStreaming(t.Context(), params)
	defer stream.Close()
	for stream.Next() {
		ev := stream.Current()
		events++
		switch ev.Type {
		case "message_start", "message_delta", "message_stop", "content_block_start", "content_block_delta", "content_block_stop":
		default:
			unknown++
		}
		if err := msg.Accumulate(ev); err != nil {
			t.Fatalf("Accumulate(%s): %v", ev.RawJSON(), err)
		}
	}
	return msg, events, unknown, stream.Err()
}

func anthropicParams(model, prompt string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 1024,
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))}}
}

var padded = sim.Config{AnthropicPadding: true}

func TestAnthropicSDKText(t *testing.T) {
	cfg := padded
	cfg.Tokens = 9
	s, base := startSim(t, cfg)
	msg, _, _, err := anthropicStream(t, anthropicClient(base), anthropicParams("text", "Hello"))
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if len(msg.Content) != 1 || msg.Content[0].Type != "text" || msg.Content[0].Text != tr.Text || tr.Text != sim.Text(9) {
		t.Fatalf("content %+v, the simulator sent %q", msg.Content, tr.Text)
	}
	if msg.StopReason != anthropic.StopReasonEndTurn || msg.Model != "text" || !strings.HasPrefix(msg.ID, "msg_") {
		t.Errorf("stop %q, model %q, id %q", msg.StopReason, msg.Model, msg.ID)
	}
	checkAnthropicUsage(t, msg.Usage, tr)
}

func checkAnthropicUsage(t *testing.T, u anthropic.Usage, tr sim.Transcript) {
	t.Helper()
	w := tr.Usage
	if u.InputTokens != w.Input.N || u.OutputTokens != w.Output.N || u.CacheReadInputTokens != w.CacheRead.N ||
		u.CacheCreationInputTokens != w.CacheWrite.N || u.OutputTokensDetails.ThinkingTokens != w.Reasoning.N {
		t.Errorf("usage %s, the simulator sent %+v", u.RawJSON(), w)
	}
}

func TestAnthropicSDKThinkingAndCache(t *testing.T) {
	s, base := startSim(t, padded)
	params := anthropicParams("reasoning+cache", "Think")
	params.Thinking = anthropic.ThinkingConfigParamOfEnabled(2048)
	msg, _, _, err := anthropicStream(t, anthropicClient(base), params)
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if len(msg.Content) != 2 {
		t.Fatalf("content %+v", msg.Content)
	}
	th := msg.Content[0]
	if th.Type != "thinking" || th.Thinking != tr.Reasoning || th.Signature != tr.Signature || tr.Signature == "" {
		t.Errorf("thinking block %+v, the simulator sent %q signed %q", th, tr.Reasoning, tr.Signature)
	}
	if msg.Content[1].Text != tr.Text {
		t.Errorf("text %q, the simulator sent %q", msg.Content[1].Text, tr.Text)
	}
	if tr.Usage.CacheRead.N == 0 || tr.Usage.CacheWrite.N == 0 {
		t.Fatalf("the simulator sent usage %+v, want cache reads and writes", tr.Usage)
	}
	checkAnthropicUsage(t, msg.Usage, tr)
}

// TestAnthropicSDKToolLoop runs a two-turn tool loop with thinking as Claude
// Code does: turn 2 sends turn 1's message back with msg.ToParam(), the
// thinking signature intact, which the simulator checks.
func TestAnthropicSDKToolLoop(t *testing.T) {
	s, base := startSim(t, padded)
	c := anthropicClient(base)
	params := anthropicParams("reasoning+tools+signed", "List the files")
	params.Thinking = anthropic.ThinkingConfigParamOfEnabled(2048)
	params.Tools = []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
		Properties: map[string]any{"command": map[string]any{"type": "string"}}, Required: []string{"command"}}, "bash")}
	msg, _, _, err := anthropicStream(t, c, params)
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if len(msg.Content) != 2 || msg.Content[1].Type != "tool_use" || msg.StopReason != anthropic.StopReasonToolUse {
		t.Fatalf("turn 1: content %+v, stop %q", msg.Content, msg.StopReason)
	}
	use := msg.Content[1]
	if use.ID != tr.ToolCalls[0].ID || use.Name != "bash" || string(use.Input) != tr.ToolCalls[0].Arguments ||
		tr.ToolCalls[0].Arguments != `{"command":"echo hello from sluice sim"}` {
		t.Errorf("tool_use %+v (input %s), the simulator sent %+v", use, use.Input, tr.ToolCalls[0])
	}
	result := anthropic.NewUserMessage(anthropic.NewToolResultBlock(use.ID, "hello from sluice sim", false))

	// A turn whose thinking signature was altered is refused, as the API does.
	forged := msg.ToParam()
	forged.Content[0].OfThinking.Signature = "Zm9yZ2Vk" + forged.Content[0].OfThinking.Signature[8:]
	bad := params
	bad.Messages = append(append([]anthropic.MessageParam(nil), params.Messages...), forged, result)
	_, _, _, err = anthropicStream(t, c, bad)
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || !strings.Contains(apiErr.Error(), "signature") {
		t.Errorf("forged signature: error %v, want a 400 about the signature", err)
	}

	params.Messages = append(params.Messages, msg.ToParam(), result)
	msg, _, _, err = anthropicStream(t, c, params)
	if err != nil {
		t.Fatal(err)
	}
	tr = last(t, s)
	if n := len(msg.Content); n == 0 || msg.Content[n-1].Text != "The tool returned: hello from sluice sim" || msg.Content[n-1].Text != tr.Text {
		t.Errorf("turn 2: content %+v", msg.Content)
	}
}

func TestAnthropicSDKStatusErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500, 503, 529} {
		_, base := startSim(t, padded)
		_, events, _, err := anthropicStream(t, anthropicClient(base), anthropicParams("text+"+itoa(status), "Hi"))
		var apiErr *anthropic.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status || events != 0 {
			t.Errorf("status %d: error %T %v after %d events, want an *anthropic.Error with that status", status, err, err, events)
			continue
		}
		if !requestIDPattern.MatchString(apiErr.RequestID) || apiErr.Type() == "" {
			t.Errorf("status %d: request id %q, type %q", status, apiErr.RequestID, apiErr.Type())
		}
	}
}

// TestAnthropicSDKRetries529: 529 with x-should-retry and retry-after-ms: 1
// is retried at once and the retry succeeds.
func TestAnthropicSDKRetries529(t *testing.T) {
	s, base := startSim(t, padded)
	start := time.Now()
	msg, _, _, err := anthropicStream(t, anthropicClient(base, option.WithMaxRetries(2)), anthropicParams("text+529*1", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 400*time.Millisecond {
		t.Errorf("the retry took %v: retry-after-ms was not honoured", took)
	}
	if st := s.Stats(); st.Requests != 2 || st.Rejected != 1 || len(msg.Content) != 1 {
		t.Errorf("stats %+v, content %+v", st, msg.Content)
	}
}

func TestAnthropicSDKMidstreamError(t *testing.T) {
	s, base := startSim(t, padded)
	msg, _, _, err := anthropicStream(t, anthropicClient(base), anthropicParams("tokens=10+midstream_error@4:529", "Hi"))
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.Type() != "overloaded_error" {
		t.Fatalf("error %T %v, want an *anthropic.Error of type overloaded_error", err, err)
	}
	tr := last(t, s)
	if len(msg.Content) != 1 || msg.Content[0].Text != tr.Text || tr.Text != sim.Text(4) {
		t.Errorf("content before the error %+v, the simulator sent %q", msg.Content, tr.Text)
	}
}

func TestAnthropicSDKUnknownEvent(t *testing.T) {
	s, base := startSim(t, padded)
	msg, _, unknown, err := anthropicStream(t, anthropicClient(base), anthropicParams("tokens=5+unknown_event@2", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if unknown != 1 || msg.Content[0].Text != tr.Text || tr.Text != sim.Text(5) {
		t.Errorf("%d unknown events, text %q; the simulator sent %q", unknown, msg.Content[0].Text, tr.Text)
	}
}

func TestAnthropicSDKNonStreamingAndCountTokens(t *testing.T) {
	s, base := startSim(t, padded)
	c := anthropicClient(base)
	msg, err := c.Messages.New(t.Context(), anthropicParams("reasoning", "Hi"))
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if len(msg.Content) != 2 || msg.Content[0].Signature != tr.Signature || msg.Content[1].Text != tr.Text {
		t.Errorf("message %s, the simulator sent %+v", msg.RawJSON(), tr)
	}
	n, err := c.Messages.CountTokens(t.Context(), anthropic.MessageCountTokensParams{Model: "text",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hello there, simulator"))}})
	if err != nil {
		t.Fatal(err)
	}
	if n.InputTokens <= 0 {
		t.Errorf("count_tokens = %d", n.InputTokens)
	}
}
