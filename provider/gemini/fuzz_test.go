package gemini

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecoder checks that no input panics the decoder and that an input cut
// in two at any point decodes to the same events and error as uncut. What it
// decodes cleanly must also survive the encoder, and the encoder's output
// must decode cleanly again.
func FuzzDecoder(f *testing.F) {
	names, _ := filepath.Glob(filepath.Join("testdata", "*.sse"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, uint16(len(b)/2))
	}
	f.Add([]byte("data: [{\"error\":{\"code\":429,\"status\":\"RESOURCE_EXHAUSTED\"}}]\n\n"), uint16(7))
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"\",\"thought\":true,\"thoughtSignature\":\"s\"}]},\"finishReason\":\"STOP\"}]}\n\n"), uint16(30))
	f.Fuzz(func(t *testing.T, in []byte, cut uint16) {
		want, wantErr := decodeAll(bytes.NewReader(in))
		i := int(cut) % (len(in) + 1)
		got, err := decodeAll(io.MultiReader(bytes.NewReader(in[:i]), bytes.NewReader(in[i:])))
		if errString(err) != errString(wantErr) || !equalEvents(got, want) {
			t.Fatalf("cut at %d: %v / %v\n got: %s\nwant: %s", i, err, wantErr, dump(got), dump(want))
		}
		if wantErr != nil {
			return
		}
		var out bytes.Buffer
		enc := NewEncoder(&out, EncoderOptions{})
		for k := range want {
			if err := enc.Encode(&want[k]); err != nil {
				t.Fatal(err)
			}
		}
		if err := enc.End(); err != nil {
			t.Fatal(err)
		}
		if _, err := decodeAll(&out); err != nil {
			t.Fatalf("re-decoding the encoder's output: %v\n%s", err, out.Bytes())
		}
	})
}

// FuzzParseRequest checks that no body panics ParseRequest, and that what it
// accepts BuildRequest can send and ParseRequest read again.
func FuzzParseRequest(f *testing.F) {
	f.Add([]byte(`{"contents":[{"role":"user","parts":[{"text":"hi"},{"inlineData":{"mimeType":"image/png","data":"iVBORw=="}}]}],"generationConfig":{"temperature":0.1,"thinkingConfig":{"thinkingBudget":100}}}`))
	f.Add([]byte(`{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"s"}]},{"role":"user","parts":[{"functionResponse":{"name":"f","response":{"output":"x"}}}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}}`))
	f.Add([]byte(`{"contents":[{"parts":[{"text":"x"}]}],"systemInstruction":{"parts":[{"text":"s"}]},"tools":[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}],"safetySettings":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, _, err := ParseRequest(body)
		if err != nil {
			return
		}
		req.Model = "gemini-2.5-flash"
		out, err := BuildRequest(req, true)
		if err != nil {
			t.Fatalf("BuildRequest of a parsed request: %v", err)
		}
		if _, _, err := ParseRequest(out); err != nil {
			t.Fatalf("ParseRequest of BuildRequest's output: %v\n%s", err, out)
		}
	})
}
