// A VLM running in this page (workers/vlm.worker.ts), behind the same Generator
// interface as a remote one.
import * as Comlink from 'comlink';
import * as v from 'valibot';
import { GuardError, abortedError } from '../../errors.ts';
import { parseOption } from '../../validation.ts';
import { forAttempt, imageList, toWorkerImage } from '../../images/image-input.ts';
import {
  type Backend,
  type ImageEncoderStats,
  type PrefillStats,
  type LoadReport,
  type ModelProgress,
  RUNTIME_DEFAULTS,
  type VlmRequest,
  type VlmWorkerApi,
  type WorkerMemory,
  WorkerHost,
  findModel,
  loadManifest,
  modelFiles,
  needsShaderF16,
  runtimeConfig,
} from '../../runtime/index.ts';
import type { Completion, GenerateOptions, GenerateRequest, Generator } from '../types.ts';
import { withCompiledRuntime } from '../../runtime/ort-runtime.ts';

/** Generation can take minutes on WASM with a real model. */
export const LOCAL_DEFAULTS = {
  generateMs: 600_000,
  /** Tiles for large images (as the model's processor splits them): on WebGPU; off on WASM, where encoding 17 tiles takes minutes. */
  imageSplitting: 'auto' as 'auto' | 'on' | 'off',
};

const Ms = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3_600_000));
export const LocalGeneratorOptionsSchema = v.strictObject({
  modelBase: v.optional(v.pipe(v.string(), v.nonEmpty()), RUNTIME_DEFAULTS.modelBase),
  ortBase: v.optional(v.pipe(v.string(), v.nonEmpty())),
  /** Manifest id of a `vlm` model; default: the manifest's `defaults.vlm`. */
  model: v.optional(v.pipe(v.string(), v.nonEmpty())),
  device: v.optional(v.picklist(['auto', 'webgpu', 'wasm']), RUNTIME_DEFAULTS.device),
  /** Split large images into tiles as the model's processor does: `auto` = on WebGPU, off on WASM. */
  imageSplitting: v.optional(v.picklist(['auto', 'on', 'off']), LOCAL_DEFAULTS.imageSplitting),
  allowRemoteModels: v.optional(v.boolean(), RUNTIME_DEFAULTS.allowRemoteModels),
  timeouts: v.optional(v.strictObject({ loadMs: v.optional(Ms, RUNTIME_DEFAULTS.timeouts.loadMs), generateMs: v.optional(Ms, LOCAL_DEFAULTS.generateMs) }), {}),
  onProgress: v.optional(v.custom<(progress: ModelProgress) => void>((f) => typeof f === 'function', 'must be a function')),
});
export type LocalGeneratorOptions = v.InferInput<typeof LocalGeneratorOptionsSchema>;

/** The request as one attempt sends it (a retried call must not send pixels moved to the dead worker). */
const withTransfer = (request: VlmRequest): VlmRequest => (request.images ? { ...request, images: request.images.map(forAttempt) } : request);

/** How long generate() waits for token callbacks still in flight after the result. */
const DELTA_GRACE_MS = 2_000;

const folder = (value: string) => {
  const href = new URL(value, globalThis.document?.baseURI ?? globalThis.location.href).href;
  return href.endsWith('/') ? href : `${href}/`;
};

/**
 * Counts the token callbacks that arrived, so generate() resolves only after every
 * delta the worker sent has reached the caller (they use a separate message channel).
 */
function deltaCounter(onToken: ((delta: string) => void) | undefined) {
  let count = 0;
  let waiting: { target: number; resolve: () => void } | null = null;
  const callback = onToken
    ? Comlink.proxy((delta: string) => {
        count++;
        onToken(delta);
        if (waiting && count >= waiting.target) waiting.resolve();
      })
    : undefined;
  return {
    callback,
    // Bounded: the completion's text is authoritative, a lost delta must not hang the call.
    received: (target: number) =>
      count >= target || !callback
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            waiting = { target, resolve };
            setTimeout(resolve, DELTA_GRACE_MS);
          }),
  };
}

export class LocalGenerator implements Generator {
  readonly id: string;
  readonly #host: WorkerHost<VlmWorkerApi, LoadReport>;
  #turn: Promise<void> = Promise.resolve();

  private constructor(id: string, host: WorkerHost<VlmWorkerApi, LoadReport>) {
    this.id = id;
    this.#host = host;
  }

  /** Loads the VLM into its worker; resolves when it can generate. */
  static async create(options: LocalGeneratorOptions = {}): Promise<LocalGenerator> {
    const o = parseOption(LocalGeneratorOptionsSchema, options, 'LocalGenerator options');
    const modelBase = folder(o.modelBase);
    const manifest = await loadManifest(modelBase);
    const modelId = o.model ?? manifest.defaults.vlm;
    if (!modelId) throw new GuardError('MODEL_UNKNOWN', `The manifest at ${modelBase} names no default VLM; pass LocalGenerator.create({ model }).`);
    const entry = findModel(manifest, modelId, 'vlm');
    const runtime = runtimeConfig({ modelBase, ortBase: o.ortBase === undefined ? undefined : folder(o.ortBase), allowRemoteModels: o.allowRemoteModels, device: o.device });
    const onProgress = o.onProgress ? Comlink.proxy(o.onProgress) : undefined;
    const host = new WorkerHost<VlmWorkerApi, LoadReport>({
      label: 'VLM worker',
      spawn: () => new Worker(new URL('../../../workers/vlm.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-vlm' }),
      init: async (api) => api.load({ ...(await withCompiledRuntime(runtime)), ...modelFiles(modelId, entry), dtype: entry.dtype, needsShaderF16: needsShaderF16(entry), imageSplitting: o.imageSplitting }, onProgress),
      loadTimeoutMs: o.timeouts.loadMs,
      callTimeoutMs: o.timeouts.generateMs,
    });
    try {
      await host.ready();
    } catch (error) {
      host.dispose();
      throw error;
    }
    return new LocalGenerator(`local:${modelId}`, host);
  }

  /** The backend the VLM runs on. */
  get backend(): Backend | undefined {
    return this.#host.lastReport?.backend;
  }

  /** Queued in call order (the turn is taken at once; the image is decoded when it comes). */
  generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<Completion> {
    const stream = deltaCounter(options.onToken);
    return this.#interruptible(options.signal, 'Generation', async () => {
      const vlmRequest = await this.#toWorker(request);
      const { deltas, ...completion } = await this.#host.call('generation', (api) => api.generate(withTransfer(vlmRequest), stream.callback));
      await stream.received(deltas);
      return completion;
    });
  }

  async sample(request: GenerateRequest, n: number, options: { signal?: AbortSignal } = {}): Promise<Completion[]> {
    if (!Number.isInteger(n) || n < 1) throw new GuardError('INPUT_INVALID', `sample: n must be a whole number ≥ 1, got ${n}.`);
    return this.#interruptible(options.signal, 'Sampling', async () => {
      const vlmRequest = await this.#toWorker(request);
      return this.#host.call('sampling', (api) => api.sample(withTransfer(vlmRequest), n));
    });
  }

  /** Whether large images are split into tiles, and how often the vision encoder ran (its features are reused across a call's candidates). */
  imageEncoderStats(): Promise<ImageEncoderStats & { splitting: boolean }> {
    return this.#host.call('image encoder stats', (api) => api.imageEncoder());
  }

  /** How often the decoder read a whole prompt, and how many rows (a round of N candidates reads one). */
  prefillStats(): Promise<PrefillStats> {
    return this.#host.call('prefill stats', (api) => api.prefills());
  }

  /** What the VLM worker holds outside its JS heap: WebAssembly memory and live WebGPU buffers. */
  memoryUsage(): Promise<WorkerMemory> {
    return this.#host.call('memory usage', (api) => api.memory());
  }

  dispose(): void {
    this.#host.dispose();
  }

  /**
   * One generation at a time: the worker's sessions are not re-entrant and an
   * interrupt must stop the caller's own generation. An abort interrupts it (the worker
   * stops at the next token) or drops it from the queue, and rejects with ABORTED.
   */
  async #interruptible<T>(signal: AbortSignal | undefined, what: string, run: () => Promise<T>): Promise<T> {
    const turn = this.#turn.then(async () => {
      if (signal?.aborted) throw abortedError(what);
      const onAbort = () => void this.#host.call('interrupt', (api) => api.interrupt()).catch(() => undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        const result = await run();
        if (signal?.aborted) throw abortedError(what);
        return result;
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    });
    this.#turn = turn.then(() => undefined, () => undefined);
    return turn;
  }

  async #toWorker(request: GenerateRequest): Promise<VlmRequest> {
    // An encoded file is decoded in the VLM worker, off the page's thread.
    const images = request.image === undefined ? undefined : await Promise.all(imageList(request.image).map(toWorkerImage));
    const vlmRequest: VlmRequest = {
      prompt: request.prompt,
      sampling: request.sampling,
      ...(request.system ? { system: request.system } : {}),
      ...(request.assistantPrefix ? { assistantPrefix: request.assistantPrefix } : {}),
      ...(images ? { images } : {}),
    };
    return vlmRequest;
  }
}
