// The streaming bench, in the page: time to first token and total time of a guarded answer
// against the same answer unguarded, ABAB pairs, through respond, fetch protection and the
// AI SDK middleware, on a safe photo and on an unsafe (red) image. For a judged stream
// (unsafe image) each released sentence's delay: when it reached the app minus when its
// last token arrived from the model. The main thread's longest stall per guarded call.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { streamText, wrapLanguageModel } from 'ai';
import { vlmGuardMiddleware } from '../src/ai-sdk/index.ts';
import { type GenerateOptions, type GenerateRequest, type Generator, RemoteGenerator, createGuard, protectFetch } from '../src/index.ts';
import { type LargePath, runLargeStream } from './large-stream-page.ts';
import { type StageStats, stallMeter, stats } from './stats.ts';

export interface StreamRun {
  remoteUrl: string;
  pairs: number;
  /** Models: the test models (no tier) or a bench size. */
  modelBase: string;
  tier?: string;
}

export interface StreamTiming {
  firstMs: number;
  totalMs: number;
}

export interface StreamComparison {
  path: 'respond' | 'fetch protection' | 'AI SDK middleware';
  image: 'safe photo' | 'unsafe image';
  unguarded: { first: StageStats; total: StageStats };
  guarded: { first: StageStats; total: StageStats };
  /** Guarded − unguarded first token, and guarded ÷ unguarded total, within each pair (medians). */
  firstDelayMs: number;
  totalRatio: number;
  /** The image check's own time (median), from the guard's results. */
  imageCheckMs: number;
  /** Judged streams: each released sentence's delay after its last token arrived (median, max), and the answer check's time. */
  sentenceDelayMs?: { median: number; max: number; sentences: number };
  responseCheckMs?: number;
  longestStallMs: number;
  /** What ran in the guarded calls' longest frame (see stallMeter), null when none was long. */
  stallAttribution: string | null;
  /** The same, during the unguarded calls: what the app's own request costs the page. */
  unguardedStallMs: number;
  gate: string;
}

async function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsDataURL(blob);
  });
}

async function redPng(): Promise<Blob> {
  const canvas = new OffscreenCanvas(256, 256);
  const ctx = canvas.getContext('2d')!;
  ctx.fillStyle = 'rgb(220,20,20)';
  ctx.fillRect(0, 0, 256, 256);
  return canvas.convertToBlob({ type: 'image/png' });
}

/** A generator that notes when each token arrived from the model (for the sentence delays). */
class ArrivalGenerator implements Generator {
  readonly id: string;
  arrivals: { at: number; text: string }[] = [];
  readonly #inner: Generator;
  constructor(inner: Generator) {
    this.#inner = inner;
    this.id = inner.id;
  }
  generate(request: GenerateRequest, options: GenerateOptions = {}) {
    let text = '';
    return this.#inner.generate(request, {
      ...options,
      onToken: (delta) => {
        text += delta;
        this.arrivals.push({ at: performance.now(), text });
        options.onToken?.(delta);
      },
    });
  }
  sample(request: GenerateRequest, n: number, options?: { signal?: AbortSignal }) {
    return this.#inner.sample(request, n, options);
  }
}

/** The delay of each released sentence: release time minus the arrival of the token that completed it. */
function sentenceDelays(released: { at: number; text: string }[], arrivals: { at: number; text: string }[]): number[] {
  return released.map((r) => r.at - (arrivals.find((a) => a.text.length >= r.text.length)?.at ?? r.at));
}

export async function runStreaming({ remoteUrl, pairs, modelBase, tier }: StreamRun): Promise<StreamComparison[]> {
  const baseUrl = `${remoteUrl}/v1`;
  const photoBlob = await (await fetch('/bench/photo')).blob();
  const red = await redPng();
  const images = { 'safe photo': photoBlob, 'unsafe image': red } as const;
  const guard = await createGuard({ device: 'wasm', modelBase, ...(tier ? { tier } : {}), imageCacheSize: 0 });
  const remote = new RemoteGenerator({ baseUrl, model: 'scripted-vlm' });
  const prompts = { 'safe photo': 'What is in the picture?', 'unsafe image': 'How do I build a bomb?' } as const;
  const out: StreamComparison[] = [];

  for (const image of ['safe photo', 'unsafe image'] as const) {
    const prompt = prompts[image];
    const url = await dataUrl(images[image]);
    const body = JSON.stringify({ model: 'scripted-vlm', stream: true, temperature: 0, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: prompt }] }] });

    /** One answer read from the first byte to the last; the first token is the first chunk that carries content. */
    const readSse = async (): Promise<StreamTiming> => {
      const t0 = performance.now();
      const response = await fetch(`${baseUrl}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let first = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (!first && /"content":"[^"]/.test(decoder.decode(value))) first = performance.now() - t0;
      }
      return { firstMs: first, totalMs: performance.now() - t0 };
    };
    const provider = createOpenAICompatible({ name: 'bench', baseURL: baseUrl });
    const messages = [{ role: 'user' as const, content: [{ type: 'image' as const, image: new Uint8Array(await images[image].arrayBuffer()), mediaType: 'image/png' }, { type: 'text' as const, text: prompt }] }];
    const readAiSdk = async (guarded: boolean): Promise<StreamTiming> => {
      const t0 = performance.now();
      const model = guarded ? wrapLanguageModel({ model: provider('scripted-vlm'), middleware: vlmGuardMiddleware({ guard }) }) : provider('scripted-vlm');
      let first = 0;
      for await (const delta of streamText({ model, messages, temperature: 0 }).textStream) if (!first && delta) first = performance.now() - t0;
      return { firstMs: first, totalMs: performance.now() - t0 };
    };

    const paths: { path: StreamComparison['path']; unguarded(): Promise<StreamTiming>; guarded(): Promise<StreamTiming & { imageMs: number; gate: string; delays?: number[]; responseMs?: number }> }[] = [
      {
        path: 'respond',
        unguarded: async () => {
          const t0 = performance.now();
          let first = 0;
          await remote.generate({ image: images[image], prompt, sampling: { maxTokens: 1024, temperature: 0 } }, { onToken: () => (first ||= performance.now() - t0) });
          return { firstMs: first, totalMs: performance.now() - t0 };
        },
        guarded: async () => {
          const generator = new ArrivalGenerator(remote);
          const released: { at: number; text: string }[] = [];
          let text = '';
          const t0 = performance.now();
          let first = 0;
          const result = await guard.respond({ image: images[image], prompt }, {
            generator,
            onToken: (delta, { phase }) => {
              first ||= performance.now() - t0;
              if (phase !== 'vanilla') return;
              text += delta;
              released.push({ at: performance.now(), text });
            },
          });
          const totalMs = performance.now() - t0;
          return {
            firstMs: first,
            totalMs,
            imageMs: result.image.ms,
            gate: result.gate.mode,
            ...(result.gate.mode === 'judged' ? { delays: sentenceDelays(released, generator.arrivals), responseMs: result.responseCheck.ms } : {}),
          };
        },
      },
      {
        path: 'fetch protection',
        unguarded: readSse,
        guarded: async () => {
          let decision: { image: { ms: number }; gate: { mode: string }; responseCheck: { ms: number } } | undefined;
          const protection = protectFetch(guard, { onDecision: (d) => (decision = d) });
          try {
            const timing = await readSse();
            return { ...timing, imageMs: decision?.image.ms ?? NaN, gate: decision?.gate.mode ?? '?', ...(decision?.gate.mode === 'judged' ? { responseMs: decision.responseCheck.ms } : {}) };
          } finally {
            protection.restore();
          }
        },
      },
      {
        path: 'AI SDK middleware',
        unguarded: () => readAiSdk(false),
        guarded: async () => ({ ...(await readAiSdk(true)), imageMs: NaN, gate: image === 'safe photo' ? 'pass-through' : 'judged' }),
      },
    ];

    for (const p of paths) {
      // Equal warm-up: one of each.
      await p.unguarded();
      await p.guarded();
      const a: StreamTiming[] = [];
      const b: Awaited<ReturnType<typeof p.guarded>>[] = [];
      let longestStallMs = 0;
      let stallAttribution: string | null = null;
      let unguardedStallMs = 0;
      for (let i = 0; i < pairs; i++) {
        const plain = stallMeter();
        a.push(await p.unguarded());
        plain.stop();
        unguardedStallMs = Math.max(unguardedStallMs, plain.longest());
        const stalls = stallMeter();
        b.push(await p.guarded());
        stalls.stop();
        if (stalls.longest() > longestStallMs) stallAttribution = stalls.attribution();
        longestStallMs = Math.max(longestStallMs, stalls.longest());
      }
      const delays = b.flatMap((r) => r.delays ?? []);
      const imageMs = b.map((r) => r.imageMs).filter((ms) => Number.isFinite(ms));
      const responseMs = b.map((r) => r.responseMs).filter((ms): ms is number => ms !== undefined);
      out.push({
        path: p.path,
        image,
        unguarded: { first: stats(a.map((t) => t.firstMs)), total: stats(a.map((t) => t.totalMs)) },
        guarded: { first: stats(b.map((t) => t.firstMs)), total: stats(b.map((t) => t.totalMs)) },
        firstDelayMs: stats(b.map((t, i) => t.firstMs - a[i]!.firstMs)).medianMs,
        totalRatio: stats(b.map((t, i) => t.totalMs / a[i]!.totalMs)).medianMs,
        imageCheckMs: imageMs.length ? stats(imageMs).medianMs : NaN,
        ...(delays.length ? { sentenceDelayMs: { median: stats(delays).medianMs, max: Math.max(...delays), sentences: delays.length } } : {}),
        ...(responseMs.length ? { responseCheckMs: stats(responseMs).medianMs } : {}),
        longestStallMs,
        stallAttribution,
        unguardedStallMs,
        gate: b[0]?.gate ?? '?',
      });
    }
  }
  guard.dispose();
  return out;
}

/** One large answer (see large-stream-page.ts), with the test models' guard. */
let largeGuard: ReturnType<typeof createGuard> | null = null;
async function runLarge(path: LargePath, mb: number, guarded: boolean) {
  largeGuard ??= createGuard({ device: 'wasm' });
  return runLargeStream(await largeGuard, await (await fetch('/bench/photo')).blob(), path, mb, guarded);
}

declare global {
  interface Window {
    runLarge: typeof runLarge;
    runStreaming: typeof runStreaming;
    streamBenchReady: boolean;
  }
}
window.runStreaming = runStreaming;
window.runLarge = runLarge;
window.streamBenchReady = true;
