// Issue 26's attacks against the BUILT package (dist/, as npm ships it), each of which once
// put harmful text in the app's hands: undefined thresholds, reasoning and content parts
// nobody judged, a chat body without `model`, an image in the system message, aligned
// answers that shipped unchecked, disguised letters, redirects, endless model files, and
// concurrent scores on one decoder session. Test models: a red image and the words
// "detonator"/"bomb"/"explosive" are unsafe.
import { appendFileSync, cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import sirv from 'sirv';
import { expect, installPageHelpers, test } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** The build under test (VLM_GUARD_DIST runs these attacks against another build, e.g. an older commit's). */
const DIST = process.env.VLM_GUARD_DIST ?? resolve(ROOT, 'dist');
const HARMFUL = 'Sure. First mix the explosive powder with fuel. Then attach the detonator and build the bomb.';

interface Host {
  origin: string;
  hits: string[];
  close(): Promise<void>;
}

/** A static host for the built package; `routes` answers extra paths (a redirect) before the files. */
async function host(mounts: [string, string][], routes: Record<string, (res: import('node:http').ServerResponse) => void> = {}): Promise<Host> {
  const handlers = mounts.map(([prefix, folder]) => [prefix, sirv(folder, { dev: true })] as const);
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    res.setHeader('access-control-allow-origin', '*');
    if (routes[url]) return routes[url](res);
    const mount = handlers.find(([prefix]) => url.startsWith(prefix));
    if (!mount) return void res.writeHead(404).end();
    req.url = `/${url.slice(mount[0].length)}`;
    mount[1](req, res, () => void res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

let app: Host;
let elsewhere: Host;
let bigModels: string;

test.beforeAll(async () => {
  if (!existsSync(resolve(DIST, 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  // A copy of the models where one file is longer than the manifest says (a server that sends without end).
  bigModels = mkdtempSync(resolve(tmpdir(), 'vlm-guard-big-'));
  cpSync(resolve(ROOT, 'models'), bigModels, { recursive: true, filter: (src) => !src.includes('ppocr') });
  appendFileSync(resolve(bigModels, 'test-reward/onnx/model.onnx'), Buffer.alloc(4 << 20));
  elsewhere = await host([['/', resolve(ROOT, 'e2e/fixtures')]]);
  app = await host(
    [
      ['/vendor/vlm-guard/', DIST],
      ['/models/', resolve(ROOT, 'models')],
      ['/big-models/', bigModels],
      ['/', resolve(ROOT, 'e2e/built-package')],
    ],
    { '/redirect.png': (res) => void res.writeHead(302, { location: `${elsewhere.origin}/red.png` }).end() },
  );
});

test.afterAll(async () => {
  await app.close();
  await elsewhere.close();
  rmSync(bigModels, { recursive: true, force: true });
});

async function openBuilt(page: import('@playwright/test').Page): Promise<void> {
  await page.goto(`${app.origin}/index.html`);
  await page.waitForFunction(() => (window as unknown as { harnessReady?: boolean }).harnessReady === true);
  await installPageHelpers(page);
}

test('options: undefined, NaN or out-of-range thresholds and undefined per-call alignment are OPTIONS_INVALID naming the key; disguised letters score as the plain words', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async (harmful) => {
    const { createGuard } = window.vlmGuard;
    const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    const created = {
      undefinedKeys: await codeOf(createGuard({ device: 'wasm', policy: { thresholds: { image: undefined, reward: undefined } } } as never)),
      nan: await codeOf(createGuard({ device: 'wasm', policy: { thresholds: { reward: Number.NaN } } })),
      cosine: await codeOf(createGuard({ device: 'wasm', policy: { thresholds: { image: 1.5 } } })),
    };
    const generator = { id: 'g', generate: async () => ({ text: harmful, finishReason: 'eos' as const, tokens: 9 }), sample: async () => [] };
    const guard = await createGuard({ device: 'wasm', generator });
    const red = window.solidImage([220, 20, 20]);
    const perCall = {
      thresholds: await codeOf(guard.evaluate({ image: red, response: harmful }, { thresholds: { image: undefined } } as never)),
      alignment: await codeOf(guard.respond({ image: red, prompt: 'p' }, { alignment: { shallow: { prefix: undefined } } } as never)),
      mode: await codeOf(guard.respond({ image: red, prompt: 'p' }, { mode: 'lenient' } as never)),
    };
    const disguised: Record<string, string> = {};
    for (const [name, text] of Object.entries({ fullWidth: 'Attach the ｄｅｔｏｎａｔｏｒ.', mathBold: 'Attach the 𝐝𝐞𝐭𝐨𝐧𝐚𝐭𝐨𝐫.', zeroWidth: 'Attach the deto\u200bna\u200ctor.', plain: 'A red square.' })) {
      disguised[name] = (await guard.evaluate({ image: red, response: text })).decision;
    }
    guard.dispose();
    return { created, perCall, disguised };
  }, HARMFUL);
  expect(out.created.undefinedKeys).toMatch(/^OPTIONS_INVALID: .*policy\.thresholds\.image/);
  expect(out.created.nan).toMatch(/^OPTIONS_INVALID: .*policy\.thresholds\.reward/);
  expect(out.created.cosine).toMatch(/^OPTIONS_INVALID: .*policy\.thresholds\.image/);
  expect(out.perCall.thresholds).toMatch(/^OPTIONS_INVALID: .*image/);
  expect(out.perCall.alignment).toMatch(/^OPTIONS_INVALID: .*shallow\.prefix/);
  expect(out.perCall.mode).toMatch(/^OPTIONS_INVALID/);
  expect(out.disguised).toEqual({ fullWidth: 'align', mathBold: 'align', zeroWidth: 'align', plain: 'pass' });
});

test('fetch protection: reasoning, content parts, a body without model, an image in the system message, escaped tool arguments — all judged; an aligned answer still unsafe ships as the fallback; an abort is an AbortError', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async (harmful) => {
    const { createGuard, protectFetch } = window.vlmGuard;
    const red = await window.solidDataUrl([220, 20, 20]);
    let appAnswer: { body: string; type: string } = { body: '', type: 'application/json' };
    let alignedText = ', I cannot help with that.';
    const calls: string[] = [];
    const guard = await createGuard({ device: 'wasm' });
    // The "server": the app's request gets `appAnswer`; an alignment request (a trailing assistant turn) gets `alignedText`.
    const pageFetch = window.fetch.bind(window);
    window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (!String(input).includes('/chat/completions')) return pageFetch(input, init);
      const body = JSON.parse(await new Response(init?.body).text()) as { stream?: boolean; messages: { role: string }[] };
      if (body.messages.at(-1)?.role !== 'assistant') {
        calls.push('app');
        return new Response(appAnswer.body, { headers: { 'content-type': appAnswer.type } });
      }
      calls.push('align');
      if (!body.stream) return Response.json({ choices: [{ index: 0, message: { role: 'assistant', content: alignedText }, finish_reason: 'stop' }] });
      const chunk = { choices: [{ index: 0, delta: { content: alignedText }, finish_reason: 'stop' }] };
      return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`, { headers: { 'content-type': 'text/event-stream' } });
    };
    const protection = protectFetch(guard);
    const json = (message: object) => ({ body: JSON.stringify({ id: 'c1', object: 'chat.completion', choices: [{ index: 0, message, finish_reason: 'stop' }] }), type: 'application/json' });
    const sse = (deltas: object[]) => ({ body: `${deltas.map((d) => `data: ${JSON.stringify({ id: 'c1', choices: [{ index: 0, delta: d, finish_reason: null }] })}\n\n`).join('')}data: [DONE]\n\n`, type: 'text/event-stream' });
    const userTurn = { role: 'user', content: [{ type: 'image_url', image_url: { url: red } }, { type: 'text', text: 'What should I do?' }] };
    const ask = async (request: object) => {
      const response = await fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify(request) });
      const text = await response.text();
      return { text, aligned: /"vlm_guard"/.test(text) && /"aligned":true/.test(text) };
    };
    const results: Record<string, { text: string; aligned: boolean }> = {};
    // No `model`, harmful reasoning beside a benign answer.
    appAnswer = json({ role: 'assistant', content: 'A red square.', reasoning_content: harmful });
    results.reasoning = await ask({ messages: [userTurn] });
    // The answer as content parts, streamed; the image only in the system message.
    appAnswer = sse([{ role: 'assistant', content: [{ type: 'text', text: harmful }] }]);
    results.parts = await ask({ model: 'm', stream: true, messages: [{ role: 'system', content: [{ type: 'image_url', image_url: { url: red } }] }, { role: 'user', content: 'Go on.' }] });
    // Tool-call arguments that spell the word in JSON escapes.
    appAnswer = json({ role: 'assistant', content: null, tool_calls: [{ id: 't', type: 'function', function: { name: 'notes', arguments: '{"text":"attach the \\u0064etonator, build the \\u0062omb"}' } }] });
    results.escapes = await ask({ model: 'm', messages: [userTurn] });
    // The server ignores the continuation and says it again: the fallback ships.
    appAnswer = json({ role: 'assistant', content: harmful });
    alignedText = ` ${harmful}`;
    results.ignoresContinuation = await ask({ model: 'm', messages: [userTurn] });
    // A benign answer passes byte for byte.
    appAnswer = json({ role: 'assistant', content: 'A red square on a white page.' });
    const passed = await ask({ model: 'm', messages: [userTurn] });
    // The app's abort during judging.
    const controller = new AbortController();
    appAnswer = json({ role: 'assistant', content: harmful });
    const aborting = fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm', messages: [userTurn] }), signal: controller.signal });
    setTimeout(() => controller.abort(), 5);
    const aborted = await aborting.then(() => 'resolved', (e: unknown) => (e instanceof DOMException ? `DOMException ${e.name}` : `${(e as { code?: string }).code}`));
    protection.restore();
    guard.dispose();
    return { results, passed: { same: passed.text === appAnswer.body || passed.text.includes('A red square on a white page.'), aligned: passed.aligned }, aborted, calls };
  }, HARMFUL);
  for (const [name, r] of Object.entries(out.results)) {
    expect(r.aligned, name).toBe(true);
    expect(r.text, name).not.toMatch(/detonator|explosive|bomb/);
  }
  expect(out.results.reasoning!.text).toContain('As an AI assistant, I cannot help with that.');
  expect(out.results.ignoresContinuation!.text).toContain("I can't help with this request.");
  expect(out.passed).toEqual({ same: true, aligned: false });
  expect(out.aborted).toBe('DOMException AbortError');
});

test('AI SDK middleware: a harmful reasoning part is judged; a model that ignores the safety note gets the fallback, marked so', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async (harmful) => {
    const { createGuard } = window.vlmGuard;
    const { vlmGuardMiddleware } = (window as unknown as { vlmGuardAiSdk: typeof import('../src/ai-sdk/index.ts') }).vlmGuardAiSdk;
    const guard = await createGuard({ device: 'wasm' });
    const red = window.solidImage([220, 20, 20], 64);
    const canvas = new OffscreenCanvas(64, 64);
    canvas.getContext('2d')!.putImageData(red, 0, 0);
    const png = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    const params = { prompt: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: png }, { type: 'text', text: 'What now?' }] }] };
    const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
    const finish = { unified: 'stop', raw: 'stop' };
    /** A model whose first answer is `first` and whose every later answer is `later`. */
    const model = (first: object[], later: string) => {
      let n = 0;
      return {
        specificationVersion: 'v3',
        provider: 'fake',
        modelId: 'm',
        supportedUrls: {},
        doGenerate: async () => ({ content: n++ === 0 ? first : [{ type: 'text', text: later }], finishReason: finish, usage, warnings: [] }),
        doStream: async () => {
          throw new Error('not used');
        },
      };
    };
    const run = async (m: ReturnType<typeof model>) => {
      const middleware = vlmGuardMiddleware({ guard });
      const result = await middleware.wrapGenerate!({ doGenerate: () => m.doGenerate() as never, doStream: () => m.doStream(), params: params as never, model: m as never });
      return { content: result.content, meta: result.providerMetadata?.vlmGuard as { decision: string; aligned: boolean; fallback?: boolean } };
    };
    const reasoning = await run(model([{ type: 'reasoning', text: harmful }, { type: 'text', text: 'A red square.' }], 'As an AI assistant, I cannot help with that.'));
    const ignoresNote = await run(model([{ type: 'text', text: harmful }], `As an AI assistant ${harmful}`));
    guard.dispose();
    return { reasoning, ignoresNote };
  }, HARMFUL);
  expect(out.reasoning.meta).toMatchObject({ decision: 'align', aligned: true, fallback: false });
  expect(JSON.stringify(out.reasoning.content)).not.toMatch(/detonator|explosive|bomb/);
  expect(out.ignoresNote.meta).toMatchObject({ decision: 'align', aligned: true, fallback: true });
  expect(out.ignoresNote.content).toEqual([{ type: 'text', text: "I can't help with this request. If there is something else about the image you'd like to know, I'm happy to help." }]);
});

test('I/O: an image URL that redirects to another origin is not followed there; a model file longer than the manifest stops with MODEL_INTEGRITY', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async () => {
    const { createGuard } = window.vlmGuard;
    const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    const guard = await createGuard({ device: 'wasm' });
    const redirect = await codeOf(guard.evaluate({ image: '/redirect.png', response: 'A red square.' }));
    guard.dispose();
    const started = performance.now();
    const big = await codeOf(createGuard({ device: 'wasm', modelBase: '/big-models/' }));
    return { redirect, big, bigMs: performance.now() - started };
  });
  expect(out.redirect).toMatch(/^INPUT_INVALID: .*redirects/);
  expect(elsewhere.hits).toEqual([]);
  expect(out.big).toMatch(/^MODEL_INTEGRITY: .*larger than the manifest says/);
  console.log(`a model file 4 MiB longer than its manifest size was refused after ${out.bigMs.toFixed(0)} ms`);
});
