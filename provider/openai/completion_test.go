package openai

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice"
)

func TestCompletionFromResult(t *testing.T) {
	res := result(readFile(t, "tool_calls_parallel.sse"))
	body, err := CompletionFromResult(&res, "chatcmpl-1", 1727346178)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "id": "chatcmpl-1",
  "object": "chat.completion",
  "created": 1727346178,
  "model": "gpt-4o-2024-08-06",
  "choices": [
    {
      "index": 0,
      "message": {
        "role": "assistant",
        "content": null,
        "refusal": null,
        "tool_calls": [
          {
            "id": "call_JMW1whyEaYG438VE1OIflxA2",
            "type": "function",
            "function": {
              "name": "GetWeatherArgs",
              "arguments": "{\"city\": \"Edinburgh\", \"country\": \"UK\", \"units\": \"c\"}"
            }
          },
          {
            "id": "call_DNYTawLBoN8fj3KN6qU9N1Ou",
            "type": "function",
            "function": {
              "name": "get_stock_price",
              "arguments": "{\"ticker\": \"AAPL\", \"exchange\": \"NASDAQ\"}"
            }
          }
        ]
      },
      "logprobs": null,
      "finish_reason": "tool_calls"
    }
  ],
  "usage": {
    "prompt_tokens": 149,
    "completion_tokens": 60,
    "total_tokens": 209,
    "completion_tokens_details": {
      "reasoning_tokens": 0
    }
  }
}`
	if string(body) != want {
		t.Errorf("got\n%s\nwant\n%s", body, want)
	}
}

// TestCompletionRoundTrip checks that ParseCompletion reads back what
// CompletionFromResult writes, for every recorded stream that ends well.
func TestCompletionRoundTrip(t *testing.T) {
	for _, name := range streamFiles(t) {
		res := result(readFile(t, name))
		if res.Err != nil {
			continue
		}
		body, err := CompletionFromResult(&res, "", 1)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !json.Valid(body) {
			t.Fatalf("%s: invalid JSON %s", name, body)
		}
		evs, err := ParseCompletion(body)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := sluice.NewStream(context.Background(), sluice.StreamConfig{Provider: "openai", Model: "m", Decoder: sluice.EventsDecoder(evs)})
		for range s.Events() {
		}
		back := s.Result()
		// Usage the stream did not report is written as 0 or the estimate,
		// which then reads back as reported.
		sameUsage := back.Usage == res.Usage || !res.Usage.Input.Known() || res.Usage.Output.Source != sluice.Reported
		if back.Text != res.Text || back.Reasoning != res.Reasoning || !reflect.DeepEqual(back.ToolCalls, res.ToolCalls) ||
			!sameUsage || back.Model != res.Model {
			t.Errorf("%s: read back\n%+v\nwant\n%+v", name, back, res)
		}
		if want := finishFor(&sluice.Event{Finish: res.Finish, RawFinish: res.RawFinish}, false); back.RawFinish != want {
			t.Errorf("%s: finish %q, want %q", name, back.RawFinish, want)
		}
	}
}

func TestParseCompletionErrors(t *testing.T) {
	if _, err := ParseCompletion([]byte(`{"error":{"message":"nope","type":"invalid_request_error","code":null}}`)); sluice.AsError(err).Message != "nope" {
		t.Errorf("error %v", err)
	}
	if _, err := ParseCompletion([]byte(`<html>`)); sluice.AsError(err).Kind != sluice.KindProtocol {
		t.Errorf("error %v", err)
	}
}
