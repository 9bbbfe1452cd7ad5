// Drives sluice's page in Debian's headless Chromium with playwright-core:
// stream and watch the text and metrics fill in, Stop mid-stream, an error
// that keeps the partial text, compare mode, history, text-only rendering,
// dark mode and phone width. Run by e2e/browser_test.go with SLUICE_URL,
// ARTIFACTS (a directory for screenshots) and, optionally, DOCS_SCREENSHOT.
// Prints "ok <name>" or "FAIL <name>: <why>" per check; exits 1 on a failure.
import assert from 'node:assert/strict';
import path from 'node:path';
import { chromium } from 'playwright-core';

const base = process.env.SLUICE_URL;
const artifacts = process.env.ARTIFACTS;
const TOKENS = Number(process.env.SIM_TOKENS || 40);
if (!base || !artifacts) {
  console.error('SLUICE_URL and ARTIFACTS must be set');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});

const pageErrors = [];
function watch(page) {
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') pageErrors.push(m.text());
  });
}

const words = (s) => s.trim().split(/\s+/).filter(Boolean).length;
const panel = (page, i = 0) => page.locator('.panel').nth(i);
const textOf = async (page, sel) => (await page.locator(sel).textContent()) ?? '';

async function waitState(p, state, timeout = 20000) {
  await p.locator(`xpath=self::*[@data-state="${state}"]`).waitFor({ timeout });
}

async function pick(page, index, model) {
  const select = page.locator('#pickers select').nth(index);
  await select.selectOption(model);
}

async function submit(page, prompt) {
  await page.fill('#prompt', prompt);
  await page.press('#prompt', 'Enter');
}

const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
const page = await context.newPage();
watch(page);
await page.goto(base);
await page.locator('#pickers select option').first().waitFor({ state: 'attached' });

const checks = [];
const check = (name, fn) => checks.push({ name, fn });

check('the model picker is filled from /v1/models', async () => {
  const options = await page.locator('#pickers select option').allTextContents();
  assert.ok(options.length >= 5, JSON.stringify(options));
  assert.ok(options.some((o) => o.startsWith('openai/gpt-4o-mini') && o.includes('default')), JSON.stringify(options));
  assert.ok(options.some((o) => o.startsWith('sim/') && o.includes('(simulated)')), 'the simulator is labelled');
});

check('stream: text, cursor and live metrics', async () => {
  await pick(page, 0, 'openai/gpt-4o-mini');
  await submit(page, 'Tell me how streams work');
  const p = panel(page);
  await waitState(p, 'streaming');
  assert.notEqual(await p.locator('.cursor').evaluate((el) => getComputedStyle(el).display), 'none', 'a cursor blinks while streaming');
  assert.equal(await page.locator('#stop').isEnabled(), true, 'Stop is enabled while streaming');
  await waitState(p, 'done');
  const text = await textOf(page, '.panel .text');
  assert.equal(words(text), TOKENS, `text ${JSON.stringify(text)}`);
  assert.match(await textOf(page, '.panel .m-ttft'), /\d+(\.\d+)? m?s/);
  assert.match(await textOf(page, '.panel .m-tps'), /^\d+(\.\d+)?$/);
  assert.equal(await textOf(page, '.panel .m-tokens'), String(TOKENS));
  assert.equal(await textOf(page, '.panel .m-finish'), 'stop');
  assert.equal(await p.locator('.cursor').evaluate((el) => getComputedStyle(el).display), 'none', 'no cursor once done');
  assert.equal(await page.locator('#stream').isEnabled(), true);
});

check('Stop aborts mid-stream and keeps the text', async () => {
  await pick(page, 0, 'slow');
  await submit(page, 'A very long answer please');
  const p = panel(page);
  await waitState(p, 'streaming');
  await page.waitForFunction(() => (document.querySelector('.panel .text')?.textContent ?? '').split(' ').length > 5);
  await page.click('#stop');
  await waitState(p, 'stopped');
  const text = await textOf(page, '.panel .text');
  assert.ok(words(text) > 5, 'the partial text stays');
  const after = text.length;
  await page.waitForTimeout(200);
  assert.equal((await textOf(page, '.panel .text')).length, after, 'no text arrives after Stop');
  assert.equal(await textOf(page, '.panel .m-finish'), 'canceled');
  assert.equal(await page.locator('#stop').isEnabled(), false);
});

check('an upstream error shows a message and keeps the partial text', async () => {
  await pick(page, 0, 'flaky');
  await submit(page, 'Hello');
  const p = panel(page);
  await waitState(p, 'error');
  assert.equal(await p.locator('.error').isVisible(), true);
  assert.match(await textOf(page, '.panel .error'), /partial/);
  assert.equal(words(await textOf(page, '.panel .text')), 8);
  assert.equal(await textOf(page, '.panel .m-finish'), 'error');
});

check('model output is text, never HTML', async () => {
  await pick(page, 0, 'sim/echo');
  const evil = '<img src=x onerror="window.__pwned=1"> <b>bold</b>';
  await submit(page, evil);
  const p = panel(page);
  await waitState(p, 'done');
  assert.equal(await p.locator('.output img, .output b').count(), 0);
  assert.ok((await textOf(page, '.panel .text')).includes('<img'), 'the markup shows as text');
  assert.equal(await page.evaluate(() => window.__pwned), undefined);
});

check('compare mode streams to several models side by side', async () => {
  await page.locator('.switch').click();
  await page.locator('#pickers select').nth(1).waitFor();
  assert.equal(await page.locator('#pickers select').count(), 2);
  await page.click('#add-model');
  assert.equal(await page.locator('#pickers select').count(), 3);
  await pick(page, 0, 'openai/gpt-4o-mini');
  await pick(page, 1, 'fast');
  await pick(page, 2, 'sim/text');
  await submit(page, 'Explain time to first token in one paragraph');
  assert.equal(await page.locator('.panel').count(), 3);
  for (let i = 0; i < 3; i++) await waitState(panel(page, i), 'done');
  for (let i = 0; i < 3; i++) {
    const p = panel(page, i);
    assert.ok(words((await p.locator('.text').textContent()) ?? '') > 5, `panel ${i} has text`);
    assert.match((await p.locator('.m-ttft').textContent()) ?? '', /\d/, `panel ${i} TTFT`);
    assert.match((await p.locator('.m-tps').textContent()) ?? '', /\d/, `panel ${i} tok/s`);
    assert.match((await p.locator('.m-tokens').textContent()) ?? '', /^\d+/, `panel ${i} tokens`);
  }
  assert.equal(await panel(page, 2).locator('.badge.sim').isVisible(), true, 'the simulator is labelled');
  const boxes = await Promise.all([0, 1, 2].map((i) => panel(page, i).boundingBox()));
  assert.ok(boxes[0].y === boxes[1].y && boxes[1].y === boxes[2].y && boxes[0].x < boxes[1].x, 'side by side');
});

check('history lists the responses', async () => {
  await page.waitForFunction(() => document.querySelectorAll('#history-list li').length >= 6, null, { timeout: 10000 });
  const first = await page.locator('#history-list li').first().textContent();
  assert.match(first ?? '', /Explain time to first token/);
  const shot = path.join(artifacts, 'page.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot ${shot}`);
  if (process.env.DOCS_SCREENSHOT) {
    await page.screenshot({ path: process.env.DOCS_SCREENSHOT });
    console.log(`screenshot ${process.env.DOCS_SCREENSHOT}`);
  }
  await page.locator('#history-list li button').nth(3).click();
  assert.match(await textOf(page, '.panel .status'), /from history/);
  assert.equal(await page.locator('.panel').count(), 1);
});

check('dark mode', async () => {
  await page.emulateMedia({ colorScheme: 'dark' });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `dark background, got ${bg}`);
  const shot = path.join(artifacts, 'page-dark.png');
  await page.screenshot({ path: shot });
  console.log(`screenshot ${shot}`);
});

check('phone width', async () => {
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const p = await phone.newPage();
  watch(p);
  await p.goto(base);
  await p.locator('#pickers select option').first().waitFor({ state: 'attached' });
  await p.fill('#prompt', 'Hello from a phone');
  await p.click('#stream');
  await waitState(panel(p), 'done');
  const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
  const box = await panel(p).boundingBox();
  assert.ok(box.width <= 390, 'the panel fits');
  const shot = path.join(artifacts, 'page-phone.png');
  await p.screenshot({ path: shot, fullPage: true });
  console.log(`screenshot ${shot}`);
  await phone.close();
});

let failed = 0;
for (const { name, fn } of checks) {
  try {
    await fn();
    console.log(`ok ${name}`);
  } catch (e) {
    failed++;
    console.log(`FAIL ${name}: ${(e && e.message) || e}`.replace(/\n/g, ' '));
    try {
      await page.screenshot({ path: path.join(artifacts, `failed-${checks.indexOf(checks.find((c) => c.name === name))}.png`) });
    } catch (_) { /* best effort */ }
  }
}
if (pageErrors.length) {
  failed++;
  console.log(`FAIL the page logged errors: ${pageErrors.join(' | ')}`);
}
await browser.close();
console.log(`${checks.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
