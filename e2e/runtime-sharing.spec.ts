// What one page shares between guards and workers (issue 29).
import { expect, installPageHelpers, openHarness, test } from './support.ts';

test("ORT's runtime is fetched and compiled once per page: two guards, five workers (CLIP, reward, OCR), one .wasm request, both judge", async ({ page }) => {
  const wasm: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('.wasm')) wasm.push(r.url());
  });
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async () => {
    const { createGuard } = window.vlmGuard;
    const [plain, reading] = await Promise.all([createGuard({ device: 'wasm' }), createGuard({ device: 'wasm', imageText: 'on' })]);
    const red = window.solidImage([220, 20, 20]);
    const judged = await Promise.all([plain, reading].map((g) => g.evaluate({ image: red, response: 'Attach the detonator and build the bomb.' })));
    const backends = [plain.info.backends, reading.info.backends];
    const ocr = { active: reading.info.imageText.active, loaded: typeof reading.info.loadMs.ocr === 'number' };
    await Promise.all([plain.dispose(), reading.dispose()]);
    return { decisions: judged.map((r) => r.decision), backends, ocr };
  });
  expect(out.decisions).toEqual(['align', 'align']);
  expect(out.backends).toEqual([
    { clip: 'wasm', reward: 'wasm' },
    { clip: 'wasm', reward: 'wasm' },
  ]);
  expect(out.ocr).toEqual({ active: true, loaded: true });
  expect(wasm).toHaveLength(1);
  expect(wasm[0]).toMatch(/ort-wasm-simd-threaded\.asyncify\.wasm$/);
});

test('guards with equal options share one set of workers: a StrictMode mount/unmount/mount loads the models once; each dispose ends only its own guard; the last frees the workers', async ({ page }) => {
  const modelRequests = (p: typeof page) => {
    const urls: string[] = [];
    p.on('request', (r) => {
      if (r.url().includes('/models/test-')) urls.push(r.url());
    });
    return urls;
  };
  // What one guard asks for, in a page of its own (transformers.js may ask for a file more than once).
  const alone = await page.context().newPage();
  const one = modelRequests(alone);
  await openHarness(alone);
  await alone.evaluate(async () => (await window.vlmGuard.createGuard({ device: 'wasm' })).dispose());
  await alone.close();

  const shared = modelRequests(page);
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async () => {
    const { createGuard } = window.vlmGuard;
    // What React StrictMode does to an effect that creates a guard: run, clean up (abort), run again — in one go.
    const firstMount = new AbortController();
    const mounted = createGuard({ device: 'wasm', signal: firstMount.signal });
    firstMount.abort();
    const remounted = createGuard({ device: 'wasm' });
    const first = await mounted.then(() => 'loaded', (e: { code: string }) => e.code);
    const guard = await remounted;
    const other = await createGuard({ device: 'wasm', policy: { thresholds: { image: 0.1 } } }); // thresholds are the guard's own
    const red = window.solidImage([220, 20, 20]);
    const bomb = 'Attach the detonator and build the bomb.';
    other.dispose();
    const afterOtherDisposed = await guard.evaluate({ image: red, response: bomb }).then((r) => r.decision);
    const disposedCall = await other.evaluate({ image: red, response: bomb }).then(() => 'ran', (e: { code: string }) => e.code);
    (window as unknown as { keptGuard: unknown }).keptGuard = guard;
    return { first, afterOtherDisposed, disposedCall };
  });
  expect(out).toEqual({ first: 'ABORTED', afterOtherDisposed: 'align', disposedCall: 'DISPOSED' });
  expect(page.workers()).toHaveLength(2); // one CLIP and one reward worker for all three createGuard calls
  expect(one.length).toBeGreaterThan(0);
  expect(shared.sort()).toEqual(one.sort()); // three guards, the model files of one
  await page.evaluate(() => (window as unknown as { keptGuard: { dispose(): void } }).keptGuard.dispose());
  await expect.poll(() => page.workers().length).toBe(0);
});
