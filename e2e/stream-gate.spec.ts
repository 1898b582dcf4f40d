// Issue 27 on the BUILT package (dist/): streams at the model's pace. Each upstream here
// sends its next piece only once the app has read the last one — a guard that holds the
// stream back until its end never gets past the first piece (the page reports "held").
// Safe photo: the answer flows, byte for byte (fetch protection) or part for part (AI SDK).
// Red image: the unsafe sentence never reaches the app, the upstream is stopped, and the
// aligned part continues the released text in the same message. Also respond's onToken.
// Test models: a red image and the words "detonator"/"bomb"/"explosive" are unsafe.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Host, host, openBuiltAt } from './built-package/host.ts';
import { heapGrowthMiB } from './heap-peak.ts';
import { expect, fixture, test } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
/** The build under test (VLM_GUARD_DIST runs these against another build, e.g. an older commit's). */
const DIST = process.env.VLM_GUARD_DIST ?? resolve(ROOT, 'dist');
/** How long a page waits for the next piece before it says the stream was held. */
const HELD_MS = 15_000;

let app: Host;
test.beforeAll(async () => {
  if (!existsSync(resolve(DIST, 'index.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  app = await host([
    ['/vendor/vlm-guard/', DIST],
    ['/models/', resolve(ROOT, 'models')],
    ['/', resolve(ROOT, 'e2e/built-package')],
  ]);
});
test.afterAll(async () => app.close());

test('fetch protection streams at the model\'s pace: a safe photo\'s events arrive as sent, byte for byte; on a red image the unsafe sentence never arrives, the upstream stops, the aligned part continues the message', async ({ page }) => {
  await openBuiltAt(page, app.origin);
  const out = await page.evaluate(
    async ({ photo, heldMs }) => {
      const { createGuard, protectFetch } = window.vlmGuard;
      const safe = `data:${photo.type};base64,${photo.base64}`;
      const red = await window.solidDataUrl([220, 20, 20]);
      const event = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
      const encoder = new TextEncoder();
      let upstream: ReadableStreamDefaultController<Uint8Array> | null = null;
      let stopped = false;
      const pageFetch = window.fetch.bind(window);
      window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        if (!String(input).includes('/chat/completions')) return pageFetch(input, init);
        const body = JSON.parse(await new Response(init?.body).text()) as { messages: { role: string }[] };
        // The alignment request (a trailing assistant turn) is answered at once.
        if (body.messages.at(-1)?.role === 'assistant') return new Response(`${event(', I cannot help with that.', 'stop')}data: [DONE]\n\n`, { headers: { 'content-type': 'text/event-stream' } });
        stopped = false;
        init?.signal?.addEventListener('abort', () => (stopped = true));
        const stream = new ReadableStream<Uint8Array>({ start: (c) => void (upstream = c), cancel: () => void (stopped = true) });
        return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
      };
      const guard = await createGuard({ device: 'wasm' });
      const protection = protectFetch(guard);
      const ask = (image: string) =>
        fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: image } }, { type: 'text', text: 'Tell me.' }] }] }) });
      const within = <T,>(p: Promise<T>) => Promise.race([p, new Promise<'held'>((r) => setTimeout(() => r('held'), heldMs))]);

      // Safe photo: the next event goes out only once the app has read this one.
      const pieces = [event('Sure.'), event(' First mix the explosive powder.'), event(' Done.', 'stop'), 'data: [DONE]\n\n'];
      const response = await within(ask(safe));
      if (response === 'held') return { safe: { held: true, same: false }, red: null };
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      let held = false;
      for (const [i, piece] of pieces.entries()) {
        upstream!.enqueue(encoder.encode(piece));
        while (received.length < pieces.slice(0, i + 1).join('').length) {
          const next = await within(reader.read());
          if (next === 'held' || next.done) {
            held = true;
            break;
          }
          received += decoder.decode(next.value, { stream: true });
        }
        if (held) break;
      }
      upstream!.close();
      const safeResult = { held, same: received === pieces.join('') };
      if (held) return { safe: safeResult, red: null };

      // Red image: "Sure." passes, the next sentence is unsafe.
      const redResponse = await ask(red);
      // (the model goes on: a sentence is known to end once what follows its '.' shows so)
      upstream!.enqueue(encoder.encode(event('Sure.') + event(' First mix the explo') + event('sive powder.') + event(' Then')));
      const text = await within(redResponse.text());
      protection.restore();
      guard.dispose();
      if (text === 'held') return { safe: safeResult, red: 'held' as const };
      const content = text
        .split('\n\n')
        .filter((e) => e.startsWith('data: {'))
        .map((e) => (JSON.parse(e.slice(6)) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '')
        .join('');
      return { safe: safeResult, red: { content, stopped, unsafeSent: /explo/.test(text), note: /"vlm_guard"/.test(text), done: text.endsWith('data: [DONE]\n\n') } };
    },
    { photo: fixture('benign-photos/coffee.png'), heldMs: HELD_MS },
  );
  expect(out.safe).toEqual({ held: false, same: true });
  expect(out.red).toEqual({ content: 'Sure. As an AI assistant, I cannot help with that.', stopped: true, unsafeSent: false, note: true, done: true });
});

test('the AI SDK middleware streams at the model\'s pace: a safe photo\'s parts arrive as sent; on a red image the unsafe sentence never arrives, the model stops, the aligned part continues the text', async ({ page }) => {
  await openBuiltAt(page, app.origin);
  const out = await page.evaluate(
    async ({ photo, heldMs }) => {
      type Part = { type: string; id?: string; delta?: string; providerMetadata?: { vlmGuard?: { decision: string; aligned: boolean } } };
      const { createGuard } = window.vlmGuard;
      const { vlmGuardMiddleware } = (window as unknown as { vlmGuardAiSdk: typeof import('../src/ai-sdk/index.ts') }).vlmGuardAiSdk;
      const guard = await createGuard({ device: 'wasm' });
      const within = <T,>(p: Promise<T>) => Promise.race([p, new Promise<'held'>((r) => setTimeout(() => r('held'), heldMs))]);
      const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 3, text: 3, reasoning: undefined } };
      /** A model whose stream the page drives; the middleware called as wrapLanguageModel calls it (transformParams, then wrapStream). */
      const call = async (image: Uint8Array) => {
        let upstream!: ReadableStreamDefaultController<Part>;
        const state = { stopped: false };
        const model = {
          specificationVersion: 'v3',
          provider: 'page',
          modelId: 'driven',
          supportedUrls: {},
          doGenerate: async () => ({ content: [{ type: 'text', text: ', I cannot help with that.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] }),
          doStream: async (options: { abortSignal?: AbortSignal }) => {
            options.abortSignal?.addEventListener('abort', () => (state.stopped = true));
            return { stream: new ReadableStream<Part>({ start: (c) => void (upstream = c), cancel: () => void (state.stopped = true) }) };
          },
        };
        const middleware = vlmGuardMiddleware({ guard });
        const params = { prompt: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: image }, { type: 'text', text: 'Tell me.' }] }] };
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the provider types are not in the page
        const m = middleware as any;
        const transformed = m.transformParams ? await m.transformParams({ type: 'stream', params, model }) : params;
        const result = await m.wrapStream({ doStream: () => model.doStream(transformed), doGenerate: () => model.doGenerate(), params: transformed, model });
        return { reader: (result.stream as ReadableStream<Part>).getReader(), send: (p: Part) => upstream.enqueue(p), end: () => upstream.close(), state };
      };
      const bytes = async (dataUrl: string) => new Uint8Array(await (await fetch(dataUrl)).arrayBuffer());
      const photoBytes = await bytes(`data:${photo.type};base64,${photo.base64}`);
      const redBytes = await bytes(await window.solidDataUrl([220, 20, 20]));

      const calling = await within(call(photoBytes));
      if (calling === 'held') return { safe: { held: true, deltas: [] }, red: null };
      const safe = calling;
      const deltas: string[] = [];
      let held = false;
      safe.send({ type: 'stream-start' });
      safe.send({ type: 'text-start', id: 't' });
      for (const piece of ['Sure.', ' First mix the explosive powder.', ' Done.']) {
        safe.send({ type: 'text-delta', id: 't', delta: piece });
        for (;;) {
          const next = await within(safe.reader.read());
          if (next === 'held' || next.done) {
            held = true;
            break;
          }
          if (next.value.type === 'text-delta') {
            deltas.push(next.value.delta!);
            break;
          }
        }
        if (held) break;
      }
      if (held) return { safe: { held, deltas }, red: null };
      safe.send({ type: 'text-end', id: 't' });
      safe.send({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage } as Part);
      safe.end();
      let finish: Part | undefined;
      for (;;) {
        const next = await safe.reader.read();
        if (next.done) break;
        if (next.value.type === 'finish') finish = next.value;
      }

      const red = await call(redBytes);
      red.send({ type: 'stream-start' });
      red.send({ type: 'text-start', id: 't' });
      for (const piece of ['Sure.', ' First mix the explo', 'sive powder.', ' Then']) red.send({ type: 'text-delta', id: 't', delta: piece });
      const parts: Part[] = [];
      for (;;) {
        const next = await within(red.reader.read());
        if (next === 'held') return { safe: { held, deltas, decision: finish?.providerMetadata?.vlmGuard?.decision }, red: 'held' as const };
        if (next.done) break;
        parts.push(next.value);
      }
      guard.dispose();
      const text = parts.filter((p) => p.type === 'text-delta').map((p) => p.delta).join('');
      const last = parts.at(-1);
      return {
        safe: { held, deltas, decision: finish?.providerMetadata?.vlmGuard?.decision },
        red: { text, stopped: red.state.stopped, finish: last?.type, decision: last?.providerMetadata?.vlmGuard?.aligned, ended: parts.filter((p) => p.type === 'text-end').length },
      };
    },
    { photo: fixture('benign-photos/coffee.png'), heldMs: HELD_MS },
  );
  expect(out.safe).toEqual({ held: false, deltas: ['Sure.', ' First mix the explosive powder.', ' Done.'], decision: 'pass' });
  expect(out.red).toMatchObject({ stopped: true, finish: 'finish', decision: true, ended: 1 });
  const red = out.red as { text: string };
  expect(red.text.startsWith('Sure. ')).toBe(true);
  expect(red.text).not.toMatch(/explo/);
});

test('respond: on a red image the unsafe sentence never reaches onToken (no option needed); on a safe photo tokens flow while the model is still generating', async ({ page }) => {
  await openBuiltAt(page, app.origin);
  const out = await page.evaluate(
    async ({ photo, heldMs }) => {
      const { createGuard } = window.vlmGuard;
      const guard = await createGuard({ device: 'wasm' });
      /** A VLM that sends its next token only once the app has seen the last one (a vanilla answer), and refuses after the safety prefix. */
      const vlm = (tokens: string[]) => {
        let seen = 0;
        const shown = () => seen++;
        return {
          shown,
          generator: {
            id: 'paced-vlm',
            async generate(request: { assistantPrefix?: string }, options: { onToken?: (d: string) => void; signal?: AbortSignal } = {}) {
              if (request.assistantPrefix !== undefined) return { text: ', I cannot help with that.', finishReason: 'eos' as const, tokens: 6 };
              let text = '';
              for (const [i, token] of tokens.entries()) {
                if (options.signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
                text += token;
                options.onToken?.(token);
                const waitUntil = performance.now() + heldMs;
                while (seen <= i && performance.now() < waitUntil && !options.signal?.aborted) await new Promise((r) => setTimeout(r, 5));
                if (seen <= i && !options.signal?.aborted) return { text: `${text} [held]`, finishReason: 'eos' as const, tokens: i + 1 };
              }
              return { text, finishReason: 'eos' as const, tokens: tokens.length };
            },
            async sample() {
              return [];
            },
          },
        };
      };
      const safeVlm = vlm(['Sure.', ' First mix the explosive powder.', ' Done.']);
      const safeShown: string[] = [];
      const safe = await guard.respond({ image: window.blobOf(photo), prompt: 'Tell me.' }, { generator: safeVlm.generator, onToken: (d) => (safeShown.push(d), safeVlm.shown()) });
      const redShown: { delta: string; phase: string }[] = [];
      const redVlm = vlm(['Sure.', ' First mix the explosive powder.', ' Done.']);
      const red = await guard.respond({ image: window.solidImage([220, 20, 20]), prompt: 'Tell me.' }, {
        generator: { ...redVlm.generator, generate: (r: { assistantPrefix?: string }, o: { onToken?: (d: string) => void; signal?: AbortSignal } = {}) => redVlm.generator.generate(r, { ...o, onToken: (d) => (o.onToken?.(d), redVlm.shown()) }) },
        onToken: (delta, { phase }) => redShown.push({ delta, phase }),
      });
      guard.dispose();
      return { safe: { shown: safeShown.join(''), vanilla: safe.vanilla, gate: safe.gate?.mode }, red: { shown: redShown, text: red.text, decision: red.decision } };
    },
    { photo: fixture('benign-photos/coffee.png'), heldMs: HELD_MS },
  );
  expect(out.safe).toEqual({ shown: 'Sure. First mix the explosive powder. Done.', vanilla: 'Sure. First mix the explosive powder. Done.', gate: 'pass-through' });
  expect(out.red.decision).toBe('align');
  expect(out.red.shown.map((s) => s.delta).join('')).toBe(out.red.text);
  expect(out.red.shown.filter((s) => s.phase === 'vanilla').map((s) => s.delta).join('')).toBe('Sure.');
  expect(out.red.text).not.toMatch(/explosive/);
});

test('memory stays flat on a large stream: 6 MB and 60 MB answers through fetch protection and the AI SDK middleware (safe photo) reach the app whole, and the page\'s heap does not grow with the answer', async ({ page }) => {
  test.setTimeout(240_000);
  await openBuiltAt(page, app.origin);
  await page.addScriptTag({ path: resolve(ROOT, 'e2e/fixtures/on-demand-stream.js') });
  await page.evaluate(async (photo) => {
    const w = window as unknown as Record<string, unknown>;
    const { createGuard, protectFetch } = window.vlmGuard;
    const { vlmGuardMiddleware } = (window as unknown as { vlmGuardAiSdk: typeof import('../src/ai-sdk/index.ts') }).vlmGuardAiSdk;
    const guard = await createGuard({ device: 'wasm' });
    const dataUrl = `data:${photo.type};base64,${photo.base64}`;
    const text = 'the cat sat on the mat and looked at the garden. '.repeat(320); // 16 KB per piece
    const sse = new TextEncoder().encode(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`);
    const source = globalThis.onDemandStream;
    const pageFetch = window.fetch.bind(window);
    let streamBytes = 0;
    window.fetch = async (input: RequestInfo | URL, init?: RequestInit) =>
      String(input).includes('/chat/completions') ? new Response(source(streamBytes, sse, sse.length, [new TextEncoder().encode('data: [DONE]\n\n')]), { headers: { 'content-type': 'text/event-stream' } }) : pageFetch(input, init);
    protectFetch(guard);
    const image = new Uint8Array(await (await pageFetch(dataUrl)).arrayBuffer());
    const middleware = vlmGuardMiddleware({ guard }) as unknown as Record<string, (o: unknown) => Promise<{ stream: ReadableStream<{ type: string; delta?: string; providerMetadata?: { vlmGuard?: { decision: string } } }> }>>;
    const usage = { inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 1, text: 1, reasoning: undefined } };
    w.largeAnswer = async (path: 'fetch' | 'ai-sdk', mb: number) => {
      const bytes = mb * 2 ** 20;
      let received: number;
      let decision: string | undefined;
      if (path === 'fetch') {
        streamBytes = bytes;
        const response = await fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl } }, { type: 'text', text: 'Tell me.' }] }] }) });
        received = await globalThis.drainStream(response.body!, (chunk) => chunk.length);
        return { received, expected: Math.ceil(bytes / sse.length) * sse.length + 'data: [DONE]\n\n'.length };
      }
      const params = { prompt: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: image }, { type: 'text', text: 'Tell me.' }] }] };
      const transformed = await middleware.transformParams!({ type: 'stream', params });
      type Part = { type: string; id?: string; delta?: string; finishReason?: unknown; usage?: unknown };
      const end: Part[] = [{ type: 'text-end', id: 't' }, { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage }];
      const model = { doStream: async () => ({ stream: source<Part>(bytes, { type: 'text-delta', id: 't', delta: text }, text.length, end) }) };
      const result = await middleware.wrapStream!({ doStream: () => model.doStream(), params: transformed, model: { specificationVersion: 'v3', provider: 'page', modelId: 'long', supportedUrls: {} } });
      received = await globalThis.drainStream(result.stream, (part) => {
        if (part.type === 'finish') decision = part.providerMetadata?.vlmGuard?.decision;
        return part.type === 'text-delta' ? part.delta!.length : 0;
      });
      return { received, expected: Math.ceil(bytes / text.length) * text.length, decision };
    };
  }, fixture('benign-photos/coffee.png'));

  const cdp = await page.context().newCDPSession(page);
  /** The page's heap at its highest while the answer streams, above what it was just before. */
  const growth = async (path: 'fetch' | 'ai-sdk', mb: number) => {
    const { result: out, growthMiB } = await heapGrowthMiB(cdp, () =>
      page.evaluate(({ path, mb }) => (window as unknown as { largeAnswer: (p: string, m: number) => Promise<{ received: number; expected: number; decision?: string }> }).largeAnswer(path, mb), { path, mb }),
    );
    expect(out.received, `${path} ${mb} MB: the whole answer reached the app`).toBe(out.expected);
    if (path === 'ai-sdk') expect(out.decision).toBe('pass');
    return growthMiB;
  };
  for (const path of ['fetch', 'ai-sdk'] as const) {
    const small = await growth(path, 6);
    const large = await growth(path, 60);
    console.log(`${path}: heap +${small.toFixed(1)} MiB at 6 MB, +${large.toFixed(1)} MiB at 60 MB`);
    expect(large, `${path}: under the issue's 100 MB above idle`).toBeLessThan(100);
    // Flat: ten times the answer, not ten times the memory (a guard that holds the answer grows by its size).
    expect(large - small, `${path}: the heap grows with the answer`).toBeLessThan(24);
  }
});

test('a large image (4 MB of red noise) passes without being copied into strings: fetch protection reads it out of the app\'s body, a string or a Blob (sent on exactly as the app made it), and aligns; respond sends it to the VLM as a Blob body with the exact bytes', async ({ page }) => {
  test.setTimeout(120_000);
  await openBuiltAt(page, app.origin);
  await page.addScriptTag({ path: resolve(ROOT, 'e2e/fixtures/noise-png.js') });
  const out = await page.evaluate(async () => {
    const { createGuard, protectFetch, RemoteGenerator } = window.vlmGuard;
    // Red noise: the test CLIP reads red as unsafe; noise keeps the PNG large (over the 64 KiB cut).
    const png = await globalThis.noisePng(1200, true);
    const base64 = (new Uint8Array(await png.arrayBuffer()) as unknown as { toBase64(): string }).toBase64();
    const event = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
    const sent: { body: BodyInit | null | undefined; continuation: boolean }[] = [];
    const pageFetch = window.fetch.bind(window);
    window.fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (!String(input).includes('/chat/completions')) return pageFetch(input, init);
      const body = JSON.parse(await new Response(init?.body).text()) as { messages: { role: string; content: unknown }[] };
      const continuation = body.messages.at(-1)?.role === 'assistant';
      sent.push({ body: init?.body, continuation });
      const words = continuation ? [', I cannot help with that.'] : ['Sure.', ' First mix the explosive powder.'];
      return new Response(`${words.map((w, i) => event(w, i === words.length - 1 ? 'stop' : null)).join('')}data: [DONE]\n\n`, { headers: { 'content-type': 'text/event-stream' } });
    };
    const guard = await createGuard({ device: 'wasm' });
    const protection = protectFetch(guard);
    const appBody = JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: `data:image/png;base64,${base64}` } }, { type: 'text', text: 'Tell me.' }] }] });
    const text = await (await fetch('/v1/chat/completions', { method: 'POST', body: appBody })).text();
    const firstSentAsMade = sent[0]?.body === appBody;
    const continuationBody = sent.find((s) => s.continuation)?.body;
    sent.length = 0;
    // The same request with a Blob body: read as bytes (the image never becomes a string), aligned the same.
    const blobBody = new Blob([appBody], { type: 'application/json' });
    const blobText = await (await fetch('/v1/chat/completions', { method: 'POST', body: blobBody })).text();
    protection.restore();
    const blobSentAsMade = sent[0]?.body === blobBody;
    const blobContinuation = sent.find((s) => s.continuation)?.body;
    const continuationUrl = blobContinuation instanceof Blob ? (JSON.parse(await blobContinuation.text()) as { messages: { content: { image_url?: { url: string } }[] }[] }).messages[0]!.content[0]!.image_url!.url : null;
    sent.length = 0;
    const result = await guard.respond({ image: png, prompt: 'Tell me.' }, { generator: new RemoteGenerator({ baseUrl: `${location.origin}/v1`, model: 'm' }) });
    const respondBody = sent[0]?.body;
    const respondUrl = respondBody instanceof Blob ? (JSON.parse(await respondBody.text()) as { messages: { content: { image_url?: { url: string } }[] }[] }).messages[0]!.content[0]!.image_url!.url : null;
    guard.dispose();
    return {
      mib: png.size / 2 ** 20,
      text,
      firstSentAsMade,
      blobText,
      blobSentAsMade,
      blobContinuationUrlExact: continuationUrl === `data:image/png;base64,${base64}`,
      continuationIsBlob: continuationBody instanceof Blob,
      respondDecision: result.decision,
      respondBodyIsBlob: respondBody instanceof Blob,
      respondUrlExact: respondUrl === `data:image/png;base64,${base64}`,
    };
  });
  expect(out.mib).toBeGreaterThan(2);
  expect(out.text).toContain('Sure.');
  expect(out.text).not.toContain('explosive');
  expect(out.text).toContain('I cannot help with that.');
  expect(out.firstSentAsMade).toBe(true);
  expect(out.continuationIsBlob).toBe(true);
  expect(out.blobText).toContain('Sure.');
  expect(out.blobText).not.toContain('explosive');
  expect(out.blobText).toContain('I cannot help with that.');
  expect(out.blobSentAsMade).toBe(true);
  expect(out.blobContinuationUrlExact).toBe(true);
  expect(out.respondDecision).toBe('align');
  expect(out.respondBodyIsBlob).toBe(true);
  expect(out.respondUrlExact).toBe(true);
});
