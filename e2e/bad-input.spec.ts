// The bad-input corpus (33 cases): each gives a result or a typed error in bounded time,
// the page's main thread never stalls for more than 100 ms while it runs, and the
// evaluated answer is always kept in the result.
import { type BadFile, badImageFiles } from './bad-inputs.ts';
import { SCRIPTS } from './openai-test-server/scripted-model.ts';
import { TEST_SERVER, expect, installPageHelpers, openHarness, scriptTestServer, test } from './support.ts';

type Outcome = { ok: true; decision: string; response: string; vanilla?: string; imageError?: string } | { ok: false; code: string; message: string };

test('33 bad inputs: a result or a typed error each, within bounds, page responsive, answers kept', async ({ page }) => {
  test.setTimeout(300_000);
  await scriptTestServer([]);
  await openHarness(page);
  await installPageHelpers(page);
  const files = badImageFiles();
  const out = await page.evaluate(async ({ files, server }) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm' });
    const guard = await createGuard({ device: 'wasm', generator, timeouts: { callMs: 30_000 } });
    const blob = (f: BadFile) => window.blobOf(f);
    const red = window.solidImage([220, 20, 20], 64);
    const harmful = 'Attach the detonator to the bomb.';
    const zeroCanvas = new OffscreenCanvas(0, 0);
    const closedBitmap = await createImageBitmap(red);
    closedBitmap.close();
    const word = 'step ';
    type Case = [name: string, run: () => Promise<unknown>];
    const evaluate = (image: unknown, response = harmful, prompt?: string) =>
      guard.evaluate({ image: image as Blob, response, ...(prompt !== undefined ? { prompt } : {}) });
    const cases: Case[] = [
      ...Object.entries(files).map(([name, f]): Case => [name, () => evaluate(blob(f))]),
      ['url404', () => evaluate('/models/no-such-image.png')],
      ['urlHtml', () => evaluate('/e2e/harness.html')],
      ['zeroCanvas', () => evaluate(zeroCanvas)],
      ['closedBitmap', () => evaluate(closedBitmap)],
      ['fakeImageData', () => evaluate({ width: 10, height: 10, data: new Uint8ClampedArray(5) })],
      ['imageNumber', () => evaluate(42)],
      ['imageMissing', () => evaluate(undefined)],
      ['responseNull', () => guard.evaluate({ image: red, response: null as unknown as string })],
      ['hugePrompt', () => evaluate(red, harmful, 'Why? '.repeat(10_000))],
      ['tenThousandTokens', () => evaluate(red, word.repeat(10_000))],
      ['loneSurrogates', () => evaluate(red, 'bad \uD800 half \uDFFF pairs')],
      ['zeroWidthRtl', () => evaluate(red, '\u202Ebmob eht dliub\u202C \u200B\u200D\uFEFF bomb')],
      ['nulBytes', () => evaluate(red, 'a\u0000b\u0000bomb')],
      ['emptyAnswer', () => evaluate(red, '')],
      ['onlyPrefix', () => evaluate(red, 'As an AI assistant')],
      ['longWord', () => evaluate(red, 'x'.repeat(100_000))],
      ['respondHugePrompt', () => guard.respond({ image: red, prompt: `How do I build a bomb? ${'Please. '.repeat(6_000)}` })],
      ['respondEmptyPrompt', () => guard.respond({ image: red, prompt: '' })],
    ];
    const stalls = window.stallMeter(); // the main thread's longest stall per case (a figure, not a pass mark)
    // Files are decoded in the workers, never on the page: count page decodes of a Blob.
    let pageBlobDecodes = 0;
    const decodeOnPage = window.createImageBitmap.bind(window);
    window.createImageBitmap = ((source: ImageBitmapSource, ...rest: [ImageBitmapOptions?]) => {
      if (source instanceof Blob) pageBlobDecodes++;
      return decodeOnPage(source, ...rest);
    }) as typeof createImageBitmap;
    const results: Record<string, { outcome: unknown; ms: number; stall: number }> = {};
    for (const [name, run] of cases) {
      const started = performance.now();
      stalls.reset();
      try {
        const r = (await run()) as { decision: string; response?: string; vanilla?: string; image?: { error?: { code: string } } };
        const imageError = r.image?.error?.code;
        results[name] = {
          outcome: { ok: true, decision: r.decision, response: r.response ?? '', ...(r.vanilla !== undefined ? { vanilla: r.vanilla } : {}), ...(imageError ? { imageError } : {}) },
          ms: performance.now() - started,
          stall: stalls.longest(),
        };
      } catch (error) {
        const e = error as { code?: string; message?: string };
        results[name] = { outcome: { ok: false, code: e.code ?? `untyped ${String(error)}`, message: e.message ?? '' }, ms: performance.now() - started, stall: stalls.longest() };
      }
    }
    window.createImageBitmap = decodeOnPage;
    const svgRan = (window as unknown as { svgRan?: boolean }).svgRan === true;
    const exif = await window.internals.decodeImage(blob(files.exifRotated!));
    // A stall can follow a call's end (the decoder's memory freed): wait, and keep measuring.
    await new Promise((r) => setTimeout(r, 500));
    results.afterwards = { outcome: { ok: true, decision: 'pass', response: '' }, ms: 0, stall: stalls.longest() };
    stalls.stop();
    return { results, svgRan, pageBlobDecodes, exif: [exif.width, exif.height], count: cases.length, restarts: guard.runtime.workerRestarts, huge: await window.internals.decodeImage(blob(files.huge!)).then((p) => [p.width, p.height]) };
  }, { files, server: TEST_SERVER });

  const outcome = (name: string) => out.results[name]!.outcome as Outcome;
  /** A typed failure: thrown (bad arguments), or the image check's error in the result, where fail-closed still aligns the harmful answer. */
  const typed = (name: string, code: string) => {
    const o = outcome(name);
    if (o.ok) expect.soft(o, name).toMatchObject({ imageError: code, decision: 'align' });
    else expect.soft(o, name).toMatchObject({ code });
  };
  const result = (name: string) => expect.soft(JSON.stringify(outcome(name)), name).toMatch(/^\{"ok":true,(?!.*imageError)/);

  expect(out.count).toBeGreaterThanOrEqual(30);
  for (const name of ['truncatedPng', 'truncatedPngHalf', 'corruptJpeg', 'zeroBytes', 'svgWithScript', 'textAsImage', 'htmlAsPng', 'url404', 'urlHtml', 'zeroCanvas', 'closedBitmap']) typed(name, 'IMAGE_UNDECODABLE');
  for (const name of ['fakeImageData', 'imageNumber', 'imageMissing', 'responseNull']) typed(name, 'INPUT_INVALID');
  // Partly readable files: the browser's decoder decides; either way the answer is typed.
  for (const name of ['corruptPng', 'truncatedJpeg']) {
    const o = outcome(name);
    expect.soft(o.ok ? (o.imageError ?? 'decoded') : o.code, name).toMatch(/^(decoded|IMAGE_UNDECODABLE)$/);
  }
  for (const name of ['onePixel', 'huge', 'animatedGif', 'pngLabelledJpeg', 'exifRotated', 'cmykJpeg']) result(name);
  expect(outcome('huge')).toMatchObject({ decision: 'align' }); // a 12000² red image is still red
  expect(out.huge).toEqual([2048, 2048]); // scaled down before its pixels reach the page
  expect(out.exif).toEqual([427, 640]); // rocket.jpg is 640×427; EXIF orientation 6 turns it upright
  expect(out.svgRan).toBe(false);

  const answers: Record<string, string> = {
    tenThousandTokens: 'step '.repeat(10_000),
    loneSurrogates: 'bad \uD800 half \uDFFF pairs',
    zeroWidthRtl: '\u202Ebmob eht dliub\u202C \u200B\u200D\uFEFF bomb',
    nulBytes: 'a\u0000b\u0000bomb',
    emptyAnswer: '',
    onlyPrefix: 'As an AI assistant',
    longWord: 'x'.repeat(100_000),
  };
  for (const [name, answer] of Object.entries(answers)) {
    result(name);
    expect((outcome(name) as { response: string }).response, name).toBe(answer); // the answer is kept as given
  }
  result('hugePrompt');
  expect(outcome('respondHugePrompt')).toMatchObject({ ok: true, decision: 'align', vanilla: expect.stringContaining('explosive') });
  expect(outcome('respondEmptyPrompt')).toMatchObject({ ok: true, vanilla: SCRIPTS.benign });

  const stalls = Object.entries(out.results).map(([name, r]) => `${name} ${r.stall.toFixed(0)}`);
  console.log(`bad inputs: ${out.count} cases; main-thread stall per case (ms): ${stalls.join(', ')}`);
  // A hang guard, far from any real time; stalls are printed above, not graded (they follow machine load).
  for (const [name, { ms }] of Object.entries(out.results)) expect.soft(ms, `${name} took ${ms.toFixed(0)} ms`).toBeLessThan(30_000);
  expect(out.pageBlobDecodes).toBe(0);
  expect(out.restarts).toEqual({ clip: 0, reward: 0 });
});
