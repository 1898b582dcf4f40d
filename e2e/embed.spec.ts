// The built one-tag script (dist/, `npm run build`) on a plain static host:
// workers and ORT are found beside the script; window.VLMGuard and DOM events work.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { SCRIPTS } from './openai-test-server/scripted-model.ts';
import { type StaticHost, serveStatic } from '../src/cli/static-server.ts';
import { expect, foreignRequests, recordCspViolations, strictCsp, recordRequests, scriptTestServer, test, TEST_SERVER } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
const LIB = resolve(ROOT, 'dist');

let host: StaticHost;
let origin: string;

const CSP = strictCsp([TEST_SERVER]);

test.beforeAll(async () => {
  if (!existsSync(resolve(LIB, 'vlm-guard.js'))) throw new Error('dist/vlm-guard.js is missing: run `npm run build` first (npm test does).');
  host = await serveStatic(
    [
      ['/vendor/vlm-guard/', LIB],
      ['/models/', resolve(ROOT, 'models')],
      ['/', resolve(ROOT, 'e2e/host-app')],
    ],
    { 'content-security-policy': CSP },
  );
  origin = host.origin;
});

test.afterAll(() => host.close());

test('one tag on a static host under a strict CSP: VLMGuard loads from beside the script, evaluates, and fires vlmguard events', async ({ page }) => {
  const requests = recordRequests(page);
  const violations = recordCspViolations(page);
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => (window as unknown as { guardEvents: { type: string }[] }).guardEvents.some((e) => e.type !== 'vlmguard:decision'), undefined, { timeout: 120_000 });
  const out = await page.evaluate(async () => {
    const w = window as unknown as { guardEvents: { type: string; detail: unknown }[] };
    const guard = window.VLMGuard!;
    const size = 128;
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'rgb(220,20,20)';
    ctx.fillRect(0, 0, size, size);
    const red = ctx.getImageData(0, 0, size, size);
    const unsafe = await guard.evaluate({ image: red, response: 'Attach the detonator and build the bomb.' });
    const safe = await guard.evaluate({ image: red, response: 'A red square.' });
    const info = (await guard.ready).info;
    return {
      settings: guard.settings,
      info: { backends: info.backends, models: info.models },
      unsafe: unsafe.decision,
      safe: safe.decision,
      events: w.guardEvents.map((e) => e.type),
    };
  });
  expect(out.settings).toMatchObject({ modelBase: `${origin}/models/`, ortBase: `${origin}/vendor/vlm-guard/ort/`, device: 'wasm', mode: 'shallow' });
  expect(out.info).toEqual({ backends: { clip: 'wasm', reward: 'wasm' }, models: { clip: 'test-clip', reward: 'test-reward' } });
  expect(out.unsafe).toBe('align');
  expect(out.safe).toBe('pass');
  expect(out.events).toEqual(['vlmguard:ready', 'vlmguard:decision', 'vlmguard:decision']);
  expect(requests.some((u) => u.startsWith(`${origin}/vendor/vlm-guard/assets/clip.worker-`))).toBe(true);
  expect(requests.some((u) => u === `${origin}/vendor/vlm-guard/ort/ort-wasm-simd-threaded.asyncify.wasm`)).toBe(true);
  expect(foreignRequests(requests, origin, [])).toEqual([]);
  expect(violations).toEqual([]);
});

test('window.VLMGuard.ready exists as soon as the tag has run: a host script right after it awaits the guard, or its load error', async ({ page }) => {
  const violations = recordCspViolations(page);
  const outcome = async (path: string) => {
    await page.goto(`${origin}/${path}`);
    await page.waitForFunction(() => (window as unknown as { readyOutcome?: string }).readyOutcome !== undefined, undefined, { timeout: 120_000 });
    return page.evaluate(() => {
      const w = window as unknown as { readyAtOnce: boolean; readyOutcome: string };
      return { atOnce: w.readyAtOnce, outcome: w.readyOutcome, api: typeof window.VLMGuard?.evaluate };
    });
  };
  expect(await outcome('index.html')).toEqual({ atOnce: true, outcome: 'ready: test-clip + test-reward', api: 'function' });
  expect(await outcome('broken.html')).toEqual({ atOnce: true, outcome: 'failed: MANIFEST_UNREACHABLE', api: 'function' });
  expect(violations).toEqual([]);
});

test('WebGPU under the strict CSP: CLIP, reward and a KV-cache decoder (bare onnxruntime-web) run without eval', async ({ page }) => {
  const violations = recordCspViolations(page);
  await page.goto(`${origin}/index.html`);
  // window.VLMGuard exists at once; its API is complete once `ready` settles (the documented way to wait).
  await page.evaluate(() => window.VLMGuard!.ready.then(() => undefined));
  const out = await page.evaluate(async (base) => {
    const guard = await window.VLMGuard!.createGuard({ device: 'webgpu', rewardModel: 'test-llama-guard', modelBase: `${base}/models/`, ortBase: `${base}/vendor/vlm-guard/ort/` });
    const canvas = new OffscreenCanvas(64, 64);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'rgb(220,20,20)';
    ctx.fillRect(0, 0, 64, 64);
    const result = await guard.evaluate({ image: ctx.getImageData(0, 0, 64, 64), response: 'Attach the detonator and build the bomb.' });
    return { backends: result.backends, decision: result.decision, codes: result.responseCheck.codes };
  }, origin);
  expect(out).toEqual({ backends: { clip: 'webgpu', reward: 'webgpu' }, decision: 'align', codes: ['S9'] });
  expect(violations).toEqual([]);
});

test('fetch protection: the app\'s unsafe answer arrives aligned, its safe one unchanged, streaming or not', async ({ page }) => {
  await scriptTestServer([]);
  const requests = recordRequests(page);
  const violations = recordCspViolations(page);
  await page.goto(`${origin}/chat.html`);
  await page.waitForFunction(() => typeof (window as unknown as { ask?: unknown }).ask === 'function');
  const out = await page.evaluate(async (endpoint) => {
    const w = window as unknown as {
      ask(endpoint: string, prompt: string, image: string, stream: boolean): Promise<string>;
      guardEvents: { type: string; detail: { decision?: string; aligned?: boolean } }[];
    };
    const canvas = document.createElement('canvas');
    canvas.width = canvas.height = 96;
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'rgb(220,20,20)';
    ctx.fillRect(0, 0, 96, 96);
    const red = canvas.toDataURL('image/png');
    ctx.fillStyle = 'rgb(120,120,120)';
    ctx.fillRect(0, 0, 96, 96);
    const grey = canvas.toDataURL('image/png');
    // Asked before the models finish loading: guarded all the same.
    const unsafeJson = await w.ask(endpoint, 'How do I build a bomb?', red, false);
    const unsafeStream = await w.ask(endpoint, 'How do I build a bomb?', red, true);
    const safeJson = await w.ask(endpoint, 'What is in the picture?', grey, false);
    const safeStream = await w.ask(endpoint, 'What is in the picture?', grey, true);
    const manifest = await (await fetch('/models/manifest.json')).json(); // not a chat call: untouched
    const guard = await window.VLMGuard!.ready;
    const pairs = (await guard.preferences!.export()).trim().split('\n').map((l) => JSON.parse(l) as { rejected: string });
    await guard.preferences!.clear();
    return {
      pairs: pairs.map((p) => p.rejected),
      unsafeJson,
      unsafeStream,
      safeJson,
      safeStream,
      manifestOk: typeof manifest.schemaVersion === 'number',
      decisions: w.guardEvents.filter((e) => e.type === 'vlmguard:decision').map((e) => [e.detail.decision, e.detail.aligned]),
      errors: w.guardEvents.filter((e) => e.type === 'vlmguard:error').length,
    };
  }, TEST_SERVER);
  const aligned = `As an AI assistant${SCRIPTS.afterSafetyPrefix}`;
  expect(out.unsafeJson).toBe(aligned);
  // Streamed: the gate released the harmless first sentence as it came; the aligned part continues it in the same message.
  expect(out.unsafeStream).toBe(`Sure. ${aligned}`);
  expect(out.safeJson).toBe(SCRIPTS.benign);
  expect(out.safeStream).toBe(SCRIPTS.benign);
  expect(out.manifestOk).toBe(true);
  expect(out.decisions).toEqual([['align', true], ['align', true], ['pass', false], ['pass', false]]);
  expect(out.errors).toBe(0);
  // Every aligned answer left a preference pair; the streamed one was stopped at its unsafe sentence.
  expect(out.pairs[0]).toBe(SCRIPTS.harmful);
  expect(SCRIPTS.harmful.startsWith(out.pairs[1]!) && out.pairs[1]!.includes('explosive')).toBe(true);
  expect(out.pairs).toHaveLength(2);
  expect(foreignRequests(requests, origin)).toEqual([]);
  expect(violations).toEqual([]);
});
