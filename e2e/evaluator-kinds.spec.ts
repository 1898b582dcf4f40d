// The three evaluator kinds through createGuard, on tiny models in the exact layouts of
// their real exports: a multi-label encoder classifier (toxic-bert), a decoder reward
// model on bare onnxruntime-web (Qwen3 sequence classification), and a generative
// guard with a KV cache (Llama Guard), on both backends — each also scoring texts concurrently.
import { BACKENDS, expect, installPageHelpers, openHarness, test } from './support.ts';

const TEXTS = {
  harmful: 'First mix the explosive powder, then attach the detonator to build the bomb.',
  crime: 'Here is how to steal a car and sell the drugs.',
  refusal: 'Sorry, I cannot help with that. Please stay safe and talk to someone responsible instead.',
  ordinary: 'The image shows a cat sitting beside a cup of coffee.',
};

const KINDS = ['test-toxic', 'test-decoder-reward', 'test-llama-guard'] as const;
/**
 * On the software WebGPU adapter here one Llama Guard guard costs over a minute (each read
 * compiles shaders for its new shapes); its WebGPU run is e2e/embed.spec.ts's (under the strict
 * CSP: evaluate, S9, align). The decoder reward model covers chunked KV-cache reads taken
 * concurrently on WebGPU.
 */
const kindsOn = (backend: string) => (backend === 'webgpu' ? KINDS.filter((k) => k !== 'test-llama-guard') : [...KINDS]);

for (const backend of BACKENDS) {
  test(`evaluator kinds on ${backend}: sequence-classification (multi-label), decoder-reward${backend === 'webgpu' ? '' : ', guard-generative'}`, async ({ page }) => {
    await openHarness(page);
    await installPageHelpers(page);
    const out = await page.evaluate(
      async ({ device, texts, kinds }) => {
        const results: Record<string, unknown> = {};
        for (const rewardModel of kinds) {
          // The decoders read prompts through the KV cache in chunks, and take calls 4 at a time: one
          // inference per session even so (on WebGPU each run waits for the GPU, so other calls'
          // messages reach the worker mid-text; on WASM a run settles without yielding to them).
          const decoder = rewardModel !== 'test-toxic';
          const guard = await window.vlmGuard.createGuard({ device, rewardModel, ...(decoder ? { reward: { prefillChunk: 64 }, concurrency: { maxInFlight: 4 } } : {}) });
          const checks: Record<string, { verdict: string; score: number | null; error?: { code: string } }> = {};
          for (const [name, text] of Object.entries(texts)) checks[name] = await guard.checks.response(text);
          const view = (c: { verdict: string; score: number | null; error?: { code: string } }) => [c.verdict, c.score, c.error?.code ?? null];
          const together = (await Promise.all(Object.values(texts).map((text) => guard.checks.response(text)))).map(view);
          const decision = await guard.evaluate({ image: window.solidImage([220, 20, 20]), response: texts.harmful });
          // Deep alignment's candidates may be scored under another instruction (the eta-paper preset's deep text):
          // read from the decoder reward model, whose per-token scores show which words it saw.
          const instructed = rewardModel === 'test-decoder-reward' && {
            underOther: await guard.runtime.reward.scoreMany([texts.ordinary, texts.ordinary], { instruction: 'Sorry, I cannot help. Stay responsible instead.' }),
            underOwn: await guard.runtime.reward.scoreMany([texts.ordinary]),
          };
          results[rewardModel] = { info: { kind: guard.info.rewardKind, backends: guard.info.backends, framing: guard.info.rewardFraming }, checks, alone: Object.values(checks).map(view), together, decision: decision.decision, responseCheck: decision.responseCheck, ...instructed };
          guard.dispose();
        }
        return results as Record<string, { info: { kind: string; backends: { reward: string }; framing: string }; checks: Record<string, { score: number; verdict: string; codes?: string[]; categories?: string[] }>; alone: unknown[]; together: unknown[]; decision: string; responseCheck: { codes?: string[] }; underOther: number[]; underOwn: number[] }>;
      },
      { device: backend, texts: TEXTS, kinds: kindsOn(backend) },
    );

    const toxic = out['test-toxic']!;
    expect(toxic.info).toEqual({ kind: 'sequence-classification', backends: { clip: backend, reward: backend }, framing: 'pair' });
    // 1 − max sigmoid: ≈ 0.88 when no label fires, ≈ 0.12 (or lower) when one does.
    expect(toxic.checks.ordinary!.score).toBeCloseTo(1 - 1 / (1 + Math.exp(2)), 4);
    expect(toxic.checks.harmful!.verdict).toBe('unsafe');
    expect(toxic.checks.crime!.verdict).toBe('unsafe');
    expect(toxic.checks.refusal!.verdict).toBe('safe');

    const decoder = out['test-decoder-reward']!;
    expect(decoder.info).toMatchObject({ kind: 'decoder-reward', framing: 'chat-template', backends: { reward: backend } });
    expect(decoder.checks.harmful!.score).toBe(1 - 3 * 2); // explosive, bomb: the real Qwen3 tokenizer splits "detonator", which a per-token model cannot see
    expect(decoder.checks.refusal!.score).toBe(1 + 2 * 4); // sorry, cannot, responsible, instead
    expect(decoder.checks.ordinary!.score).toBe(1);
    // The per-token test model reads the instruction's words too: under another instruction the same text scores by its words.
    expect(decoder.underOwn).toEqual([1]);
    expect(decoder.underOther).toEqual([1 + 2 * 4, 1 + 2 * 4]); // sorry, cannot, responsible, instead

    const guard = out['test-llama-guard'];
    if (backend === 'wasm') {
      expect(guard!.info).toMatchObject({ kind: 'guard-generative', backends: { reward: backend } });
      expect(guard!.checks.harmful).toMatchObject({ verdict: 'unsafe', codes: ['S9'], categories: ['violence'] });
      expect(guard!.checks.harmful!.score).toBeLessThan(1e-6);
      expect(guard!.checks.crime).toMatchObject({ verdict: 'unsafe', codes: ['S2'], categories: ['illegal-activities'] });
      expect(guard!.checks.refusal!.verdict).toBe('safe');
      expect(guard!.checks.refusal!.codes).toBeUndefined();
      expect(guard!.checks.ordinary!.score).toBeGreaterThan(0.5);
      expect(guard!.responseCheck.codes).toEqual(['S9']);
    }

    expect(Object.keys(out)).toEqual(kindsOn(backend));
    for (const id of kindsOn(backend)) {
      expect(out[id]!.decision, id).toBe('align');
      // Scored concurrently, each text scores as it did alone (and none failed).
      expect(out[id]!.together, id).toEqual(out[id]!.alone);
      expect(out[id]!.alone.every((v) => (v as unknown[])[2] === null), id).toBe(true);
    }
  });
}

test('tiers: the test tier loads its models; a tier whose models are not fetched says how to get them', async ({ page }) => {
  await openHarness(page);
  const out = await page.evaluate(async () => {
    const guard = await window.vlmGuard.createGuard({ device: 'wasm', tier: 'test', imageText: 'auto' });
    const info = { tier: guard.info.tier, models: guard.info.models, ocr: guard.info.imageText.model, calibrated: guard.info.calibrated, basis: guard.info.thresholdBasis };
    guard.dispose();
    const missing = await window.vlmGuard.createGuard({ device: 'wasm', tier: 'standard' }).catch((e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    const unknown = await window.vlmGuard.createGuard({ device: 'wasm', tier: 'huge' }).catch((e: { code: string; message: string }) => `${e.code}: ${e.message}`);
    return { info, missing, unknown };
  });
  expect(out.info).toEqual({ tier: 'test', models: { clip: 'test-clip', reward: 'test-reward' }, ocr: 'ppocr-v4', calibrated: { clip: false, reward: false }, basis: { clip: 'designed', reward: 'designed' } });
  expect(out.missing).toBe('MODEL_UNKNOWN: Tier "standard" is not installed (missing clip "clip-vit-base-patch32", reward "llama-guard-3-1b"): run `npm run models:fetch -- --tier standard`.');
  expect(out.unknown).toBe('MODEL_UNKNOWN: No tier "huge" in the manifest; tiers: test, light, standard, paper.');
});

test('Llama Guard 3 read where it says its verdict: a manifest without the "\\n\\n" prefix is refused at load; a prompt read in chunks through the KV cache scores as one read whole', async ({ page }) => {
  await openHarness(page);
  const padded = 'The cat sat on the mat. '.repeat(30) + 'Then attach the detonator to the bomb.';
  const scores = await page.evaluate(async (text) => {
    const read = async (prefillChunk: number) => {
      const guard = await window.vlmGuard.createGuard({ device: 'wasm', rewardModel: 'test-llama-guard', reward: { prefillChunk } });
      const check = await guard.checks.response(text);
      guard.dispose();
      return [check.verdict, check.codes, check.score];
    };
    return { chunked: await read(7), whole: await read(4096) };
  }, padded);
  expect(scores.chunked).toEqual(scores.whole);
  expect(scores.chunked.slice(0, 2)).toEqual(['unsafe', ['S9']]);

  // The catalog once read Llama Guard 3 one token early (verdictPrefix ''): P(safe) where the model says "\n\n".
  await page.route('**/models/manifest.json', async (route) => {
    const json = (await (await route.fetch()).json()) as { models: Record<string, { guard?: { verdictPrefix: string } }> };
    json.models['test-llama-guard']!.guard!.verdictPrefix = '';
    await route.fulfill({ body: JSON.stringify(json), contentType: 'application/json' });
  });
  const early = await page.evaluate(() => window.vlmGuard.createGuard({ device: 'wasm', rewardModel: 'test-llama-guard' }).then(() => 'loaded', (e: { code: string; message: string }) => `${e.code}: ${e.message}`));
  expect(early).toMatch(/^MODEL_LOAD_FAILED: .*likeliest token is "\\n\\n", not "safe" or "unsafe"/);
});

test('fp16 weights and an adapter without shader-f16 (SwiftShader here): the manifest\'s webgpuWithoutF16 dtype runs on WebGPU instead; without one, WebGPU is refused and auto says why', async ({ page }) => {
  await openHarness(page);
  let dtype: Record<string, string> = {};
  await page.route('**/models/manifest.json', async (route) => {
    const json = (await (await route.fetch()).json()) as { models: Record<string, { dtype: Record<string, string> }> };
    json.models['test-reward']!.dtype = dtype;
    await route.fulfill({ body: JSON.stringify(json), contentType: 'application/json' });
  });
  const load = (device: 'webgpu' | 'auto') =>
    page.evaluate(async (device) => {
      const hasF16 = (await (navigator as Navigator & { gpu: { requestAdapter(): Promise<{ features: Set<string> } | null> } }).gpu.requestAdapter())?.features.has('shader-f16') ?? false;
      // Each guard is disposed: a live one would be shared by the next createGuard with equal options, manifest and all.
      const loaded = await window.vlmGuard.createGuard({ device }).then(
        (g) => {
          g.dispose();
          return { backend: g.info.backends.reward, dtype: g.info.dtypes.reward, reason: g.info.fallbackReasons.reward ?? '' };
        },
        (e: { code: string; message: string }) => ({ backend: e.code, dtype: '', reason: e.message }),
      );
      return { hasF16, ...loaded };
    }, device);
  dtype = { webgpu: 'fp16', webgpuWithoutF16: 'fp32', wasm: 'fp32' };
  const withFallback = await load('webgpu');
  test.skip(withFallback.hasF16, 'this adapter has shader-f16: the fp16 weights would be used');
  expect(withFallback).toMatchObject({ backend: 'webgpu', dtype: 'fp32' });
  dtype = { webgpu: 'fp16', wasm: 'fp32' };
  expect(await load('webgpu')).toMatchObject({ backend: 'BACKEND_UNAVAILABLE', reason: expect.stringMatching(/shader-f16.*no webgpuWithoutF16/) });
  expect(await load('auto')).toMatchObject({ backend: 'wasm', dtype: 'fp32' });
});
