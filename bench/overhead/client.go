package overhead

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/sse"
)

// streamResult is what one client stream saw.
type streamResult struct {
	// ttft is the time from sending the request to the first content
	// chunk; gaps are the times between consecutive content chunks.
	ttft   time.Duration
	gaps   []time.Duration
	chunks int
	err    error
}

// requestBody is the Chat Completions request every stream sends. The
// model's "+tokens=N" term sets the simulator's answer length whether the
// request reaches it directly (model "up/bench+tokens=N") or through sluice,
// which routes "up/…" to the upstream and sends it "bench+tokens=N".
func requestBody(tokens int) []byte {
	return fmt.Appendf(nil, `{"model":"up/bench+tokens=%d","stream":true,"messages":[{"role":"user","content":"hi"}]}`, tokens)
}

// contentMarker starts a chat completion chunk's non-empty content.
func contentMarker() []byte { return []byte(`"content":"`) }

// isContent reports whether an SSE data payload is a chat completion chunk
// carrying content: a "content" string that is not empty. It looks at the
// bytes instead of decoding JSON, so the client spends as little of the
// shared CPU as it can and every target is read the same way.
func isContent(data []byte, marker []byte) bool {
	i := bytes.Index(data, marker)
	return i >= 0 && i+len(marker) < len(data) && data[i+len(marker)] != '"'
}

// readStream sends one streaming request to base and times its content
// chunks as they are decoded, on the monotonic clock. onFirst is called at
// the first content chunk.
func readStream(ctx context.Context, client *http.Client, base string, body []byte, onFirst func()) streamResult {
	var r streamResult
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/chat/completions", bytes.NewReader(body))
	if err != nil {
		r.err = err
		return r
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	marker := contentMarker()
	sent := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		r.err = err
		return r
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		r.err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
		return r
	}
	d := sse.NewDecoder(resp.Body)
	var last time.Duration
	for d.Next() {
		if !isContent(d.Event().Data, marker) {
			continue
		}
		at := time.Since(sent)
		if r.chunks == 0 {
			r.ttft = at
			if onFirst != nil {
				onFirst()
			}
		} else {
			r.gaps = append(r.gaps, at-last)
		}
		last = at
		r.chunks++
	}
	r.err = d.Err()
	return r
}
