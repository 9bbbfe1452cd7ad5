// The official npm SDKs, pointed at sluice by their base URL alone.
// Run by e2e/node_test.go with SLUICE_URL set to a `sluice serve` whose
// openai/ and anthropic/ providers are `sluice sim` (12 tokens per answer).
// Prints "ok <name>" or "FAIL <name>: <why>" per check; exits 1 on a failure.
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';

const base = process.env.SLUICE_URL;
if (!base) {
  console.error('SLUICE_URL is not set');
  process.exit(2);
}
const TOKENS = 12;

const openai = new OpenAI({ baseURL: base + '/v1', apiKey: 'any-key', maxRetries: 0 });
const anthropic = new Anthropic({ baseURL: base, apiKey: 'any-key', maxRetries: 0 });

const weather = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

const words = (s) => s.trim().split(/\s+/).filter(Boolean).length;

for (const model of ['openai/gpt-4o-mini', 'anthropic/claude-sonnet-4-5']) {
  check(`openai stream ${model}`, async () => {
    const stream = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage = null;
    let finish = null;
    for await (const chunk of stream) {
      const c = chunk.choices[0];
      if (c?.delta?.content) text += c.delta.content;
      if (c?.finish_reason) finish = c.finish_reason;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.equal(words(text), TOKENS, `text ${JSON.stringify(text)}`);
    assert.equal(finish, 'stop');
    assert.equal(usage?.completion_tokens, TOKENS, `usage ${JSON.stringify(usage)}`);
  });

  check(`anthropic stream ${model}`, async () => {
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 256,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    let deltas = 0;
    stream.on('text', () => deltas++);
    const msg = await stream.finalMessage();
    assert.equal(msg.content[0].type, 'text');
    assert.equal(words(msg.content[0].text), TOKENS);
    assert.equal(deltas, TOKENS, 'text events');
    assert.equal(msg.stop_reason, 'end_turn');
    assert.equal(msg.usage.output_tokens, TOKENS);
  });
}

check('openai not streamed', async () => {
  const res = await openai.chat.completions.create({
    model: 'anthropic/claude-sonnet-4-5',
    messages: [{ role: 'user', content: 'Hello' }],
  });
  assert.equal(words(res.choices[0].message.content), TOKENS);
  assert.equal(res.usage.completion_tokens, TOKENS);
});

check('anthropic not streamed', async () => {
  const msg = await anthropic.messages.create({
    model: 'openai/gpt-4o-mini',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello' }],
  });
  assert.equal(words(msg.content[0].text), TOKENS);
});

for (const model of ['openai/tools', 'anthropic/tools']) {
  check(`openai tool call ${model}`, async () => {
    const runner = openai.chat.completions.stream({
      model,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weather } }],
    });
    const done = await runner.finalChatCompletion();
    const calls = done.choices[0].message.tool_calls;
    assert.equal(calls?.length, 1, JSON.stringify(done.choices[0]));
    assert.equal(calls[0].function.name, 'get_weather');
    assert.ok(JSON.parse(calls[0].function.arguments).city);
    assert.equal(done.choices[0].finish_reason, 'tool_calls');
  });

  check(`anthropic tool use ${model}`, async () => {
    const msg = await anthropic.messages
      .stream({
        model,
        max_tokens: 256,
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
        tools: [{ name: 'get_weather', input_schema: weather }],
      })
      .finalMessage();
    const tool = msg.content.find((b) => b.type === 'tool_use');
    assert.ok(tool, JSON.stringify(msg.content));
    assert.equal(tool.name, 'get_weather');
    assert.ok(tool.input.city);
    assert.equal(msg.stop_reason, 'tool_use');
  });
}

check('openai unknown model', async () => {
  await assert.rejects(
    openai.chat.completions.create({ model: 'nobody/model', messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof OpenAI.NotFoundError && /openai\//.test(e.message),
  );
});

check('anthropic unknown model', async () => {
  await assert.rejects(
    anthropic.messages.create({ model: 'nobody/model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.NotFoundError,
  );
});

check('openai bad request', async () => {
  await assert.rejects(
    openai.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [] }),
    (e) => e instanceof OpenAI.BadRequestError,
  );
});

check('anthropic rate limit', async () => {
  await assert.rejects(
    anthropic.messages.create({ model: 'openai/gpt-4o+429', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    (e) => e instanceof Anthropic.RateLimitError,
  );
});

check('openai midstream error', async () => {
  const stream = await openai.chat.completions.create({
    model: 'flaky',
    messages: [{ role: 'user', content: 'Hello' }],
    stream: true,
  });
  let text = '';
  await assert.rejects(
    (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    })(),
    (e) => e instanceof OpenAI.APIError,
  );
  assert.equal(words(text), 8, 'the text before the error');
});

check('anthropic midstream error', async () => {
  const stream = anthropic.messages.stream({
    model: 'openai/text+midstream_error@5',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'Hello' }],
  });
  let text = '';
  stream.on('text', (t) => (text += t));
  await assert.rejects(stream.finalMessage(), (e) => e instanceof Anthropic.APIError);
  assert.equal(words(text), 5, 'the text before the error');
});

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
