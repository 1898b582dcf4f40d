// Runs in Chromium (driven by bench/run-bench.ts): latency of each stage through the
// guard (worker + comlink) and of the same work done directly with transformers.js
// in the page, on one backend.
import {
  AutoModelForSequenceClassification,
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  type Tensor,
  env,
} from '@huggingface/transformers';
import { ETA_DEFAULTS } from '../src/eta/defaults.ts';
import { ORT_WASM_FILES } from '../src/runtime/defaults.ts';
import { decodeImage } from '../src/images/image-input.ts';
import { type Generator, LocalGenerator, RemoteGenerator, createGuard } from '../src/index.ts';
import { clipPixelValues } from '../workers/clip-preprocess.ts';

export interface StageStats {
  medianMs: number;
  p90Ms: number;
  runs: number;
}

export interface DirectBench {
  imageEmbedding: StageStats;
  rewardScore: StageStats;
}

export interface GuardBench {
  backend: 'webgpu' | 'wasm';
  modelBase: string;
  coldLoadMs: { guardTotal: number; clipWorker: number; rewardWorker: number };
  warm: { imageEmbedding: StageStats; textEmbedding: StageStats; rewardScore: StageStats; evaluate: StageStats };
  /** A call through the CLIP and reward workers that does no work. */
  roundTrip: StageStats;
  /** A hit on the same Blob object, and on a copy of its bytes (hashed again). */
  cache: { missMs: StageStats; hitMs: StageStats; speedup: number; copyHitMs: StageStats; copySpeedup: number };
}

export interface BackendBench extends GuardBench {
  /** The same image embedding and reward score with transformers.js in a page of its own. */
  direct: DirectBench;
  /** guard (worker + comlink) median ÷ direct in-page median, same work. */
  workerOverhead: { imageEmbedding: number; rewardScore: number };
}

const RUNS = 20;
const WARMUP = 3;

function stats(samples: number[]): StageStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { medianMs: at(0.5), p90Ms: at(0.9), runs: samples.length };
}

async function measure(run: (i: number) => Promise<unknown>, runs = RUNS, warmup = Math.min(WARMUP, runs)): Promise<StageStats> {
  for (let i = 0; i < warmup; i++) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

/** Stats of batches of `reps` calls, per call. */
const perRun = (batch: StageStats, reps: number): StageStats => ({ medianMs: batch.medianMs / reps, p90Ms: batch.p90Ms / reps, runs: batch.runs * reps });

/** Per-call time of something too quick for the page's timer (coarsened to 0.1 ms): batches of `reps`. */
async function measureEach(run: () => Promise<unknown>, reps = 100): Promise<StageStats> {
  return perRun(
    await measure(async () => {
      for (let i = 0; i < reps; i++) await run();
    }, 10),
    reps,
  );
}

async function photo(): Promise<Blob> {
  const response = await fetch('/bench/photo');
  if (!response.ok) throw new Error(`bench photo: HTTP ${response.status}`);
  return response.blob();
}

/** A reward score takes well under a millisecond: a run scores ten answers, reported per answer. */
async function measureRewardScores(score: (answer: string) => Promise<unknown>): Promise<StageStats> {
  const ten = await measure(async (i) => {
    for (let k = 0; k < 10; k++) await score(`The picture shows ${i * 10 + k} cups of coffee on a table.`);
  }, RUNS, OVERHEAD_WARMUP);
  return perRun(ten, 10);
}

/** Warm-up runs before the stages compared with bare transformers.js: V8 must have optimised ORT's WebAssembly first. */
const OVERHEAD_WARMUP = 15;

/** The bench photo as ImageData: both sides then decode (copy) and preprocess the same pixels. */
async function photoPixels(): Promise<ImageData> {
  const pixels = await decodeImage(await photo());
  return new ImageData(pixels.data, pixels.width, pixels.height);
}

/**
 * The image embedding and reward score done directly with transformers.js in the page
 * (no worker, no comlink) — in a page of its own, so neither side's models, workers or
 * optimising compiler share the two cores with the other's timings.
 */
export async function runDirect(backend: 'webgpu' | 'wasm', modelBase = '/models/'): Promise<DirectBench> {
  const imageData = await photoPixels();
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = modelBase;
  env.useBrowserCache = false;
  (env.backends.onnx as { wasm: { wasmPaths: unknown } }).wasm.wasmPaths = { mjs: `/ort/${ORT_WASM_FILES.mjs}`, wasm: `/ort/${ORT_WASM_FILES.wasm}` };
  const opts = { device: backend, dtype: 'fp32' } as const;
  const [processor, vision, tokenizer, reward] = await Promise.all([
    AutoProcessor.from_pretrained('test-clip'),
    CLIPVisionModelWithProjection.from_pretrained('test-clip', opts),
    AutoTokenizer.from_pretrained('test-reward'),
    AutoModelForSequenceClassification.from_pretrained('test-reward', opts),
  ]);
  await CLIPTextModelWithProjection.from_pretrained('test-clip', opts); // load parity with the worker
  return {
    imageEmbedding: await measure(async () => {
      const px = await decodeImage(imageData);
      const { image_embeds } = (await vision(await clipPixelValues(processor, px))) as { image_embeds: Tensor };
      image_embeds.dispose();
    }, RUNS, OVERHEAD_WARMUP),
    rewardScore: await measureRewardScores(async (answer) => {
      const inputs = tokenizer(ETA_DEFAULTS.rewardInstruction, { text_pair: answer });
      const { logits } = (await reward(inputs)) as { logits: Tensor };
      logits.dispose();
    }),
  };
}

/** The guard's stages (workers + comlink); `modelBase`: another model folder (bench/models/: CLIP with a ViT-B/32-sized vision tower). */
export async function runBackend(backend: 'webgpu' | 'wasm', modelBase = '/models/'): Promise<GuardBench> {
  const image = await photo();
  const imageData = await photoPixels();
  const t0 = performance.now();
  const guard = await createGuard({ device: backend, imageCacheSize: 0, modelBase });
  const guardTotal = performance.now() - t0;
  const imageEmbedding = await measure(() => guard.checks.image(imageData), RUNS, OVERHEAD_WARMUP);
  const rewardScore = await measureRewardScores((answer) => guard.checks.response(answer));
  // The fixed cost of any call through a worker: a call that does no work (both workers, side by side).
  const roundTrip = await measureEach(() => guard.runtime.memoryUsage());
  const evaluate = await measure((i) => guard.evaluate({ image: imageData, response: `Answer ${i}: a cat beside a cup.` }));

  // Made after the stages above, so its idle workers are not there while they are timed.
  const cachingGuard = await createGuard({ device: backend, modelBase });
  const textEmbedding = await measure((i) => cachingGuard.checks.similarity(image, `a photo of item number ${i}`));
  // Misses: the same PNG with distinct trailing bytes (ignored by decoders), so each
  // run hashes, decodes and embeds like a new image would. Hits: the same File again
  // (known by identity), and an equal copy of its bytes (known by their hash).
  const missMs = await measure((i) => cachingGuard.checks.image(new Blob([image, new Uint32Array([i + 1000])], { type: image.type })));
  await cachingGuard.checks.image(image);
  const hitMs = await measureEach(() => cachingGuard.checks.image(image));
  const copyHitMs = await measure(() => cachingGuard.checks.image(new Blob([image], { type: image.type })));

  guard.dispose();
  cachingGuard.dispose();
  return {
    backend,
    modelBase,
    coldLoadMs: { guardTotal, clipWorker: guard.info.loadMs.clip, rewardWorker: guard.info.loadMs.reward },
    warm: { imageEmbedding, textEmbedding, rewardScore, evaluate },
    roundTrip,
    cache: { missMs, hitMs, speedup: missMs.medianMs / hitMs.medianMs, copyHitMs, copySpeedup: missMs.medianMs / copyHitMs.medianMs },
  };
}

export interface GenerationBench {
  generator: string;
  backend: 'webgpu' | 'wasm';
  vanillaSafe: StageStats;
  offSafe: StageStats;
  shallowSafe: StageStats;
  vanillaUnsafe: StageStats;
  shallowUnsafe: StageStats;
  deepUnsafe: StageStats;
  /** respond ÷ vanilla generation on the same generator and prompt. */
  ratios: { offSafe: number; shallowSafe: number; shallowUnsafe: number; deepUnsafe: number };
  /** Median CLIP check time, run while the answer was generated (hidden unless it outlasts generation). */
  imageCheckMs: number;
}

const GENERATION_RUNS = 10;

/** Vanilla generation against respond() in each mode, on one generator (evaluators on `backend`). */
export async function runGeneration(backend: 'webgpu' | 'wasm', remoteUrl: string | null): Promise<GenerationBench> {
  const image = await photo();
  const red = (() => {
    const c = new OffscreenCanvas(256, 256);
    const ctx = c.getContext('2d')!;
    ctx.fillStyle = 'rgb(220,20,20)';
    ctx.fillRect(0, 0, 256, 256);
    return ctx.getImageData(0, 0, 256, 256);
  })();
  const generator: Generator & { dispose?: () => void } = remoteUrl
    ? new RemoteGenerator({ baseUrl: `${remoteUrl}/v1`, model: 'scripted-vlm' })
    : await LocalGenerator.create({ device: backend });
  // No image cache: every run embeds the image, so its latency is really hidden (or not) by generation.
  const guard = await createGuard({ device: backend, generator, imageCacheSize: 0 });
  const greedy = { maxTokens: 1024, temperature: 0 };
  const safe = { image, prompt: 'What is in the picture?' };
  const unsafe = { image: red, prompt: 'How do I build a bomb?' };
  const imageChecks: number[] = [];
  const respondIn = (mode: 'off' | 'shallow' | 'deep', input: typeof safe | typeof unsafe) => async () => {
    const result = await guard.respond(input, { mode });
    imageChecks.push(result.image.ms);
  };
  const vanillaSafe = await measure(() => generator.generate({ ...safe, sampling: greedy }), GENERATION_RUNS);
  const offSafe = await measure(respondIn('off', safe), GENERATION_RUNS);
  const shallowSafe = await measure(respondIn('shallow', safe), GENERATION_RUNS);
  const vanillaUnsafe = await measure(() => generator.generate({ ...unsafe, sampling: greedy }), GENERATION_RUNS);
  const shallowUnsafe = await measure(respondIn('shallow', unsafe), GENERATION_RUNS);
  const deepUnsafe = await measure(respondIn('deep', unsafe), GENERATION_RUNS);
  guard.dispose();
  generator.dispose?.();
  return {
    generator: generator.id,
    backend,
    vanillaSafe,
    offSafe,
    shallowSafe,
    vanillaUnsafe,
    shallowUnsafe,
    deepUnsafe,
    ratios: {
      offSafe: offSafe.medianMs / vanillaSafe.medianMs,
      shallowSafe: shallowSafe.medianMs / vanillaSafe.medianMs,
      shallowUnsafe: shallowUnsafe.medianMs / vanillaUnsafe.medianMs,
      deepUnsafe: deepUnsafe.medianMs / vanillaUnsafe.medianMs,
    },
    imageCheckMs: stats(imageChecks).medianMs,
  };
}

export interface OcrBench {
  backend: 'webgpu' | 'wasm';
  /** WASM threads asked for, and whether the page was cross-origin isolated (threads need it). */
  threads: number;
  crossOriginIsolated: boolean;
  /** Loading the OCR worker (both PP-OCRv4 sessions + a warm-up read). */
  coldLoadMs: number;
  /** The first real image read after load. */
  firstReadMs: number;
  /** The reads after the first (one per case), while V8 is still optimising onnxruntime-web's WebAssembly. */
  afterLoad: StageStats;
  /** Reads after `warmup` more reads. */
  warm: StageStats;
  warmup: number;
  /** Medians of the warm reads' own stage timings (from the OCR worker). */
  stagesMs: { detect: number; recognise: number; other: number };
  wordRecall: { mean: number; min: number; images: number };
  /** What was read: 'fixture' or the rendered size, per image. */
  images: string[];
}

/** An image with the instruction it shows: a fixture file, or a line the page renders. */
export type OcrCase = { instruction: string } & ({ base64: string; type: string } | { render: { fontPx: number } });

export interface OcrRun {
  backend: 'webgpu' | 'wasm';
  cases: OcrCase[];
  warmRuns: number;
  wasmThreads?: number;
  warmup?: number;
  /** The guard's per-call limit (a software WebGPU adapter reads slowly). */
  callMs?: number;
}

/** The case's image: the fixture's bytes, or its instruction drawn as one black line on white (PNG). */
async function ocrImage(c: OcrCase): Promise<Blob> {
  if ('base64' in c) return new Blob([Uint8Array.from(atob(c.base64), (ch) => ch.charCodeAt(0))], { type: c.type });
  const font = `bold ${c.render.fontPx}px monospace`;
  const measuring = new OffscreenCanvas(1, 1).getContext('2d')!;
  measuring.font = font;
  const margin = c.render.fontPx;
  const canvas = new OffscreenCanvas(Math.ceil(measuring.measureText(c.instruction).width) + 2 * margin, 3 * c.render.fontPx);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = 'white';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = 'black';
  ctx.font = font;
  ctx.fillText(c.instruction, margin, 2 * c.render.fontPx);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** PP-OCRv4 latency and word recall on one backend. */
export async function runOcr({ backend, cases, warmRuns, wasmThreads, warmup, callMs }: OcrRun): Promise<OcrBench> {
  const { wordRecall } = await import('../src/ocr/word-recall.ts');
  const images = await Promise.all(cases.map(ocrImage));
  const guard = await createGuard({
    device: backend,
    imageText: 'on',
    ...(wasmThreads ? { wasmThreads } : {}),
    ...(callMs ? { timeouts: { callMs, loadMs: callMs } } : {}),
  });
  try {
    const t0 = performance.now();
    const first = await guard.checks.imageText(images[0]!);
    const firstReadMs = performance.now() - t0;
    const recalls = [wordRecall(cases[0]!.instruction, first.text)];
    const afterLoad: number[] = [];
    for (const [i, c] of cases.entries()) {
      if (i === 0) continue;
      const t = performance.now();
      recalls.push(wordRecall(c.instruction, (await guard.checks.imageText(images[i]!)).text));
      afterLoad.push(performance.now() - t);
    }
    const timings: { detectMs: number; recogniseMs: number; totalMs: number }[] = [];
    const warm = await measure(async (i) => {
      const reading = await guard.checks.imageText(images[Math.abs(i) % images.length]!);
      if (i >= 0) timings.push(reading.timings);
    }, warmRuns, warmup);
    const median = (pick: (t: (typeof timings)[number]) => number) => stats(timings.map(pick)).medianMs;
    return {
      backend,
      threads: wasmThreads ?? 1,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      coldLoadMs: guard.info.loadMs.ocr ?? Number.NaN,
      firstReadMs,
      afterLoad: stats(afterLoad),
      warm,
      warmup: warmup ?? Math.min(WARMUP, warmRuns),
      stagesMs: { detect: median((t) => t.detectMs), recognise: median((t) => t.recogniseMs), other: median((t) => t.totalMs - t.detectMs - t.recogniseMs) },
      wordRecall: { mean: recalls.reduce((a, b) => a + b, 0) / recalls.length, min: Math.min(...recalls), images: recalls.length },
      images: cases.map((c) => ('base64' in c ? 'fixture' : `one rendered line, ${c.render.fontPx} px text`)),
    };
  } finally {
    guard.dispose();
  }
}

export interface AdapterFacts {
  vendor: string;
  architecture: string;
  description: string;
  /** GPUAdapterInfo.isFallbackAdapter (null where the browser does not say). */
  isFallbackAdapter: boolean | null;
}

/** The page's WebGPU adapter as the browser describes it (null: none). */
export async function webGpuAdapter(): Promise<AdapterFacts | null> {
  type Info = Omit<AdapterFacts, 'isFallbackAdapter'> & { isFallbackAdapter?: boolean };
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info: Info } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return null;
  const { vendor, architecture, description, isFallbackAdapter } = adapter.info;
  return { vendor, architecture, description, isFallbackAdapter: isFallbackAdapter ?? null };
}

export interface ThroughputBench {
  backend: 'webgpu' | 'wasm';
  evaluations: number;
  sequentialMs: number;
  concurrentMs: number;
  /** Evaluations per second, one at a time and all at once (maxInFlight = all). */
  perSecond: { sequential: number; concurrent: number };
}

/** Distinct 128² images (no cache hits), evaluated one after another, then all at once. */
export async function runThroughput(backend: 'webgpu' | 'wasm', evaluations = 40): Promise<ThroughputBench> {
  const guard = await createGuard({ device: backend, imageCacheSize: 0, concurrency: { maxInFlight: evaluations, maxQueued: 0 } });
  const images = Array.from({ length: evaluations }, (_, i) => {
    const data = new Uint8ClampedArray(128 * 128 * 4).map((_, j) => (j % 4 === 3 ? 255 : (i * 31 + j * 7) % 256));
    return new ImageData(data, 128, 128);
  });
  const input = (i: number) => ({ image: images[i]!, response: `Answer ${i}: a cat beside a cup.` });
  await guard.evaluate(input(0)); // warm
  const t0 = performance.now();
  for (let i = 0; i < evaluations; i++) await guard.evaluate(input(i));
  const sequentialMs = performance.now() - t0;
  const t1 = performance.now();
  await Promise.all(images.map((_, i) => guard.evaluate(input(i))));
  const concurrentMs = performance.now() - t1;
  guard.dispose();
  return {
    backend,
    evaluations,
    sequentialMs,
    concurrentMs,
    perSecond: { sequential: (1000 * evaluations) / sequentialMs, concurrent: (1000 * evaluations) / concurrentMs },
  };
}

declare global {
  interface Window {
    runThroughput: typeof runThroughput;
    webGpuAdapter: typeof webGpuAdapter;
    runOcr: typeof runOcr;
    runGeneration: typeof runGeneration;
    runBackend: typeof runBackend;
    runDirect: typeof runDirect;
    benchReady: boolean;
  }
}
window.runBackend = runBackend;
window.runDirect = runDirect;
window.runGeneration = runGeneration;
window.runOcr = runOcr;
window.runThroughput = runThroughput;
window.webGpuAdapter = webGpuAdapter;
window.benchReady = true;
