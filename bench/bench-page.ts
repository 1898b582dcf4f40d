// Runs in Chromium (driven by bench/run-bench.ts): latency of each evaluator call through
// the guard (worker + comlink) and of the same work done directly in the page with bare
// transformers.js / onnxruntime-web, cold start, the main thread's longest stall, memory,
// respond() against vanilla generation, OCR and throughput — on one backend per call.
import {
  AutoModelForSequenceClassification,
  AutoProcessor,
  AutoTokenizer,
  CLIPTextModelWithProjection,
  CLIPVisionModelWithProjection,
  type PreTrainedTokenizer,
  type Tensor,
  env,
} from '@huggingface/transformers';
import * as ort from 'onnxruntime-web/webgpu';
import { ETA_DEFAULTS } from '../src/eta/defaults.ts';
import { ORT_WASM_FILES } from '../src/runtime/defaults.ts';
import { CHAT_TEMPLATE_FILE, type ManifestModel, parseManifest } from '../src/runtime/manifest.ts';
import { guardScore, scoreFromLogits } from '../src/runtime/score-rule.ts';
import type { EvaluatorRuntime } from '../src/runtime/evaluator-runtime.ts';
import { decodeImage } from '../src/images/image-input.ts';
import { type Generator, LocalGenerator, RemoteGenerator, createGuard } from '../src/index.ts';
import { type StageStats, measure, stallMeter, stats } from './stats.ts';
import type { Call, CallStats } from './calls.ts';
import { clipIds, textInputs } from '../workers/clip-text.ts';
import { clipPixelValues } from '../workers/clip-preprocess.ts';
import { encodeForReward, resolveFraming } from '../workers/reward-framing.ts';
import { tokenize } from '../e2e/openai-test-server/scripted-model.ts';

export type { StageStats };

/** How many runs a size gets: a decoder call takes seconds on WASM, a test model's microseconds. */
export interface RunPlan {
  runs: number;
  /** Runs before timing: V8 must have optimised ORT's WebAssembly first. */
  warmup: number;
  /** Reward calls per timed run (sub-millisecond calls are timed in batches). */
  rewardPerRun: number;
}

/** A model size the bench measures: a manifest tier under a model folder. */
export interface SizeSpec {
  name: string;
  modelBase: string;
  tier?: string;
  clip: string;
  reward: string;
  plan: RunPlan;
}


export interface GuardBench {
  backend: 'webgpu' | 'wasm';
  size: SizeSpec;
  rewardKind: string;
  /** Navigation start → the first evaluate() decision (page, workers, models, first inference). */
  coldStartMs: number;
  coldLoadMs: { guardTotal: number; clipWorker: number; rewardWorker: number };
  warm: CallStats & { evaluate: StageStats };
  /** The page's longest main-thread stall (a 10 ms timer's lateness) while evaluate() ran. */
  longestStallMs: number;
  /** A call through the CLIP and reward workers that does no work. */
  roundTrip: StageStats;
  /** Misses, hits on the same Blob object, and on a copy of its bytes (hashed again). */
  cache: { missMs: StageStats; hitMs: StageStats; speedup: number; copyHitMs: StageStats; copySpeedup: number };
  /** What the workers hold outside their JS heaps (WebAssembly, WebGPU buffers), and the page's JS heap. */
  memory: { workers: Awaited<ReturnType<EvaluatorRuntime['memoryUsage']>>; pageHeapBytes: number | null };
}

/** Stats of batches of `reps` calls, per call. */
const perRun = (batch: StageStats, reps: number): StageStats => ({ medianMs: batch.medianMs / reps, p90Ms: batch.p90Ms / reps, runs: batch.runs * reps });

/** Per-call time of something too quick for the page's timer (coarsened to 0.1 ms): batches of `reps`. */
async function measureEach(run: () => Promise<unknown>, reps = 100): Promise<StageStats> {
  return perRun(
    await measure(async () => {
      for (let i = 0; i < reps; i++) await run();
    }, 10, 1),
    reps,
  );
}

async function photo(): Promise<Blob> {
  const response = await fetch('/bench/photo');
  if (!response.ok) throw new Error(`bench photo: HTTP ${response.status}`);
  return response.blob();
}

/** An answer per run, distinct so no cache can answer; safe, so a guard model says its verdict in one pass. */
export const answer = (i: number, k: number) => `The picture shows ${i * 100 + k} cups of coffee on a table.`;
const caption = (i: number) => `a photo of item number ${i}`;

/** The bench photo as ImageData: both sides then decode (copy) and preprocess the same pixels. */
export async function photoPixels(): Promise<ImageData> {
  const pixels = await decodeImage(await photo());
  return new ImageData(pixels.data, pixels.width, pixels.height);
}

async function manifestModel<T extends ManifestModel['task']>(size: SizeSpec, id: string, task: T): Promise<Extract<ManifestModel, { task: T }>> {
  const url = `${size.modelBase}manifest.json`;
  const model = parseManifest(await (await fetch(url)).json(), url).models[id];
  if (model?.task !== task) throw new Error(`bench: ${url} has no ${task} model ${id}`);
  return model as Extract<ManifestModel, { task: T }>;
}

const int64 = (values: readonly number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

/** A decoder's ONNX model on bare onnxruntime-web: one pass over the whole prompt (empty KV cache), the last row of logits. */
async function bareDecoder(size: SizeSpec, id: string, backend: 'webgpu' | 'wasm'): Promise<(ids: number[]) => Promise<Float32Array>> {
  ort.env.wasm.wasmPaths = { mjs: `/ort/${ORT_WASM_FILES.mjs}`, wasm: `/ort/${ORT_WASM_FILES.wasm}` };
  const base = `${size.modelBase}${id}/`;
  const [bytes, config] = await Promise.all([
    fetch(`${base}onnx/model.onnx`).then((r) => r.arrayBuffer()),
    fetch(`${base}config.json`).then((r) => r.json() as Promise<Record<string, number>>),
  ]);
  const session = await ort.InferenceSession.create(new Uint8Array(bytes), { executionProviders: [backend] });
  const headDim = config.head_dim ?? config.hidden_size! / config.num_attention_heads!;
  return async (ids) => {
    const feeds: Record<string, ort.Tensor> = {
      input_ids: int64(ids, [1, ids.length]),
      attention_mask: int64(ids.map(() => 1), [1, ids.length]),
      position_ids: int64(ids.map((_, i) => i), [1, ids.length]),
    };
    for (const name of session.inputNames) {
      if (name.startsWith('past_key_values.')) feeds[name] = new ort.Tensor('float32', new Float32Array(0), [1, config.num_key_value_heads!, 0, headDim]);
      if (name === 'num_logits_to_keep' || name === 'logits_to_keep') feeds[name] = int64([1], []);
    }
    const outputs = await session.run(feeds);
    const logits = outputs.logits!;
    const data = logits.data as Float32Array;
    const row = data.slice(data.length - logits.dims.at(-1)!);
    for (const tensor of [...Object.values(outputs), ...Object.values(feeds)]) tensor.dispose();
    return row;
  };
}

/** The size's reward call done in the page: transformers.js for classifiers, bare onnxruntime-web for decoders (as the worker runs them). */
async function directReward(size: SizeSpec, backend: 'webgpu' | 'wasm'): Promise<{ runtime: string; score: (text: string) => Promise<number> }> {
  const model = await manifestModel(size, size.reward, 'reward');
  const instruction = ETA_DEFAULTS.rewardInstruction;
  const opts = { device: backend, dtype: 'fp32' } as const;
  if (model.kind === 'decoder-reward' || model.kind === 'guard-generative') {
    const tokenizer: PreTrainedTokenizer = await AutoTokenizer.from_pretrained(size.reward);
    if (!tokenizer.chat_template) tokenizer.chat_template = await (await fetch(`${size.modelBase}${size.reward}/${CHAT_TEMPLATE_FILE}`)).text();
    const run = await bareDecoder(size, size.reward, backend);
    if (model.kind === 'decoder-reward') {
      return {
        runtime: 'onnxruntime-web',
        score: async (text) => {
          const encoded = encodeForReward(tokenizer, { framing: 'chat-template', instruction, maxTokens: model.maxTokens }, [text]);
          return (await run(Array.from(encoded.input_ids.data as BigInt64Array, Number)))[0]!;
        },
      };
    }
    const guard = model.guard!;
    const content = (t: string) => (guard.contentFormat === 'parts' ? [{ type: 'text', text: t }] : t);
    const single = (t: string) => tokenizer.encode(t, { add_special_tokens: false })[0]!;
    return {
      runtime: 'onnxruntime-web',
      score: async (text) => {
        const prompt = (tokenizer.apply_chat_template([{ role: 'user', content: content(instruction) }, { role: 'assistant', content: content(text) }], { tokenize: false, add_generation_prompt: true }) as string) + guard.verdictPrefix;
        return guardScore(await run(tokenizer.encode(prompt, { add_special_tokens: false })), single(guard.safeToken), single(guard.unsafeToken));
      },
    };
  }
  const [tokenizer, classifier] = await Promise.all([AutoTokenizer.from_pretrained(size.reward), AutoModelForSequenceClassification.from_pretrained(size.reward, opts)]);
  const framing = resolveFraming(tokenizer, model.framing ?? 'auto');
  const id2label = (classifier as unknown as { config: { id2label?: Record<string, string> } }).config.id2label ?? {};
  const labels = Object.keys(id2label).sort((a, b) => Number(a) - Number(b)).map((k) => id2label[k]!);
  return {
    runtime: 'transformers.js',
    score: async (text) => {
      const { logits } = (await classifier(encodeForReward(tokenizer, { framing, instruction, maxTokens: model.maxTokens }, [text]))) as { logits: Tensor };
      const score = scoreFromLogits(logits.data as Float32Array, model.score, labels);
      logits.dispose();
      return score;
    },
  };
}

/** Tokens of a text by the local test VLM's own tokenizer. */
async function localTokenCounter(): Promise<(text: string) => number> {
  pointTransformersAt('/models/');
  const tokenizer = await AutoTokenizer.from_pretrained('test-vlm');
  return (text) => tokenizer.encode(text, { add_special_tokens: false }).length;
}

function pointTransformersAt(modelBase: string): void {
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = modelBase;
  env.useBrowserCache = false;
  (env.backends.onnx as { wasm: { wasmPaths: unknown } }).wasm.wasmPaths = { mjs: `/ort/${ORT_WASM_FILES.mjs}`, wasm: `/ort/${ORT_WASM_FILES.wasm}` };
}

/** One evaluator call, done for the run with index i (negative: warm-up). */
type CallRun = (i: number) => Promise<unknown>;

/** The size's three calls done directly in the page (no worker, no comlink): bare transformers.js / onnxruntime-web. */
export async function directCalls(backend: 'webgpu' | 'wasm', size: SizeSpec, imageData: ImageData): Promise<{ calls: Record<Call, CallRun>; rewardRuntime: string }> {
  pointTransformersAt(size.modelBase);
  const opts = { device: backend, dtype: 'fp32' } as const;
  const [processor, vision, tokenizer, text, reward, clipModel] = await Promise.all([
    AutoProcessor.from_pretrained(size.clip),
    CLIPVisionModelWithProjection.from_pretrained(size.clip, opts),
    AutoTokenizer.from_pretrained(size.clip),
    CLIPTextModelWithProjection.from_pretrained(size.clip, opts),
    directReward(size, backend),
    manifestModel(size, size.clip, 'clip'),
  ]);
  return {
    rewardRuntime: reward.runtime,
    calls: {
      imageEmbedding: async () => {
        const px = await decodeImage(imageData);
        const { image_embeds } = (await vision(await clipPixelValues(processor, px))) as { image_embeds: Tensor };
        image_embeds.dispose();
      },
      textEmbedding: async (i) => {
        const { text_embeds } = (await text(textInputs(tokenizer, [clipIds(tokenizer, caption(i), clipModel.maxTextTokens)]))) as { text_embeds: Tensor };
        text_embeds.dispose();
      },
      rewardScore: (i) => rewardRun(reward.score, size.plan, i),
    },
  };
}

/** A run's reward calls (several when one is too quick for the page's timer). */
async function rewardRun(score: (text: string) => Promise<unknown>, plan: RunPlan, i: number): Promise<void> {
  for (let k = 0; k < plan.rewardPerRun; k++) await score(answer(i, k));
}

export interface PairedCall {
  guard: StageStats;
  direct: StageStats;
  /** guard ÷ direct within each pair: median and spread. */
  ratio: { median: number; min: number; max: number; pairs: number };
}

export interface OverheadBench {
  backend: 'webgpu' | 'wasm';
  size: SizeSpec;
  rewardKind: string;
  rewardRuntime: string;
  calls: Record<Call, PairedCall>;
}

/**
 * The guard's calls against the same calls done directly, in one page, interleaved: after
 * equal warm-up, pairs alternate which side goes first (ABBA), and each pair gives a ratio,
 * so the page's state, V8's tier-up and the machine's load weigh on both sides alike.
 */
export async function runOverhead(backend: 'webgpu' | 'wasm', size: SizeSpec): Promise<OverheadBench> {
  const imageData = await photoPixels();
  const direct = await directCalls(backend, size, imageData);
  const guard = await createGuard({ device: backend, imageCacheSize: 0, modelBase: size.modelBase, ...(size.tier ? { tier: size.tier } : {}) });
  const guarded: Record<Call, CallRun> = {
    imageEmbedding: () => guard.checks.image(imageData),
    textEmbedding: (i) => guard.runtime.clip.textEmbeddings([caption(i)]),
    rewardScore: (i) => rewardRun((text) => guard.checks.response(text), size.plan, i),
  };
  const timed = async (run: CallRun, i: number) => {
    const t0 = performance.now();
    await run(i);
    return performance.now() - t0;
  };
  const { plan } = size;
  const calls = {} as Record<Call, PairedCall>;
  for (const call of ['imageEmbedding', 'textEmbedding', 'rewardScore'] as const) {
    for (let w = 0; w < plan.warmup; w++) {
      await direct.calls[call](-1 - w);
      await guarded[call](-1 - w);
    }
    const g: number[] = [];
    const d: number[] = [];
    for (let i = 0; i < plan.runs; i++) {
      if (i % 2 === 0) {
        d.push(await timed(direct.calls[call], i));
        g.push(await timed(guarded[call], i));
      } else {
        g.push(await timed(guarded[call], i));
        d.push(await timed(direct.calls[call], i));
      }
    }
    const per = call === 'rewardScore' ? plan.rewardPerRun : 1;
    const ratios = g.map((ms, i) => ms / d[i]!);
    calls[call] = { guard: perRun(stats(g), per), direct: perRun(stats(d), per), ratio: { median: stats(ratios).medianMs, min: Math.min(...ratios), max: Math.max(...ratios), pairs: plan.runs } };
  }
  const rewardKind = guard.info.rewardKind;
  guard.dispose();
  return { backend, size, rewardKind, rewardRuntime: direct.rewardRuntime, calls };
}

/** The guard alone on one size, from a fresh page: cold start, its calls, stalls, memory, the image cache. */
export async function runBackend(backend: 'webgpu' | 'wasm', size: SizeSpec): Promise<GuardBench> {
  const image = await photo();
  const imageData = await photoPixels();
  const { plan } = size;
  const models = { modelBase: size.modelBase, ...(size.tier ? { tier: size.tier } : {}) };
  const t0 = performance.now();
  const guard = await createGuard({ device: backend, imageCacheSize: 0, ...models });
  const guardTotal = performance.now() - t0;
  await guard.evaluate({ image: imageData, response: answer(-1, 0) });
  // performance.now() counts from navigation start: page load to the first decision.
  const coldStartMs = performance.now();
  const rewardKind = guard.info.rewardKind;
  const imageEmbedding = await measure(() => guard.checks.image(imageData), plan.runs, plan.warmup);
  const textEmbedding = await measure((i) => guard.runtime.clip.textEmbeddings([caption(i)]), plan.runs, plan.warmup);
  const rewardScore = perRun(await measure((i) => rewardRun((text) => guard.checks.response(text), plan, i), plan.runs, plan.warmup), plan.rewardPerRun);
  // The fixed cost of any call through a worker: a call that does no work (both workers, side by side).
  const roundTrip = await measureEach(() => guard.runtime.memoryUsage());
  const stalls = stallMeter();
  const evaluate = await measure((i) => guard.evaluate({ image: imageData, response: answer(i, 99) }), plan.runs, 1);
  stalls.stop();
  const memory = {
    workers: await guard.runtime.memoryUsage(),
    pageHeapBytes: (performance as Performance & { memory?: { usedJSHeapSize: number } }).memory?.usedJSHeapSize ?? null,
  };
  const clipLoad = guard.info.loadMs;
  guard.dispose();

  // With the cache on, after the first guard is gone (one size's models in memory at a time).
  const cachingGuard = await createGuard({ device: backend, ...models });
  // Misses: the same PNG with distinct trailing bytes (ignored by decoders), so each
  // run hashes, decodes and embeds like a new image would. Hits: the same File again
  // (known by identity), and an equal copy of its bytes (known by their hash).
  const missMs = await measure((i) => cachingGuard.checks.image(new Blob([image, new Uint32Array([i + 1000])], { type: image.type })), plan.runs, plan.warmup);
  await cachingGuard.checks.image(image);
  const hitMs = await measureEach(() => cachingGuard.checks.image(image));
  const copyHitMs = await measure(() => cachingGuard.checks.image(new Blob([image], { type: image.type })), plan.runs, plan.warmup);
  cachingGuard.dispose();
  return {
    backend,
    size,
    rewardKind,
    coldStartMs,
    coldLoadMs: { guardTotal, clipWorker: clipLoad.clip, rewardWorker: clipLoad.reward },
    warm: { imageEmbedding, textEmbedding, rewardScore, evaluate },
    longestStallMs: stalls.longest(),
    roundTrip,
    memory,
    cache: { missMs, hitMs, speedup: missMs.medianMs / hitMs.medianMs, copyHitMs, copySpeedup: missMs.medianMs / copyHitMs.medianMs },
  };
}

/** One comparison of respond() with vanilla generation, run ABAB: vanilla, respond, vanilla, respond … */
export interface PairedComparison {
  name: string;
  vanilla: StageStats;
  respond: StageStats;
  /** respond ÷ vanilla within each pair: median and spread. */
  ratio: { median: number; min: number; max: number; pairs: number };
  /** Output tokens of the answer each side shows (the model's own tokenizer), medians over the pairs. */
  tokens: { vanilla: number; respond: number };
  /** (respond ms per shown token) ÷ (vanilla ms per token) within each pair. */
  perToken: { median: number; min: number; max: number };
  /**
   * Deep alignment (deep comparisons only), medians: rounds (sentences) and requests, and the
   * tokens a round waits for (its longest candidate) over those it keeps (the chosen one).
   */
  deep?: { rounds: number; requests: number; longestOverKept: number };
  /** respond()'s own stages, medians: the vanilla part (through the gate) and the alignment. */
  stagesMs: { generate: number; align: number };
}

export interface GenerationBench {
  generator: string;
  backend: 'webgpu' | 'wasm';
  /** The test server's pace and answer length (remote), null for the local VLM. */
  speed: { tokensPerSecond: number; answerTokens: number } | null;
  comparisons: PairedComparison[];
  /** Median CLIP check time, run while the answer was generated (hidden unless it outlasts generation). */
  imageCheckMs: number;
}

export interface GenerationRun {
  backend: 'webgpu' | 'wasm';
  remoteUrl: string | null;
  speed: GenerationBench['speed'];
  pairs: number;
  /** Which comparisons (by name) to run. */
  comparisons: readonly string[];
}

/** Vanilla generation against respond() in each mode, on one generator (evaluators on `backend`), paired ABAB after equal warm-up. */
export async function runGeneration({ backend, remoteUrl, speed, pairs, comparisons: wanted }: GenerationRun): Promise<GenerationBench> {
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
  const all = [
    { name: 'respond off, safe prompt', input: safe, mode: 'off' },
    { name: 'respond shallow, safe prompt (evaluate only)', input: safe, mode: 'shallow' },
    { name: 'respond shallow, unsafe prompt (aligned)', input: unsafe, mode: 'shallow' },
    { name: 'respond deep, unsafe prompt (aligned)', input: unsafe, mode: 'deep' },
  ] as const;
  const comparisons: PairedComparison[] = [];
  const timedWith = async <T, R>(run: () => Promise<T>, keep: (value: T) => R): Promise<R & { ms: number }> => {
    const t0 = performance.now();
    const value = await run();
    return { ...keep(value), ms: performance.now() - t0 };
  };
  // Output tokens as the model counts them: the test server's tokenizer, or the local VLM's own.
  const countTokens = remoteUrl ? (text: string) => tokenize(text).length : await localTokenCounter();
  const spread = (xs: number[]) => ({ median: stats(xs).medianMs, min: Math.min(...xs), max: Math.max(...xs) });
  const sum = (xs: number[]) => xs.reduce((a, v) => a + v, 0);
  for (const c of all.filter((c) => wanted.includes(c.name))) {
    const vanilla = async () => countTokens((await generator.generate({ ...c.input, sampling: greedy })).text);
    const respond = async () => {
      const result = await guard.respond(c.input, { mode: c.mode });
      imageChecks.push(result.image.ms);
      return { tokens: countTokens(result.text), deep: result.deep, timings: result.timings };
    };
    // Equal warm-up: one of each.
    await vanilla();
    await respond();
    const a: { ms: number; tokens: number }[] = [];
    const b: (Awaited<ReturnType<typeof respond>> & { ms: number })[] = [];
    for (let i = 0; i < pairs; i++) {
      a.push(await timedWith(vanilla, (tokens) => ({ tokens })));
      b.push(await timedWith(respond, (r) => r));
    }
    const ratios = b.map((x, i) => x.ms / a[i]!.ms);
    const perToken = b.map((x, i) => x.ms / Math.max(1, x.tokens) / (a[i]!.ms / Math.max(1, a[i]!.tokens)));
    const deeps = b.flatMap((x) => (x.deep ? [x.deep] : []));
    comparisons.push({
      name: c.name,
      vanilla: stats(a.map((x) => x.ms)),
      respond: stats(b.map((x) => x.ms)),
      ratio: { ...spread(ratios), pairs },
      tokens: { vanilla: stats(a.map((x) => x.tokens)).medianMs, respond: stats(b.map((x) => x.tokens)).medianMs },
      perToken: spread(perToken),
      ...(deeps.length
        ? {
            deep: {
              rounds: stats(deeps.map((d) => d.sentences.length)).medianMs,
              requests: stats(deeps.map((d) => d.requests)).medianMs,
              longestOverKept: stats(deeps.map((d) => sum(d.sentences.map((r) => Math.max(...r.candidates.map((c) => c.tokens)))) / Math.max(1, sum(d.sentences.map((r) => r.candidates[r.chosen]!.tokens))))).medianMs,
            },
          }
        : {}),
      stagesMs: { generate: stats(b.map((x) => x.timings.generate)).medianMs, align: stats(b.map((x) => x.timings.align)).medianMs },
    });
  }
  guard.dispose();
  generator.dispose?.();
  return { generator: generator.id, backend, speed: remoteUrl ? speed : null, comparisons, imageCheckMs: stats(imageChecks).medianMs };
}

/** OCR reads before the timed ones, unless a run says otherwise. */
const OCR_WARMUP = 3;

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
    }, warmRuns, warmup ?? OCR_WARMUP);
    const median = (pick: (t: (typeof timings)[number]) => number) => stats(timings.map(pick)).medianMs;
    return {
      backend,
      threads: wasmThreads ?? 1,
      crossOriginIsolated: globalThis.crossOriginIsolated,
      coldLoadMs: guard.info.loadMs.ocr ?? Number.NaN,
      firstReadMs,
      afterLoad: stats(afterLoad),
      warm,
      warmup: warmup ?? OCR_WARMUP,
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
    runOverhead: typeof runOverhead;
    benchReady: boolean;
  }
}
window.runBackend = runBackend;
window.runOverhead = runOverhead;
window.runGeneration = runGeneration;
window.runOcr = runOcr;
window.runThroughput = runThroughput;
window.webGpuAdapter = webGpuAdapter;
window.benchReady = true;
