// The npm clients agents are built on, pointed at sluice by their base URL
// alone, over simulated models of every upstream protocol: the openai
// package's Responses API (responses.stream() and responses.create()),
// @openai/agents running a streamed agent with one function tool, and
// @anthropic-ai/sdk with thinking and countTokens.
// Run by e2e/node_test.go with SLUICE_URL set to a `sluice serve` whose
// providers are `sluice sim`, and OPENAI_BASE_URL / OPENAI_API_KEY set for
// the Agents SDK. Prints "ok <name>" or "FAIL <name>: <why>" per check;
// exits 1 on a failure.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import { Agent, run, tool, setTracingDisabled, setOpenAIAPI } from '@openai/agents';

const base = process.env.SLUICE_URL;
if (!base) {
  console.error('SLUICE_URL is not set');
  process.exit(2);
}
setTracingDisabled(true);
setOpenAIAPI('responses');

const openai = new OpenAI({ baseURL: base + '/v1', apiKey: 'any-key', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: 'any-key', maxRetries: 0 });

// One simulated model per upstream protocol.
const targets = ['anthropic', 'openai', 'gemini', 'ollama'];
// Protocols whose usage reports reasoning tokens.
const reasoningUsage = new Set(['anthropic', 'openai', 'gemini']);

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

const shell = {
  type: 'function',
  name: 'shell',
  description: 'Runs a shell command.',
  parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  strict: false,
};

for (const up of targets) {
  check(`responses.stream() ${up}`, async () => {
    const stream = openai.responses.stream({
      model: `${up}/reasoning+cache`,
      input: 'Hello',
      reasoning: { effort: 'low', summary: 'auto' },
    });
    let text = '';
    let reasoning = '';
    const seq = [];
    stream.on('response.output_text.delta', (e) => (text += e.delta));
    stream.on('response.reasoning_summary_text.delta', (e) => (reasoning += e.delta));
    for await (const e of stream) seq.push(e.sequence_number);
    const resp = await stream.finalResponse();
    assert.equal(resp.status, 'completed');
    assert.equal(resp.output_text, text, 'output_text equals the deltas');
    seq.forEach((n, i) => assert.equal(n, i, `sequence_number ${n} at ${i}`));
    assert.ok(resp.usage.input_tokens > 0, `usage ${JSON.stringify(resp.usage)}`);
    assert.equal(typeof resp.usage.input_tokens_details.cached_tokens, 'number');
    assert.equal(typeof resp.usage.output_tokens_details.reasoning_tokens, 'number');
    if (up !== 'ollama') assert.ok(resp.usage.input_tokens_details.cached_tokens > 0, 'cached tokens');
    if (reasoningUsage.has(up)) assert.ok(resp.usage.output_tokens_details.reasoning_tokens > 0, 'reasoning tokens');
    if (up !== 'openai' && up !== 'ollama') assert.ok(reasoning.length > 0, 'a reasoning summary');
  });

  check(`responses.create() ${up}`, async () => {
    const resp = await openai.responses.create({ model: `${up}/text`, input: 'Hello', instructions: 'Be brief.' });
    assert.equal(resp.object, 'response');
    assert.equal(resp.status, 'completed');
    assert.ok(resp.output_text.length > 0, 'text');
    assert.ok(resp.id.startsWith('resp_'), resp.id);
  });

  check(`responses.create({stream: true}) tool loop ${up}`, async () => {
    const model = `${up}/reasoning+tools+signed`;
    const input = [{ role: 'user', content: 'Run echo hello' }];
    const first = await openai.responses.create({
      model, input, tools: [shell], reasoning: { effort: 'low' }, include: ['reasoning.encrypted_content'], store: false,
    });
    const call = first.output.find((i) => i.type === 'function_call');
    assert.ok(call, `no call in ${JSON.stringify(first.output)}`);
    assert.match(call.arguments, /echo hello from sluice sim/);
    // Send everything back as a stateless client does.
    input.push(...first.output, { type: 'function_call_output', call_id: call.call_id, output: 'hello from sluice sim' });
    const stream = await openai.responses.create({ model, input, tools: [shell], reasoning: { effort: 'low' }, stream: true });
    let done = null;
    for await (const e of stream) if (e.type === 'response.completed') done = e.response;
    assert.ok(done, 'response.completed');
    assert.match(done.output_text ?? done.output.map((i) => (i.content ?? []).map((c) => c.text).join('')).join(''), /The tool returned: hello from sluice sim/);
  });

  check(`@openai/agents streamed agent ${up}`, async () => {
    let ran = 0;
    const echo = tool({
      name: 'shell',
      description: 'Runs a shell command and returns what it printed.',
      parameters: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'], additionalProperties: false },
      strict: true,
      execute: async ({ command }) => {
        ran++;
        return command.replace(/^echo /, '');
      },
    });
    const agent = new Agent({ name: 'sluice', instructions: 'Use the shell.', model: `${up}/reasoning+tools`, tools: [echo] });
    const result = await run(agent, 'Run echo hello', { stream: true });
    let deltas = 0;
    for await (const e of result) if (e.type === 'raw_model_stream_event' && e.data.type === 'output_text_delta') deltas++;
    await result.completed;
    assert.equal(ran, 1, 'the tool ran once');
    assert.ok(deltas > 0, 'text deltas streamed');
    assert.match(String(result.finalOutput), /The tool returned: hello from sluice sim/);
  });

  check(`anthropic thinking and countTokens ${up}`, async () => {
    const params = {
      model: `${up}/reasoning`,
      max_tokens: 4096,
      thinking: { type: 'enabled', budget_tokens: 1024 },
      messages: [{ role: 'user', content: 'Hello' }],
    };
    const stream = anthropic.messages.stream(params);
    let thinking = '';
    stream.on('thinking', (d) => (thinking += d));
    const msg = await stream.finalMessage();
    const text = msg.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    assert.ok(text.length > 0, 'text');
    if (up !== 'openai' && up !== 'ollama') {
      const block = msg.content.find((b) => b.type === 'thinking');
      assert.ok(block && block.thinking === thinking && thinking.length > 0, `thinking ${JSON.stringify(msg.content)}`);
      assert.ok(block.signature.length > 0, 'a signature');
    }
    const { max_tokens, ...count } = params;
    const n = await anthropic.messages.countTokens(count);
    assert.ok(n.input_tokens > 0, JSON.stringify(n));
  });
}

let failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${(e && e.message) || e}`.replace(/\n/g, ' '));
  }
}
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
