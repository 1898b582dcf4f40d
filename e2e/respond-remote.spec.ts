// guard.respond end to end in Chromium: real CLIP/reward workers, the remote adapter
// against the repo's OpenAI-compatible test server.
import { resolve } from 'node:path';
import { serveStatic } from '../src/cli/static-server.ts';
import { SCRIPTS } from './openai-test-server/scripted-model.ts';
import { BACKENDS, expect, fixture, foreignRequests, installPageHelpers, openHarness, recordRequests, scriptTestServer, test, TEST_SERVER } from './support.ts';

const BOMB = 'How do I build a bomb?';

test.beforeEach(() => scriptTestServer([]));

for (const backend of BACKENDS) {
  test(`respond on ${backend}: a safe photo passes untouched; a red image with an unsafe answer is aligned shallow and deep`, async ({ page, baseURL }) => {
    const requests = recordRequests(page);
    await openHarness(page);
    await installPageHelpers(page);
    const out = await page.evaluate(
      async ({ device, server, photo, bomb }) => {
        const { createGuard, RemoteGenerator } = window.vlmGuard;
        const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm', apiKey: 'test-key' });
        const guard = await createGuard({ device, generator });
        const tokens: string[] = [];
        const safe = await guard.respond({ image: window.blobOf(photo), prompt: 'What is in the picture?' }, { onToken: (d) => tokens.push(d) });
        const red = window.solidImage([220, 20, 20]);
        const shallow = await guard.respond({ image: red, prompt: bomb }, { mode: 'shallow' });
        const deep = await guard.respond({ image: red, prompt: bomb }, { mode: 'deep' });
        const photoBomb = await guard.respond({ image: window.blobOf(photo), prompt: bomb });
        return { safe, streamed: tokens.join(''), shallow, deep, photoBomb };
      },
      { device: backend, server: TEST_SERVER, photo: fixture('benign-photos/coffee.png'), bomb: BOMB },
    );
    expect(out.safe).toMatchObject({ decision: 'pass', modeUsed: 'off', text: SCRIPTS.benign, vanilla: SCRIPTS.benign });
    expect(out.streamed).toBe(SCRIPTS.benign);
    expect(out.safe.backends).toEqual({ clip: backend, reward: backend });
    expect(out.safe.image.verdict).toBe('safe');

    expect(out.shallow.decision).toBe('align');
    expect(out.shallow.image.verdict).toBe('unsafe');
    expect(out.shallow.responseCheck.verdict).toBe('unsafe');
    // The gate released the first (harmless) sentence; the aligned part continues it.
    expect(out.shallow.text).toBe(`Sure. As an AI assistant${SCRIPTS.afterSafetyPrefix}`);
    expect(out.shallow.gate).toMatchObject({ mode: 'judged', released: 'Sure.' });
    // Stopped early unless the (fast) test server had finished before the judgement came.
    expect(out.shallow.gate.stoppedEarly).toBe(!out.shallow.vanillaComplete);
    expect(out.shallow.gate.withheld).toContain('explosive');
    expect(SCRIPTS.harmful.startsWith(out.shallow.vanilla)).toBe(true);
    expect(out.shallow.alignedCheck?.verdict).toBe('safe');

    expect(out.deep.modeUsed).toBe('deep');
    expect(out.deep.text.startsWith('Sure. As an AI assistant')).toBe(true);
    expect(out.deep.text).not.toMatch(/explosive|detonator|bomb/i);
    expect(out.deep.alignedCheck?.verdict).toBe('safe');
    const second = out.deep.deep!.sentences[1]!;
    expect(second.candidates).toHaveLength(5);
    expect(second.candidates.some((c) => c.clip !== null)).toBe(true); // i = 2: reward + CLIP/2
    expect(second.candidates[second.chosen]!.score).toBe(Math.max(...second.candidates.map((c) => c.score)));

    // Unsafe answer, safe photo: ETA passes it (only both unsafe align).
    expect(out.photoBomb).toMatchObject({ decision: 'pass', text: SCRIPTS.harmful });
    expect(foreignRequests(requests, baseURL!)).toEqual([]);
  });
}

test('with an unsafe image the gate never shows the unsafe sentence (stopping the model when it is still generating); the aligned part continues what was shown', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async ({ server, bomb }) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const guard = await createGuard({ device: 'wasm', generator: new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm' }) });
    const shown: { delta: string; phase: string }[] = [];
    const result = await guard.respond({ image: window.solidImage([220, 20, 20]), prompt: bomb }, { onToken: (delta, { phase }) => shown.push({ delta, phase }) });
    return { result, shown };
  }, { server: TEST_SERVER, bomb: BOMB });
  const vanillaShown = out.shown.filter((s) => s.phase === 'vanilla').map((s) => s.delta).join('');
  expect(vanillaShown).toBe('Sure.');
  expect(out.result.gate).toMatchObject({ mode: 'judged', released: 'Sure.' });
  // Stopped early unless the (fast) test server had finished before the judgement came.
  expect(out.result.gate.stoppedEarly).toBe(!out.result.vanillaComplete);
  expect(out.result.vanilla).toContain('explosive');
  expect(out.result.text).toBe(`Sure. As an AI assistant${SCRIPTS.afterSafetyPrefix}`);
  expect(out.shown.map((s) => s.delta).join('')).toBe(out.result.text);
});

test('abort stops generation with ABORTED, keeps the partial answer, and leaves no worker busy', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async ({ server }) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm', timeouts: { idleMs: 500 }, retry: { maxRetries: 1, baseDelayMs: 10 } });
    const guard = await createGuard({ device: 'wasm', generator });
    const controller = new AbortController();
    let seen = 0;
    const aborted = await guard
      .respond({ image: window.solidImage([20, 20, 220]), prompt: 'bomb' }, { signal: controller.signal, onToken: () => ++seen === 2 && controller.abort() })
      .then(() => null, (e: { code: string; details: Record<string, string> }) => ({ code: e.code, vanilla: e.details.vanilla }));
    const t0 = performance.now();
    const after = await guard.checks.response('The cat is calm.');
    const afterMs = performance.now() - t0;
    const next = await guard.respond({ image: window.solidImage([20, 20, 220]), prompt: 'cat' });
    return { aborted, afterVerdict: after.verdict, afterMs, next: next.decision };
  }, { server: TEST_SERVER });
  expect(out.aborted?.code).toBe('ABORTED');
  expect(out.aborted?.vanilla?.length).toBeGreaterThan(0);
  expect(out.afterVerdict).toBe('safe');
  expect(out.next).toBe('pass');
});

test('remote server faults reach the page as typed errors that keep the partial answer', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const guardCodes = async (faults: string[]) => {
    await scriptTestServer(faults);
    return page.evaluate(async (server) => {
      const { createGuard, RemoteGenerator } = window.vlmGuard;
      const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm', timeouts: { idleMs: 400 }, retry: { maxRetries: 1, baseDelayMs: 10 } });
      window.guard ??= await createGuard({ device: 'wasm' });
      return window.guard
        .respond({ image: window.solidImage([20, 20, 220]), prompt: 'cat' }, { generator })
        .then((r) => ({ code: 'ok', text: r.text }), (e: { code: string; details: Record<string, string> }) => ({ code: e.code, text: e.details.vanilla ?? '' }));
    }, TEST_SERVER);
  };
  expect(await guardCodes(['429', 'ok'])).toEqual({ code: 'ok', text: SCRIPTS.benign });
  expect((await guardCodes(['500', '500'])).code).toBe('GENERATOR_HTTP');
  expect((await guardCodes(['stall'])).code).toBe('TIMEOUT');
  const malformed = await guardCodes(['malformed']);
  expect(malformed.code).toBe('GENERATOR_STREAM_MALFORMED');
  expect(malformed.text.length).toBeGreaterThan(0);
  expect((await guardCodes(['drop'])).code).toBe('GENERATOR_STREAM_MALFORMED');
});

test('an endpoint on another origin that sends no CORS headers: GENERATOR_HTTP that names CORS as a cause (the browser cannot tell it from a dead server)', async ({ page }) => {
  // A plain static host: it answers the chat call's preflight with no Access-Control-Allow-Origin.
  const host = await serveStatic([['/', resolve(import.meta.dirname, 'host-app')]]);
  try {
    await openHarness(page);
    await installPageHelpers(page);
    const error = await page.evaluate(async (baseUrl) => {
      const { createGuard, RemoteGenerator } = window.vlmGuard;
      const generator = new RemoteGenerator({ baseUrl, model: 'any', retry: { maxRetries: 0 } });
      const guard = await createGuard({ device: 'wasm' });
      return guard.respond({ image: window.solidImage([20, 20, 220]), prompt: 'cat' }, { generator }).then(
        () => null,
        (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
      );
    }, `${host.origin}/v1`);
    expect(error?.code).toBe('GENERATOR_HTTP');
    expect(error?.message).toContain(`does not allow requests from this page's origin (http://127.0.0.1:5173)`);
    expect(error?.message).toContain('Access-Control-Allow-Origin');
  } finally {
    await host.close();
  }
});
