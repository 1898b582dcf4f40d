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
import { ORT_WASM_FILES } from '../src/config.ts';
import { DEFAULT_REWARD_INSTRUCTION } from '../src/config.ts';
import { decodeImage } from '../src/images/image-input.ts';
import { createGuard } from '../src/index.ts';
import { clipPixelValues } from '../workers/clip-preprocess.ts';

export interface StageStats {
  medianMs: number;
  p90Ms: number;
  runs: number;
}

export interface BackendBench {
  backend: 'webgpu' | 'wasm';
  coldLoadMs: { guardTotal: number; clipWorker: number; rewardWorker: number };
  warm: { imageEmbedding: StageStats; textEmbedding: StageStats; rewardScore: StageStats; evaluate: StageStats };
  direct: { imageEmbedding: StageStats; rewardScore: StageStats };
  /** guard (worker + comlink) median ÷ direct in-page median, same work. */
  workerOverhead: { imageEmbedding: number; rewardScore: number };
  cache: { missMs: StageStats; hitMs: StageStats; speedup: number };
}

const RUNS = 20;
const WARMUP = 3;

function stats(samples: number[]): StageStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { medianMs: at(0.5), p90Ms: at(0.9), runs: samples.length };
}

async function measure(run: (i: number) => Promise<unknown>): Promise<StageStats> {
  for (let i = 0; i < WARMUP; i++) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}

async function photo(): Promise<Blob> {
  const response = await fetch('/bench/photo');
  if (!response.ok) throw new Error(`bench photo: HTTP ${response.status}`);
  return response.blob();
}

export async function runBackend(backend: 'webgpu' | 'wasm'): Promise<BackendBench> {
  const image = await photo();
  const t0 = performance.now();
  const guard = await createGuard({ device: backend, imageCacheSize: 0 });
  const guardTotal = performance.now() - t0;
  const cachingGuard = await createGuard({ device: backend });

  const pixels = await decodeImage(image);
  const imageData = new ImageData(pixels.data, pixels.width, pixels.height);
  const warm = {
    imageEmbedding: await measure(() => guard.evaluateImage(imageData)),
    textEmbedding: await measure((i) => cachingGuard.imageTextSimilarity(image, `a photo of item number ${i}`)),
    rewardScore: await measure((i) => guard.evaluateResponse(`The picture shows ${i} cups of coffee on a table.`)),
    evaluate: await measure((i) => guard.evaluate({ image: imageData, response: `Answer ${i}: a cat beside a cup.` })),
  };

  // The same work directly in the page with transformers.js (no worker, no comlink).
  env.allowLocalModels = true;
  env.allowRemoteModels = false;
  env.localModelPath = '/models/';
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
  const direct = {
    imageEmbedding: await measure(async () => {
      const px = await decodeImage(imageData);
      const { image_embeds } = (await vision(await clipPixelValues(processor, px))) as { image_embeds: Tensor };
      image_embeds.dispose();
    }),
    rewardScore: await measure(async (i) => {
      const inputs = tokenizer(DEFAULT_REWARD_INSTRUCTION, { text_pair: `The picture shows ${i} cups of coffee on a table.` });
      const { logits } = (await reward(inputs)) as { logits: Tensor };
      logits.dispose();
    }),
  };

  // Misses: the same PNG with distinct trailing bytes (ignored by decoders), so each
  // run hashes, decodes and embeds like a new image would.
  const missMs = await measure((i) => cachingGuard.evaluateImage(new Blob([image, new Uint32Array([i + 1000])], { type: image.type })));
  await cachingGuard.evaluateImage(image);
  const hitMs = await measure(() => cachingGuard.evaluateImage(image));

  guard.dispose();
  cachingGuard.dispose();
  return {
    backend,
    coldLoadMs: { guardTotal, clipWorker: guard.info.loadMs.clip, rewardWorker: guard.info.loadMs.reward },
    warm,
    direct,
    workerOverhead: {
      imageEmbedding: warm.imageEmbedding.medianMs / direct.imageEmbedding.medianMs,
      rewardScore: warm.rewardScore.medianMs / direct.rewardScore.medianMs,
    },
    cache: { missMs, hitMs, speedup: missMs.medianMs / hitMs.medianMs },
  };
}

declare global {
  interface Window {
    runBackend: typeof runBackend;
    benchReady: boolean;
  }
}
window.runBackend = runBackend;
window.benchReady = true;
