package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/sluicehq/sluice/gateway"
	"github.com/sluicehq/sluice/provider/responses"
	"github.com/sluicehq/sluice/requestlog"
	"github.com/sluicehq/sluice/sim"
)

// logEnv serves a protocolEnv's providers through servers that share one
// request log file, one server at a time, as a restarted sluice does.
type logEnv struct {
	reg  *gateway.Registry
	path string

	*protocolEnv
	store *requestlog.Store
	hs    *httptest.Server
}

func newLogEnv(t *testing.T) *logEnv {
	t.Helper()
	reg, _ := newProtocolRegistry(t, sim.Config{Tokens: 4, ReasoningTokens: 5})
	e := &logEnv{reg: reg, path: filepath.Join(t.TempDir(), "requests.db")}
	e.restart(t)
	t.Cleanup(e.stop)
	return e
}

// restart stops the running server, if any, closes its request log, and
// starts a new Server over the same file.
func (e *logEnv) restart(t *testing.T) {
	t.Helper()
	e.stop()
	store, err := requestlog.Open(e.path, requestlog.Options{OnError: func(err error) { t.Errorf("request log: %v", err) }})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Router: e.reg, Heartbeat: -1, RequestLog: store, Secrets: []string{testSecret}})
	if err != nil {
		t.Fatal(err)
	}
	e.store, e.hs = store, httptest.NewServer(srv)
	e.protocolEnv = &protocolEnv{url: e.hs.URL, srv: srv}
}

func (e *logEnv) stop() {
	if e.hs != nil {
		e.hs.Close()
		e.store.Close()
		e.hs, e.store = nil, nil
	}
}

// respond posts a streamed Responses request and checks its grammar.
func respond(t *testing.T, e *protocolEnv, body map[string]any) *responses.Checked {
	t.Helper()
	body["stream"] = true
	resp := e.post(t, "/v1/responses", body)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, b)
	}
	got, err := responses.Check(resp.Body)
	if err != nil {
		t.Fatalf("%v\ntypes: %v", err, got.Types)
	}
	if got.Status != "completed" {
		t.Fatalf("status %q: %s", got.Status, got.ErrorMessage)
	}
	return got
}

// A tool loop continued with previous_response_id and only the new items
// survives restarts: each turn is served by a new Server over the same
// request log file, and the simulator rejects a turn whose reasoning
// signature did not come back, so the opaque data was stored intact.
func TestPreviousResponseAcrossRestart(t *testing.T) {
	for _, up := range upstreams {
		t.Run(up, func(t *testing.T) {
			e := newLogEnv(t)
			model := up + "/reasoning+tools+signed"
			base := func() map[string]any {
				return map[string]any{"model": model, "tools": []any{shellTool}, "reasoning": map[string]any{"effort": "low"},
					"include": []string{"reasoning.encrypted_content"}}
			}
			req := base()
			req["instructions"], req["input"] = "be brief", "run the shell"
			got := respond(t, e.protocolEnv, req)
			if len(got.Calls) != 1 {
				t.Fatalf("turn 1: %+v", got)
			}
			callID, _ := got.Calls[0]["call_id"].(string)

			e.restart(t)
			req = base()
			req["previous_response_id"] = got.ID
			req["input"] = []any{map[string]any{"type": "function_call_output", "call_id": callID, "output": "hello from sluice sim"}}
			got = respond(t, e.protocolEnv, req)
			if !strings.Contains(got.Text, "The tool returned: hello from sluice sim") {
				t.Fatalf("turn 2 after a restart: %q", got.Text)
			}

			// Back to back on the same server, then across another restart:
			// the chain is read from more than one stored turn.
			req = base()
			req["previous_response_id"], req["input"] = got.ID, "and again?"
			got = respond(t, e.protocolEnv, req)
			e.restart(t)
			req = base()
			req["previous_response_id"], req["input"] = got.ID, "once more?"
			got = respond(t, e.protocolEnv, req)
			if got.Text == "" {
				t.Fatalf("turn 4 said nothing")
			}
			conv, ok, err := e.store.Conversation(t.Context(), got.ID)
			if err != nil || !ok {
				t.Fatalf("turn 4 not stored: %v %v", ok, err)
			}
			// user, call, tool output, answer, user, answer, user, answer
			if len(conv.Messages) != 8 || conv.System != "be brief" {
				t.Errorf("stored conversation: system %q, %d messages %+v", conv.System, len(conv.Messages), conv.Messages)
			}
		})
	}
}

// A response no longer cached is read from the request log, even when its
// write is still queued.
func TestPreviousResponseFromLogAfterEviction(t *testing.T) {
	e := newLogEnv(t)
	e.srv.conversations.max = 1
	first := respond(t, e.protocolEnv, map[string]any{"model": "chat/echo", "input": "remember the word kiwi"})
	respond(t, e.protocolEnv, map[string]any{"model": "chat/text", "input": "something else"})
	got := respond(t, e.protocolEnv, map[string]any{"model": "chat/echo", "previous_response_id": first.ID, "input": "which word?"})
	if !strings.Contains(got.Text, "which word?") {
		t.Fatalf("text %q", got.Text)
	}
	conv, ok, err := e.store.Conversation(t.Context(), got.ID)
	if err != nil || !ok || len(conv.Messages) != 4 || conv.Messages[0].Text() != "remember the word kiwi" {
		t.Fatalf("stored: %v %v %+v", ok, err, conv)
	}
}

// An unknown previous_response_id is a 404 in the Responses error format,
// over HTTP and over the WebSocket.
func TestPreviousResponseNotFound(t *testing.T) {
	e := newLogEnv(t)
	resp := e.post(t, "/v1/responses", map[string]any{"model": "chat/text", "previous_response_id": "resp_unknown", "input": "hi", "stream": true})
	var body struct {
		Error struct{ Message, Type, Code string }
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusNotFound || body.Error.Code != "previous_response_not_found" ||
		body.Error.Type == "" || !strings.Contains(body.Error.Message, "resp_unknown") {
		t.Fatalf("status %d, error %+v", resp.StatusCode, body.Error)
	}

	conn, _, err := websocket.Dial(t.Context(), "ws"+strings.TrimPrefix(e.url, "http")+"/v1/responses", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	_, ef := wsResponse(t, conn, map[string]any{"model": "chat/text", "previous_response_id": "resp_unknown", "input": "hi"})
	inner, _ := ef["error"].(map[string]any)
	if ef == nil || ef["status"] != float64(404) || inner["code"] != "previous_response_not_found" {
		t.Fatalf("error frame %v", ef)
	}
}

// store: false keeps a response out of the request log and the cache: over
// HTTP it cannot be continued, and on a WebSocket only by the connection
// that made it (Codex sends store: false and chains on its connection).
func TestStoreFalseNotPersisted(t *testing.T) {
	e := newLogEnv(t)
	got := respond(t, e.protocolEnv, map[string]any{"model": "chat/text", "input": "private", "store": false})
	if err := e.store.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := e.store.Conversation(t.Context(), got.ID); ok || err != nil {
		t.Fatalf("a store: false conversation was stored (%v)", err)
	}
	resp := e.post(t, "/v1/responses", map[string]any{"model": "chat/text", "previous_response_id": got.ID, "input": "more"})
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("continuing a store: false response over HTTP: status %d", resp.StatusCode)
	}

	url := "ws" + strings.TrimPrefix(e.url, "http") + "/v1/responses"
	conn, _, err := websocket.Dial(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	sse, ef := wsResponse(t, conn, map[string]any{"model": "chat/echo", "input": "first", "store": false})
	first, err := responses.Check(strings.NewReader(sse))
	if ef != nil || err != nil {
		t.Fatalf("turn 1: %v %v", ef, err)
	}
	sse, ef = wsResponse(t, conn, map[string]any{"model": "chat/echo", "input": "second", "store": false, "previous_response_id": first.ID})
	if second, err := responses.Check(strings.NewReader(sse)); ef != nil || err != nil || second.Status != "completed" {
		t.Fatalf("turn 2 on the same connection: %v %v", ef, err)
	}
	other, _, err := websocket.Dial(t.Context(), url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer other.CloseNow()
	_, ef = wsResponse(t, other, map[string]any{"model": "chat/echo", "input": "x", "previous_response_id": first.ID})
	if ef == nil || ef["status"] != float64(404) {
		t.Fatalf("another connection continued a store: false response: %v", ef)
	}
	if err := e.store.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := e.store.Conversation(t.Context(), first.ID); ok {
		t.Fatal("a store: false WebSocket conversation was stored")
	}
}

// The server's secrets are redacted from a stored conversation.
func TestStoredConversationRedactsSecrets(t *testing.T) {
	e := newLogEnv(t)
	got := respond(t, e.protocolEnv, map[string]any{"model": "chat/echo", "instructions": "key " + testSecret, "input": "my key is " + testSecret})
	if err := e.store.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	conv, ok, err := e.store.Conversation(t.Context(), got.ID)
	if err != nil || !ok {
		t.Fatalf("not stored: %v %v", ok, err)
	}
	b, _ := json.Marshal(conv)
	if strings.Contains(string(b), testSecret) || !strings.Contains(string(b), "[redacted]") {
		t.Fatalf("stored: %s", b)
	}
}
