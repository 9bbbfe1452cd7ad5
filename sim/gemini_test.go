package sim

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A non-streaming :generateContent call gets one GenerateContentResponse
// holding the whole answer.
func TestGeminiGenerateContent(t *testing.T) {
	srv := httptest.NewServer(New(Config{Tokens: 3, Echo: true}))
	defer srv.Close()
	body := `{"contents":[{"role":"user","parts":[{"text":"one two three"}]}]}`
	resp, err := http.Post(srv.URL+"/v1beta/models/text:generateContent", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	var got struct {
		Candidates []struct {
			Content struct {
				Parts []struct{ Text string }
			}
			FinishReason string
		}
		UsageMetadata struct{ CandidatesTokenCount int }
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	var text strings.Builder
	for _, p := range got.Candidates[0].Content.Parts {
		text.WriteString(p.Text)
	}
	if text.String() != "one two three" || got.Candidates[0].FinishReason != "STOP" || got.UsageMetadata.CandidatesTokenCount != 3 {
		t.Fatalf("reply %s", b)
	}
}
