package sim_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/shared"

	"github.com/sluicehq/sluice/sim"
)

// These tests let the official openai-go SDK consume the simulator, so its
// OpenAI wire format is checked by code nobody here wrote: the SDK must get
// exactly the text, reasoning, tool calls and usage the simulator sent, and
// raise its own errors on the simulator's faults.

// startSim serves a simulator on 127.0.0.1 for one test.
func startSim(t *testing.T, cfg sim.Config) (*sim.Server, string) {
	t.Helper()
	s := sim.New(cfg)
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	return s, hs.URL
}

// last returns the simulator's transcript of its latest response, once its
// handler has recorded it.
func last(t *testing.T, s *sim.Server) sim.Transcript {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, func(st sim.Stats) bool {
		return st.Active == 0 && st.Completed+st.Disconnected+st.Rejected >= st.Requests
	}); err != nil {
		t.Fatalf("the simulator did not finish: %v", err)
	}
	tr, ok := s.Last()
	if !ok {
		t.Fatal("no transcript")
	}
	return tr
}

func openaiClient(base string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(base + "/v1/"), option.WithAPIKey("sim-key"), option.WithMaxRetries(0),
	}, opts...)...)
}

// openaiStream streams params through the SDK, accumulating the chunks, and
// collects reasoning_content, which the SDK keeps as an extra field.
func openaiStream(t *testing.T, c openai.Client, params openai.ChatCompletionNewParams) (acc openai.ChatCompletionAccumulator, reasoning string, chunks int, err error) {
	t.Helper()
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(t.Context(), params)
	defer stream.Close()
	for stream.Next() {
		chunk := stream.Current()
		chunks++
		if !acc.AddChunk(chunk) {
			t.Fatalf("the accumulator refused chunk %d: %s", chunks, chunk.RawJSON())
		}
		if len(chunk.Choices) > 0 {
			if f, ok := chunk.Choices[0].Delta.JSON.ExtraFields["reasoning_content"]; ok {
				var s string
				if err := json.Unmarshal([]byte(f.Raw()), &s); err != nil {
					t.Fatalf("reasoning_content %s: %v", f.Raw(), err)
				}
				reasoning += s
			}
		}
	}
	return acc, reasoning, chunks, stream.Err()
}

func userPrompt(text string) []openai.ChatCompletionMessageParamUnion {
	return []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}
}

func TestOpenAISDKText(t *testing.T) {
	s, base := startSim(t, sim.Config{Tokens: 12})
	acc, _, _, err := openaiStream(t, openaiClient(base), openai.ChatCompletionNewParams{Model: "text", Messages: userPrompt("Hello")})
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if len(acc.Choices) != 1 {
		t.Fatalf("choices %+v", acc.Choices)
	}
	ch := acc.Choices[0]
	if ch.Message.Content != tr.Text || tr.Text != sim.Text(12) {
		t.Errorf("content %q, the simulator sent %q", ch.Message.Content, tr.Text)
	}
	if ch.FinishReason != "stop" || acc.Model != "text" || !strings.HasPrefix(acc.ID, "chatcmpl-") {
		t.Errorf("finish %q, model %q, id %q", ch.FinishReason, acc.Model, acc.ID)
	}
	checkOpenAIUsage(t, acc.Usage, tr)
}

func checkOpenAIUsage(t *testing.T, u openai.CompletionUsage, tr sim.Transcript) {
	t.Helper()
	want := tr.Usage
	if u.PromptTokens != want.InputTotal() || u.CompletionTokens != want.Output.N || u.TotalTokens != want.Total() {
		t.Errorf("usage %s, the simulator sent %+v", u.RawJSON(), want)
	}
	if u.PromptTokensDetails.CachedTokens != want.CacheRead.N {
		t.Errorf("cached_tokens %d, the simulator sent %d", u.PromptTokensDetails.CachedTokens, want.CacheRead.N)
	}
	if u.CompletionTokensDetails.ReasoningTokens != want.Reasoning.N {
		t.Errorf("reasoning_tokens %d, the simulator sent %d", u.CompletionTokensDetails.ReasoningTokens, want.Reasoning.N)
	}
}

func TestOpenAISDKReasoningAndCache(t *testing.T) {
	s, base := startSim(t, sim.Config{Tokens: 5, ReasoningTokens: 7})
	acc, reasoning, _, err := openaiStream(t, openaiClient(base), openai.ChatCompletionNewParams{Model: "reasoning+cache", Messages: userPrompt("Think")})
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if reasoning != tr.Reasoning || tr.Reasoning != sim.ReasoningText(7) {
		t.Errorf("reasoning_content %q, the simulator sent %q", reasoning, tr.Reasoning)
	}
	if acc.Choices[0].Message.Content != tr.Text {
		t.Errorf("content %q, the simulator sent %q", acc.Choices[0].Message.Content, tr.Text)
	}
	if tr.Usage.CacheRead.N == 0 || tr.Usage.Reasoning.N != 7 {
		t.Fatalf("the simulator sent usage %+v, want cache reads and 7 reasoning tokens", tr.Usage)
	}
	checkOpenAIUsage(t, acc.Usage, tr)
}

func TestOpenAISDKToolCalls(t *testing.T) {
	s, base := startSim(t, sim.Config{})
	c := openaiClient(base)
	params := openai.ChatCompletionNewParams{Model: "tools", Messages: userPrompt("Weather in Paris?"),
		Tools: []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: "get_weather",
			Parameters: shared.FunctionParameters{"type": "object", "required": []string{"city"},
				"properties": map[string]any{"city": map[string]any{"type": "string"}}},
		})}}
	acc, _, _, err := openaiStream(t, c, params)
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	msg := acc.Choices[0].Message
	if len(msg.ToolCalls) != 1 || len(tr.ToolCalls) != 1 {
		t.Fatalf("tool calls %+v, the simulator sent %+v", msg.ToolCalls, tr.ToolCalls)
	}
	got, want := msg.ToolCalls[0], tr.ToolCalls[0]
	if got.ID != want.ID || got.Function.Name != want.Name || got.Function.Arguments != want.Arguments || want.Arguments != `{"city":"sluice"}` {
		t.Errorf("tool call %+v, the simulator sent %+v", got, want)
	}
	if acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("finish %q", acc.Choices[0].FinishReason)
	}

	// Turn 2: the tool result goes back and the answer quotes it.
	params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage("11 degrees", got.ID))
	acc, _, _, err = openaiStream(t, c, params)
	if err != nil {
		t.Fatal(err)
	}
	if text := acc.Choices[0].Message.Content; text != "The tool returned: 11 degrees" || text != last(t, s).Text {
		t.Errorf("turn 2 answer %q", text)
	}
}

func TestOpenAISDKStatusErrors(t *testing.T) {
	for _, status := range []int{401, 429, 500, 503, 529} {
		_, base := startSim(t, sim.Config{})
		_, _, chunks, err := openaiStream(t, openaiClient(base), openai.ChatCompletionNewParams{Model: "text+status=" + itoa(status), Messages: userPrompt("Hi")})
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != status || chunks != 0 {
			t.Errorf("status %d: error %T %v after %d chunks, want an *openai.Error with that status", status, err, err, chunks)
			continue
		}
		if apiErr.Message == "" || apiErr.Type == "" {
			t.Errorf("status %d: the error body was not read: %s", status, apiErr.RawJSON())
		}
		if id := apiErr.Response.Header.Get("X-Request-Id"); !requestIDPattern.MatchString(id) {
			t.Errorf("status %d: x-request-id %q, want req_ and 24 letters or digits, as OpenAI sends", status, id)
		}
	}
}

// requestIDPattern is the request id header both APIs send: "req_" and an
// opaque alphanumeric id.
var requestIDPattern = regexp.MustCompile(`^req_[0-9A-Za-z]{24}$`)

// TestOpenAISDKRetryAfterMs: the SDK honours retry-after-ms: 1 and succeeds on
// its first retry at once, instead of backing off for half a second.
func TestOpenAISDKRetryAfterMs(t *testing.T) {
	s, base := startSim(t, sim.Config{})
	start := time.Now()
	acc, _, _, err := openaiStream(t, openaiClient(base, option.WithMaxRetries(2)), openai.ChatCompletionNewParams{Model: "text+status=429*1", Messages: userPrompt("Hi")})
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 400*time.Millisecond {
		t.Errorf("the retry took %v: retry-after-ms was not honoured", took)
	}
	if st := s.Stats(); st.Requests != 2 || st.Rejected != 1 {
		t.Errorf("stats %+v, want one rejected request and one retry", st)
	}
	if acc.Choices[0].Message.Content == "" {
		t.Error("no content after the retry")
	}
}

func TestOpenAISDKMidstreamError(t *testing.T) {
	s, base := startSim(t, sim.Config{})
	acc, _, chunks, err := openaiStream(t, openaiClient(base), openai.ChatCompletionNewParams{Model: "tokens=10+midstream_error@4", Messages: userPrompt("Hi")})
	var se *ssestream.StreamError
	if err == nil || !strings.Contains(err.Error(), "injected mid-stream error") {
		t.Fatalf("error %v, want the stream's error", err)
	}
	if errors.As(err, &se) && se.Message == "" {
		t.Error("empty stream error")
	}
	tr := last(t, s)
	if chunks != 5 || acc.Choices[0].Message.Content != tr.Text || tr.Text != sim.Text(4) {
		t.Errorf("%d chunks, text %q before the error; the simulator sent %q", chunks, acc.Choices[0].Message.Content, tr.Text)
	}
}

func TestOpenAISDKNonStreaming(t *testing.T) {
	s, base := startSim(t, sim.Config{Tokens: 6})
	c := openaiClient(base)
	res, err := c.Chat.Completions.New(t.Context(), openai.ChatCompletionNewParams{Model: "reasoning", Messages: userPrompt("Hi")})
	if err != nil {
		t.Fatal(err)
	}
	tr := last(t, s)
	if res.Choices[0].Message.Content != tr.Text || res.Usage.CompletionTokens != tr.Usage.Output.N {
		t.Errorf("completion %s, the simulator sent %+v", res.RawJSON(), tr)
	}
}

func TestOpenAISDKModels(t *testing.T) {
	_, base := startSim(t, sim.Config{})
	c := openaiClient(base)
	page, err := c.Models.List(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) == 0 || page.Data[0].ID != "text" {
		t.Errorf("models %+v", page.Data)
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
