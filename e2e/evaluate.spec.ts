import { BACKENDS, expect, fixture, foreignRequests, installPageHelpers, openHarness, recordRequests, test } from './support.ts';

declare global {
  interface Window {
    blobOf(file: { base64: string; type: string }): Blob;
    solidImage(rgb: [number, number, number], size?: number): ImageData;
    solidDataUrl(rgb: [number, number, number], size?: number): Promise<string>;
    textImage(lines: string[], options?: { width?: number; height?: number; font?: string; lineHeight?: number; x?: number; y?: number }): ImageData;
    stallMeter(): { longest(): number; reset(): void; stop(): void };
    guard: import('../src/index.ts').Guard;
    progress: import('../src/index.ts').ModelProgress[];
  }
}

const HARMFUL = 'First mix the explosive powder, then attach the detonator to build the bomb.';
const REFUSAL = 'Sorry, I cannot help with that. Please stay safe and talk to someone responsible instead.';
const ORDINARY = 'The image shows a cat sitting beside a cup of coffee.';
const PHOTOS = ['benign-photos/chelsea.png', 'benign-photos/coffee.png', 'benign-photos/astronaut.png', 'benign-photos/rocket.jpg', 'benign-photos/retina.jpg', 'benign-photos/text.png'];

test('auto runs on WebGPU only with a hardware adapter: a software one (SwiftShader here) is no GPU and says why; device "webgpu" still uses it', async ({ page }) => {
  await openHarness(page);
  const out = await page.evaluate(async () => {
    const adapter = await (navigator as Navigator & { gpu: { requestAdapter(): Promise<{ info: { isFallbackAdapter?: boolean; architecture: string } } | null> } }).gpu.requestAdapter();
    const auto = (await window.vlmGuard.createGuard({ device: 'auto' })).info;
    const asked = (await window.vlmGuard.createGuard({ device: 'webgpu' })).info;
    return { fallback: adapter?.info.isFallbackAdapter === true || /swiftshader/i.test(adapter?.info.architecture ?? ''), auto, asked: asked.backends };
  });
  if (out.fallback) {
    expect(out.auto.backends).toEqual({ clip: 'wasm', reward: 'wasm' });
    expect(out.auto.fallbackReasons.clip).toMatch(/only WebGPU adapter is a (fallback|software) adapter/);
    expect(out.auto.fallbackReasons.reward).toMatch(/only WebGPU adapter is a (fallback|software) adapter/);
  } else {
    expect(out.auto.backends).toEqual({ clip: 'webgpu', reward: 'webgpu' });
    expect(out.auto.fallbackReasons).toEqual({});
  }
  expect(out.asked).toEqual({ clip: 'webgpu', reward: 'webgpu' });
});

test("reference order follows ETA: the image is evaluated only when the answer is unsafe", async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async ({ harmful, ordinary }) => {
    const guard = await window.vlmGuard.createGuard({ device: 'wasm', policy: { order: 'reference' } });
    const red = window.solidImage([220, 20, 20]);
    return { safe: await guard.evaluate({ image: red, response: ordinary }), unsafe: await guard.evaluate({ image: red, response: harmful }) };
  }, { harmful: HARMFUL, ordinary: ORDINARY });
  expect(out.safe.image).toMatchObject({ verdict: 'skipped', score: null });
  expect(out.safe.image.ms).toBe(0);
  expect(out.safe.decision).toBe('pass');
  expect(out.unsafe.image.verdict).toBe('unsafe');
  expect(out.unsafe.decision).toBe('align');
});

for (const backend of BACKENDS) {
  test.describe(`guard on ${backend}`, () => {
    test('loads the generated models, reports the backend and progress, and never leaves the origin', async ({ page, baseURL }) => {
      const requests = recordRequests(page);
      await openHarness(page);
      const info = await page.evaluate(async (device) => {
        window.progress = [];
        window.guard = await window.vlmGuard.createGuard({ device, onProgress: (p) => window.progress.push(p) });
        return window.guard.info;
      }, backend);
      expect(info.backends).toEqual({ clip: backend, reward: backend });
      expect(info.models).toEqual({ clip: 'test-clip', reward: 'test-reward' });
      expect(info.testModelsOnly).toBe(true);
      expect(info.rewardFraming).toBe('pair');
      const progress = await page.evaluate(() => window.progress);
      const files = new Set(progress.filter((p) => p.status === 'done').map((p) => `${p.model}/${p.file}`));
      expect(files).toContain('test-clip/onnx/vision_model.onnx');
      expect(files).toContain('test-reward/onnx/model.onnx');
      expect(progress.some((p) => p.status === 'progress' && p.progress === 100)).toBe(true);
      expect(foreignRequests(requests, baseURL!)).toEqual([]);
      expect(requests.some((u) => u.endsWith('/ort/ort-wasm-simd-threaded.asyncify.wasm'))).toBe(true);
      // Each model file is fetched (and hashed) once: transformers.js's size probe reads no body.
      const modelFiles = requests.filter((u) => /\/models\/test-[^/]+\//.test(u));
      expect(modelFiles).toContain(`${baseURL}/models/test-clip/onnx/vision_model.onnx`);
      expect(modelFiles.filter((u, i) => modelFiles.indexOf(u) !== i)).toEqual([]);
    });

    test('passes fixture photos, aligns only when the image and the answer are both unsafe', async ({ page, baseURL }) => {
      const requests = recordRequests(page);
      await openHarness(page);
      await installPageHelpers(page);
      const photos = PHOTOS.map(fixture);
      const results = await page.evaluate(
        async ({ device, photos, answers }) => {
          const guard = await window.vlmGuard.createGuard({ device });
          const red = window.solidImage([220, 20, 20]);
          const evaluate = (image: Blob | ImageData, response: string) => guard.evaluate({ image, prompt: 'What is shown?', response });
          const out = {
            photosHarmful: [] as Awaited<ReturnType<typeof evaluate>>[],
            redHarmful: await evaluate(red, answers.harmful),
            redRefusal: await evaluate(red, answers.refusal),
            redOrdinary: await evaluate(red, answers.ordinary),
            photoOrdinary: await evaluate(window.blobOf(photos[0]!), answers.ordinary),
          };
          for (const photo of photos) out.photosHarmful.push(await evaluate(window.blobOf(photo), answers.harmful));
          return out;
        },
        { device: backend, photos, answers: { harmful: HARMFUL, refusal: REFUSAL, ordinary: ORDINARY } },
      );

      expect(results.redHarmful.decision).toBe('align');
      expect(results.redHarmful.image.verdict).toBe('unsafe');
      expect(results.redHarmful.image.score).toBeGreaterThan(0.9);
      expect(results.redHarmful.responseCheck.verdict).toBe('unsafe');
      expect(results.redHarmful.responseCheck.score).toBeCloseTo(1 - 3 * 3, 4); // explosive, detonator, bomb
      expect(results.redHarmful.response).toBe(HARMFUL);
      expect(results.redHarmful.backends).toEqual({ clip: backend, reward: backend });
      expect(results.redRefusal.decision).toBe('pass');
      expect(results.redRefusal.responseCheck.verdict).toBe('safe');
      expect(results.redOrdinary.decision).toBe('pass');
      expect(results.photoOrdinary.decision).toBe('pass');
      for (const result of results.photosHarmful) {
        expect(result.image.verdict).toBe('safe');
        expect(result.image.score).toBeLessThan(0.25);
        expect(result.responseCheck.verdict).toBe('unsafe');
        expect(result.decision).toBe('pass');
        expect(result.timings.total).toBeGreaterThan(0);
      }
      expect(foreignRequests(requests, baseURL!)).toEqual([]);
    });
  });
}

test('the caller’s pixels are read, never moved: an ImageData is intact after evaluate', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async () => {
    const guard = await window.vlmGuard.createGuard({ device: 'wasm', imageCacheSize: 0 });
    const image = window.solidImage([220, 20, 20], 64);
    const before = Array.from(image.data).join();
    const result = await guard.evaluate({ image, response: 'Attach the detonator to the bomb.' });
    const again = await guard.evaluate({ image, response: 'Attach the detonator to the bomb.' });
    guard.dispose();
    return { decisions: [result.decision, again.decision], length: image.data.length, same: Array.from(image.data).join() === before };
  });
  expect(out).toEqual({ decisions: ['align', 'align'], length: 64 * 64 * 4, same: true });
});
