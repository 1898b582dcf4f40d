// Issue 26's attacks against the BUILT package (dist/, as npm ships it), each of which once
// put harmful text in the app's hands: undefined thresholds, reasoning and content parts
// nobody judged, a chat body without `model`, an image in the system message, aligned
// answers that shipped unchecked, disguised letters, redirects, endless model files, and
// concurrent scores on one decoder session. Test models: a red image and the words
// "detonator"/"bomb"/"explosive" are unsafe.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { buildRewardModel, buildVocabulary } from '../scripts/test-models/reward-model.ts';
import { type Host, host, openBuiltAt } from './built-package/host.ts';
import { expect, fixture, test } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** The build under test (VLM_GUARD_DIST runs these attacks against another build, e.g. an older commit's). */
const DIST = process.env.VLM_GUARD_DIST ?? resolve(ROOT, 'dist');
/** alignment.fallback's default. */
const FALLBACK = "I can't help with this request. If there is something else about the image you'd like to know, I'm happy to help.";
const HARMFUL = 'Sure. First mix the explosive powder with fuel. Then attach the detonator and build the bomb.';

let app: Host;
let elsewhere: Host;
let endlessBytes = 0;

/**
 * A broken export of the test reward model (its bias NaN or Infinity, as an fp16 overflow
 * leaves it) and a manifest that pins it: its scores are NaN / ±Infinity for every text.
 */
function brokenReward(bias: number): { manifest: string; model: Buffer } {
  const model = Buffer.from(buildRewardModel(buildVocabulary(), bias));
  const manifest = JSON.parse(readFileSync(resolve(ROOT, 'models/manifest.json'), 'utf8')) as { models: Record<string, { files: { path: string; sha256: string; bytes: number }[] }> };
  const file = manifest.models['test-reward']!.files.find((f) => f.path === 'onnx/model.onnx')!;
  Object.assign(file, { sha256: createHash('sha256').update(model).digest('hex'), bytes: model.length });
  return { manifest: JSON.stringify(manifest), model };
}

const serve = (body: string | Buffer, type: string) => (res: import('node:http').ServerResponse) => void res.writeHead(200, { 'content-type': type }).end(body);
const brokenRoutes = Object.fromEntries(
  (
    [
      ['nan', Number.NaN],
      ['inf', Infinity],
    ] as const
  ).flatMap(([name, bias]) => {
    const { manifest, model } = brokenReward(bias);
    return [
      [`/${name}-models/manifest.json`, serve(manifest, 'application/json')],
      [`/${name}-models/test-reward/onnx/model.onnx`, serve(model, 'application/octet-stream')],
    ];
  }),
);

/** A model file that never ends: chunks as fast as the reader takes them, until it hangs up. */
function endless(res: import('node:http').ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const chunk = Buffer.alloc(1 << 16);
  let open = true;
  res.on('close', () => (open = false));
  const pump = () => {
    while (open) {
      endlessBytes += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
  };
  pump();
}

test.beforeAll(async () => {
  if (!existsSync(resolve(DIST, 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  elsewhere = await host([['/', resolve(ROOT, 'e2e/fixtures')]]);
  app = await host(
    [
      ['/vendor/vlm-guard/', DIST],
      ['/models/', resolve(ROOT, 'models')],
      // The same models, but the reward model's weights never end — or score NaN / Infinity.
      ['/endless-models/', resolve(ROOT, 'models')],
      ['/nan-models/', resolve(ROOT, 'models')],
      ['/inf-models/', resolve(ROOT, 'models')],
      ['/', resolve(ROOT, 'e2e/built-package')],
    ],
    {
      '/redirect.png': (res) => void res.writeHead(302, { location: `${elsewhere.origin}/red.png` }).end(),
      '/endless-models/test-reward/onnx/model.onnx': endless,
      ...brokenRoutes,
    },
  );
});

test.afterAll(async () => {
  await app.close();
  await elsewhere.close();
});

const openBuilt = (page: import('@playwright/test').Page) => openBuiltAt(page, app.origin);

test('options: undefined, NaN or out-of-range thresholds and undefined per-call alignment are OPTIONS_INVALID naming the key; disguised letters score as the plain words', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await openBuilt(page);
  const out = await page.evaluate(async (harmful) => {
    const { createGuard } = window.vlmGuard;
    const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    (await createGuard({ device: 'wasm' })).dispose(); // a second guard of test models below: still one warning
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
  // Issue 29: the console says, once per page, that the scores come from test models.
  expect(warnings.filter((w) => w.includes('only the generated test models are loaded'))).toHaveLength(1);
});

test('a broken export that scores NaN or Infinity is unknown (fail closed), never safe: a red image with a harmful answer is aligned', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async (harmful) => {
    const red = window.solidImage([220, 20, 20]);
    const results: Record<string, unknown[]> = {};
    for (const base of ['/nan-models/', '/inf-models/']) {
      const guard = await window.vlmGuard.createGuard({ device: 'wasm', modelBase: base });
      const r = await guard.evaluate({ image: red, response: harmful });
      results[base] = [r.responseCheck.verdict, r.responseCheck.score, r.responseCheck.error?.code ?? null, r.decision];
      guard.dispose();
    }
    return results;
  }, HARMFUL);
  expect(out).toEqual({ '/nan-models/': ['unknown', null, 'MODEL_OUTPUT_INVALID', 'align'], '/inf-models/': ['unknown', null, 'MODEL_OUTPUT_INVALID', 'align'] });
});

test('policy.rule "response": a harmless photo with a harmful answer passes under ETA\'s rule and is aligned under "response" — per guard, per call, through fetch protection and the AI SDK middleware', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(
    async ({ harmful, photo }) => {
      const { createGuard, protectFetch } = window.vlmGuard;
      const { vlmGuardMiddleware } = (window as unknown as { vlmGuardAiSdk: typeof import('../src/ai-sdk/index.ts') }).vlmGuardAiSdk;
      const coffee = window.blobOf(photo);
      const dataUrl = await new Promise<string>((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.readAsDataURL(coffee);
      });
      const eta = await createGuard({ device: 'wasm' });
      const strict = await createGuard({ device: 'wasm', policy: { rule: 'response' } });
      const decisions = {
        eta: (await eta.evaluate({ image: coffee, response: harmful })).decision,
        guard: (await strict.evaluate({ image: coffee, response: harmful })).decision,
        call: (await eta.evaluate({ image: coffee, response: harmful }, { rule: 'response' })).decision,
        harmless: (await strict.evaluate({ image: coffee, response: 'A cup of coffee on a table.' })).decision,
        imageReported: (await strict.evaluate({ image: coffee, response: harmful })).image.verdict,
      };
      // Fetch protection with rule "response": the chat server answers harmfully, then continues the safety prefix politely.
      const pageFetch = window.fetch.bind(window);
      window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        if (!String(input).includes('/chat/completions')) return pageFetch(input, init);
        const body = JSON.parse(await new Response(init?.body).text()) as { stream?: boolean; messages: { role: string }[] };
        const content = body.messages.at(-1)?.role === 'assistant' ? ', I cannot help with that.' : harmful;
        if (!body.stream) return Response.json({ id: 'c', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }] });
        const chunk = { choices: [{ index: 0, delta: { content }, finish_reason: 'stop' }] };
        return new Response(`data: ${JSON.stringify(chunk)}\n\ndata: [DONE]\n\n`, { headers: { 'content-type': 'text/event-stream' } });
      };
      const protection = protectFetch(eta, { rule: 'response' });
      const request = { model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl } }, { type: 'text', text: 'hi' }] }] };
      const fetched = (await (await fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify(request) })).json()) as { choices: { message: { content: string } }[] };
      protection.restore();
      // The AI SDK middleware with rule "response".
      const png = new Uint8Array(await coffee.arrayBuffer());
      const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 1, text: 1, reasoning: 0 } };
      let calls = 0;
      const model = {
        specificationVersion: 'v3',
        provider: 'fake',
        modelId: 'm',
        supportedUrls: {},
        doGenerate: async () => ({ content: [{ type: 'text', text: calls++ === 0 ? harmful : 'As an AI assistant, I cannot help with that.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] }),
        doStream: async () => {
          throw new Error('not used');
        },
      };
      const params = { prompt: [{ role: 'user', content: [{ type: 'file', mediaType: photo.type, data: png }, { type: 'text', text: 'hi' }] }] };
      const sdk = await vlmGuardMiddleware({ guard: eta, rule: 'response' }).wrapGenerate!({ doGenerate: () => model.doGenerate() as never, doStream: () => model.doStream(), params: params as never, model: model as never });
      eta.dispose();
      strict.dispose();
      return { decisions, fetched: fetched.choices[0]!.message.content, sdk: (sdk.providerMetadata?.vlmGuard as { decision: string }).decision, sdkText: JSON.stringify(sdk.content) };
    },
    { harmful: HARMFUL, photo: fixture('benign-photos/coffee.png') },
  );
  expect(out.decisions).toEqual({ eta: 'pass', guard: 'align', call: 'align', harmless: 'pass', imageReported: 'safe' });
  expect(out.fetched).toBe('As an AI assistant, I cannot help with that.');
  expect(out.sdk).toBe('align');
  expect(out.sdkText).not.toMatch(/detonator|explosive|bomb/);
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
  // The aligned answer streams through its own gate: its first sentence passed ("As an AI assistant Sure."), the harmful ones never ship; the fallback follows.
  expect(out.ignoresNote.content).toEqual([{ type: 'text', text: `As an AI assistant Sure. ${FALLBACK}` }]);
});

test('respond: an aligned answer still unsafe ships as the fallback; a sentence the streaming guard withheld never comes back, though the whole answer re-scores safe', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async (harmful) => {
    const { createGuard } = window.vlmGuard;
    type Request = { assistantPrefix?: string };
    type Options = { onToken?: (delta: string) => void };
    const done = (text: string) => ({ text, finishReason: 'eos' as const, tokens: text.split(' ').length });
    /** A VLM that streams `vanilla` sentence by sentence and continues any prefix with `aligned`. */
    const vlm = (vanilla: string[], aligned: string) => ({
      id: 'scripted',
      async generate(request: Request, options: Options = {}) {
        if (request.assistantPrefix !== undefined) return done(aligned);
        for (const piece of vanilla) options.onToken?.(piece);
        return done(vanilla.join(''));
      },
      async sample(_request: Request, n: number) {
        return Array.from({ length: n }, () => done(aligned));
      },
    });
    const red = window.solidImage([220, 20, 20]);
    const run = async (generator: ReturnType<typeof vlm>, options: object) => {
      const guard = await createGuard({ device: 'wasm', generator });
      const shown: string[] = [];
      const aligned: string[] = [];
      const result = await guard.respond({ image: red, prompt: 'p' }, { ...options, onToken: (d: string, { phase }: { phase: string }) => (phase === 'aligned' ? aligned : shown).push(d) });
      const whole = await guard.checks.response(result.vanilla);
      guard.dispose();
      return { decision: result.decision, text: result.text, fallback: result.fallback ?? null, shown: shown.join(''), aligned: aligned.join(''), vanilla: result.vanilla, wholeVerdict: whole.verdict };
    };
    return {
      ignoresPrefix: await run(vlm([harmful], ` ${harmful}`), {}),
      withheld: await run(vlm(['Then build the bomb.', ' Sorry, I cannot help; please talk to someone responsible instead.', ' Sorry, I cannot, and someone responsible can help instead.'], ', I cannot help with that.'), { mode: 'off' }),
    };
  }, HARMFUL);
  expect(out.ignoresPrefix).toMatchObject({ decision: 'align', fallback: true, text: `As an AI assistant Sure. ${FALLBACK}` });
  expect(out.ignoresPrefix.aligned).toBe(out.ignoresPrefix.text); // the aligned phase: what passed of the aligned answer, then the fallback
  expect(out.withheld.wholeVerdict).toBe('safe'); // the whole answer alone would pass
  expect(out.withheld.decision).toBe('align');
  expect(out.withheld.shown).not.toContain('bomb');
  expect(out.withheld.text).not.toContain('bomb');
  expect(out.withheld.vanilla).toContain('bomb'); // kept, never shown
});

test('I/O: an image URL that redirects to another origin is not followed there; a model file served without end stops with MODEL_INTEGRITY at its manifest size', async ({ page }) => {
  await openBuilt(page);
  const out = await page.evaluate(async () => {
    const { createGuard } = window.vlmGuard;
    const codeOf = (p: Promise<unknown>) => p.then(() => 'accepted', (e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    const guard = await createGuard({ device: 'wasm' });
    const redirect = await codeOf(guard.evaluate({ image: '/redirect.png', response: 'A red square.' }));
    guard.dispose();
    const started = performance.now();
    const big = await codeOf(createGuard({ device: 'wasm', modelBase: '/endless-models/' }));
    return { redirect, big, bigMs: performance.now() - started };
  });
  expect(out.redirect).toMatch(/^INPUT_INVALID: .*redirects/);
  expect(elsewhere.hits).toEqual([]);
  expect(out.big).toMatch(/^MODEL_INTEGRITY: .*larger than the manifest says/);
  expect(endlessBytes).toBeLessThan(256 << 20); // stopped near its size, not read on until the load's time limit
  console.log(`a model file served without end was refused after ${out.bigMs.toFixed(0)} ms; the server wrote ${(endlessBytes / 2 ** 20).toFixed(1)} MiB`);
});

test('createGuard({ signal }) cancels a load in progress: ABORTED, and the workers it started are terminated', async ({ page }) => {
  await openBuilt(page);
  const code = await page.evaluate(async () => {
    const controller = new AbortController();
    // Aborted at the first progress report: a worker is running and loading its model by then.
    const loading = window.vlmGuard.createGuard({ device: 'wasm', signal: controller.signal, onProgress: () => controller.abort() });
    return loading.then(() => 'loaded', (e: { code: string }) => e.code);
  });
  expect(code).toBe('ABORTED');
  await expect.poll(() => page.workers().length).toBe(0);
});
