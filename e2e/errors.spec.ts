import { expect, fixture, foreignRequests, installPageHelpers, openHarness, recordRequests, scriptTestServer, test, TEST_SERVER } from './support.ts';

const HARMFUL = 'Attach the detonator to the explosive and build the bomb.';

test.describe('typed errors and unknown verdicts', () => {
  test('a missing model file is a MODEL_FILE_MISSING error naming the URL', async ({ page, baseURL }) => {
    await page.route('**/models/test-reward/onnx/model.onnx', (route) => route.fulfill({ status: 404, body: 'not found' }));
    await openHarness(page);
    const error = await page.evaluate(async () => {
      try {
        await window.vlmGuard.createGuard({ device: 'wasm' });
        return null;
      } catch (e) {
        const err = e as InstanceType<typeof window.vlmGuard.GuardError>;
        return { isGuardError: e instanceof window.vlmGuard.GuardError, code: err.code, url: err.details.url, message: err.message };
      }
    });
    expect(error).toMatchObject({ isGuardError: true, code: 'MODEL_FILE_MISSING', url: `${baseURL}/models/test-reward/onnx/model.onnx` });
    expect(error!.message).toContain(`${baseURL}/models/test-reward/onnx/model.onnx`);
  });

  test('an unreachable manifest names its URL; bad options name the option', async ({ page, baseURL }) => {
    await openHarness(page);
    const errors = await page.evaluate(async () => {
      const codeOf = async (run: () => Promise<unknown>) => {
        try {
          await run();
          return null;
        } catch (e) {
          const err = e as InstanceType<typeof window.vlmGuard.GuardError>;
          return { code: err.code, message: err.message };
        }
      };
      return {
        manifest: await codeOf(() => window.vlmGuard.createGuard({ modelBase: '/no-models-here/' })),
        device: await codeOf(() => window.vlmGuard.createGuard({ device: 'gpu' as 'wasm' })),
        model: await codeOf(() => window.vlmGuard.createGuard({ clipModel: 'clip-vit-large' })),
      };
    });
    expect(errors.manifest).toMatchObject({ code: 'MANIFEST_UNREACHABLE' });
    expect(errors.manifest!.message).toContain(`${baseURL}/no-models-here/manifest.json`);
    expect(errors.device).toMatchObject({ code: 'OPTIONS_INVALID' });
    expect(errors.device!.message).toContain('device');
    expect(errors.model).toMatchObject({ code: 'MODEL_UNKNOWN' });
    expect(errors.model!.message).toContain('test-clip');
  });

  test('an undecodable image: checks.image throws IMAGE_UNDECODABLE; evaluate reports unknown and the policy decides', async ({ page, baseURL }) => {
    const requests = recordRequests(page);
    await openHarness(page);
    const out = await page.evaluate(async (harmful) => {
      const { createGuard, GuardError } = window.vlmGuard;
      const garbage = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3])], { type: 'image/png' });
      const failClosed = await createGuard({ device: 'wasm' });
      const failOpen = await createGuard({ device: 'wasm', policy: { unknownAs: 'safe' } });
      let thrown: { code: string; isGuardError: boolean } | null = null;
      try {
        await failClosed.checks.image(garbage);
      } catch (e) {
        thrown = { code: (e as InstanceType<typeof GuardError>).code, isGuardError: e instanceof GuardError };
      }
      let empty: string | null = null;
      try {
        await failClosed.checks.image(new Blob([]));
      } catch (e) {
        empty = (e as InstanceType<typeof GuardError>).code;
      }
      return {
        thrown,
        empty,
        closed: await failClosed.evaluate({ image: garbage, response: harmful }),
        open: await failOpen.evaluate({ image: garbage, response: harmful }),
      };
    }, HARMFUL);
    expect(out.thrown).toEqual({ code: 'IMAGE_UNDECODABLE', isGuardError: true });
    expect(out.empty).toBe('IMAGE_UNDECODABLE');
    expect(out.closed.image).toMatchObject({ verdict: 'unknown', score: null, error: { code: 'IMAGE_UNDECODABLE' } });
    expect(out.closed.responseCheck.verdict).toBe('unsafe');
    expect(out.closed.decision).toBe('align'); // fail closed: unknown counts as unsafe
    expect(out.closed.response).toBe(HARMFUL); // the vanilla answer is kept
    expect(out.open.decision).toBe('pass');
    expect(out.open.reason).toContain('image unknown (counted as safe)');
    expect(foreignRequests(requests, baseURL!)).toEqual([]);
  });

  test('bad evaluate() input is rejected with INPUT_INVALID', async ({ page }) => {
    await openHarness(page);
    await installPageHelpers(page);
    const codes = await page.evaluate(async () => {
      const guard = await window.vlmGuard.createGuard({ device: 'wasm' });
      const codeOf = (run: () => Promise<unknown>) => run().then(() => null, (e: { code: string }) => e.code);
      return [
        await codeOf(() => guard.evaluate({ image: window.solidImage([1, 2, 3]), response: 42 as unknown as string })),
        await codeOf(() => guard.evaluate({ image: undefined as unknown as Blob, response: 'x' })),
        await codeOf(() => guard.evaluate(null as unknown as { image: Blob; response: string })),
      ];
    });
    expect(codes).toEqual(['INPUT_INVALID', 'INPUT_INVALID', 'INPUT_INVALID']);
  });

  test('dispose stops the workers; later calls fail with DISPOSED', async ({ page }) => {
    await openHarness(page);
    const code = await page.evaluate(async () => {
      const guard = await window.vlmGuard.createGuard({ device: 'wasm' });
      guard.dispose();
      return guard.checks.response('hello').then(() => null, (e: { code: string }) => e.code);
    });
    expect(code).toBe('DISPOSED');
  });

  test('dispose settles running and waiting calls with DISPOSED at once, and every call after it, on every path', async ({ page }) => {
    await scriptTestServer(['stall']); // the VLM answers two chunks, then nothing: respond() is running
    await openHarness(page);
    await installPageHelpers(page);
    const out = await page.evaluate(async (server) => {
      const { createGuard, RemoteGenerator } = window.vlmGuard;
      const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm', retry: { maxRetries: 0 } });
      // unknownAs 'safe' would pass an unreadable answer: a disposed guard must still never decide.
      const guard = await createGuard({ device: 'wasm', generator, policy: { unknownAs: 'safe' }, concurrency: { maxInFlight: 1, maxQueued: 4 } });
      const red = window.solidImage([220, 20, 20]);
      const codeOf = (p: Promise<unknown>) => p.then(() => 'decided', (e: { code: string }) => e.code);
      let firstToken!: () => void;
      const streaming = new Promise<void>((resolve) => (firstToken = resolve));
      // A safe (blue) image: the gate passes tokens as they come, so the first one says respond() is running.
      const running = codeOf(guard.respond({ image: window.solidImage([20, 20, 220]), prompt: 'What is in the picture?' }, { onToken: () => firstToken() }));
      const waiting = codeOf(guard.evaluate({ image: red, response: 'A red square.' }));
      await streaming;
      const load = { ...guard.runtime.load };
      guard.dispose();
      const settled = await Promise.all([running, waiting]);
      const after = await Promise.all([
        codeOf(guard.evaluate({ image: red, response: 'A red square.' })),
        codeOf(guard.respond({ image: red, prompt: 'x' })),
        codeOf(guard.checks.image(red)),
        codeOf(guard.checks.response('x')),
        codeOf(guard.risk.assess({ prompt: 'x' })),
        codeOf(guard.risk.moderate({ text: 'x' })),
        codeOf(guard.runtime.memoryUsage()),
      ]);
      return { load, settled, after };
    }, TEST_SERVER);
    expect(out.load).toMatchObject({ inFlight: 1, queued: 1 });
    // The stalled stream would hold respond() until its 30 s idle timeout; dispose settles it now.
    expect(out.settled).toEqual(['DISPOSED', 'DISPOSED']);
    expect(out.after).toEqual(Array(7).fill('DISPOSED'));
  });

  test('back-pressure covers every path: single checks and the risk service wait in the same queue, and get BUSY beyond it', async ({ page }) => {
    await openHarness(page);
    await installPageHelpers(page);
    const codes = await page.evaluate(async () => {
      const guard = await window.vlmGuard.createGuard({ device: 'wasm', concurrency: { maxInFlight: 1, maxQueued: 1 } });
      const red = window.solidImage([220, 20, 20]);
      const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code: string }) => e.code);
      const calls = [guard.checks.image(red), guard.checks.response('x'), guard.risk.assess({ prompt: 'x' }), guard.checks.similarity(red, 'x'), guard.evaluate({ image: red, response: 'x' })];
      return Promise.all(calls.map(codeOf));
    });
    expect(codes).toEqual(['ok', 'ok', 'BUSY', 'BUSY', 'BUSY']);
  });
});

test('every image form a page has is accepted, and equal pixels hit the embedding cache', async ({ page }) => {
  const photo = fixture('benign-photos/coffee.png');
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async (file) => {
    const guard = await window.vlmGuard.createGuard({ device: 'wasm', imageCacheSize: 2 });
    const blob = window.blobOf(file);
    const url = URL.createObjectURL(blob);
    const img = new Image();
    img.src = url;
    const bitmap = await createImageBitmap(blob);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    canvas.getContext('2d')!.drawImage(bitmap, 0, 0);
    const imageData = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
    const forms: Record<string, Parameters<typeof guard.checks.image>[0]> = {
      blob, file: new File([blob], 'coffee.png', { type: 'image/png' }), objectUrl: url, bitmap, imageData, img, canvas,
      url: '/e2e/harness.html/../../models/manifest.json', // not an image: must fail clearly
    };
    const results: Record<string, { score: number | null; cached: boolean } | { error: string }> = {};
    for (const [name, image] of Object.entries(forms)) {
      try {
        const r = await guard.checks.image(image);
        results[name] = { score: r.score, cached: r.cached };
      } catch (e) {
        results[name] = { error: (e as { code: string }).code };
      }
    }
    const red = window.solidImage([220, 20, 20]);
    const green = window.solidImage([20, 220, 20]);
    await guard.checks.image(red);
    await guard.checks.image(green); // capacity 2: the coffee photo is evicted now
    const afterEviction = await guard.checks.image(blob);
    return { results, afterEviction: afterEviction.cached, stats: guard.runtime.imageCacheStats };
  }, photo);
  // Encoded inputs are keyed by their bytes (a hit needs no decode), decoded ones by pixels.
  const first = out.results.blob as { score: number; cached: boolean };
  expect(first.cached).toBe(false);
  expect(out.results.bitmap).toEqual({ score: first.score, cached: false });
  for (const name of ['file', 'objectUrl', 'imageData', 'img', 'canvas']) {
    expect(out.results[name], name).toEqual({ score: first.score, cached: true });
  }
  expect(out.results.url).toEqual({ error: 'IMAGE_UNDECODABLE' });
  expect(out.afterEviction).toBe(false);
  expect(out.stats.size).toBe(2);
});
