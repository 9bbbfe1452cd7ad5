// Package e2e holds sluice's end-to-end tests. They build the sluice binary
// once, start `sluice sim` and `sluice serve` as real processes on
// 127.0.0.1 with free ports, and drive the server the way users do:
//
//   - the official Go SDKs, openai-go and anthropic-sdk-go (sdk_test.go);
//   - the official npm packages openai and @anthropic-ai/sdk under node
//     (node/sdk.mjs, run by node_test.go);
//   - the page in Debian's headless Chromium through playwright-core
//     (node/browser.mjs, run by browser_test.go), which keeps screenshots in
//     artifacts/.
//   - the real agent clients, Codex (`codex exec`, over HTTP and its
//     WebSocket mode) and Claude Code (`claude -p`), installed from npm,
//     each completing a task that needs one shell call (agents_test.go);
//   - openai-go's Responses streaming, anthropic-sdk-go with thinking and
//     CountTokens, and the npm openai Responses API, @openai/agents and
//     @anthropic-ai/sdk over targets of every protocol (responses_test.go,
//     node/agents.mjs).
//
// The node tests skip, saying what to install, when node, the packages
// (npm ci --prefix e2e) or Chromium (apt-get install -y chromium) are
// missing. No test needs the internet or an API key: the keys the server
// gets are fakes, and a test checks that none of them appears in anything
// the server writes.
package e2e
