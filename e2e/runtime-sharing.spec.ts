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
