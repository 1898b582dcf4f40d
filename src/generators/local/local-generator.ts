// A VLM running in this page (workers/vlm.worker.ts), behind the same Generator
// interface as a remote one.
import * as Comlink from 'comlink';
import { DEFAULTS } from '../../config.ts';
import { GuardError } from '../../errors.ts';
import type { Backend, Device, LoadReport, ModelProgress, VlmRequest, VlmWorkerApi, WorkerMemory } from '../../evaluators/worker-api.ts';
import { WorkerHost } from '../../evaluators/worker-host.ts';
import { forAttempt, toWorkerImage } from '../../images/image-input.ts';
import { findModel } from '../../manifest.ts';
import { loadManifest, needsShaderF16, runtimeConfig } from '../../model-source.ts';
import { abortedError } from '../remote/http.ts';
import type { Completion, GenerateOptions, GenerateRequest, Generator } from '../types.ts';

export interface LocalGeneratorOptions {
  modelBase?: string;
  ortBase?: string;
  /** Manifest id of a `vlm` model; default: the manifest's `defaults.vlm`. */
  model?: string;
  device?: Device;
  allowRemoteModels?: boolean;
  timeouts?: { loadMs?: number; generateMs?: number };
  onProgress?: (progress: ModelProgress) => void;
}

/** The request as one attempt sends it (a retried call must not send pixels moved to the dead worker). */
const withTransfer = (request: VlmRequest): VlmRequest => (request.image ? { ...request, image: forAttempt(request.image) } : request);

/** How long generate() waits for token callbacks still in flight after the result. */
const DELTA_GRACE_MS = 2_000;

/** Generation can take minutes on WASM with a real model. */
const DEFAULT_GENERATE_TIMEOUT_MS = 600_000;

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
    const modelBase = folder(options.modelBase ?? DEFAULTS.modelBase);
    const manifest = await loadManifest(modelBase);
    const modelId = options.model ?? manifest.defaults.vlm;
    if (!modelId) throw new GuardError('MODEL_UNKNOWN', `The manifest at ${modelBase} names no default VLM; pass LocalGenerator.create({ model }).`);
    const entry = findModel(manifest, modelId, 'vlm');
    const runtime = runtimeConfig({
      modelBase,
      ortBase: folder(options.ortBase ?? DEFAULTS.ortBase),
      allowRemoteModels: options.allowRemoteModels ?? false,
      device: options.device ?? DEFAULTS.device,
    });
    const onProgress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
    const host = new WorkerHost<VlmWorkerApi, LoadReport>({
      label: 'VLM worker',
      spawn: () => new Worker(new URL('../../../workers/vlm.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-vlm' }),
      init: (api) => api.load({ ...runtime, modelId, dtype: entry.dtype, needsShaderF16: needsShaderF16(entry) }, onProgress),
      loadTimeoutMs: options.timeouts?.loadMs ?? DEFAULTS.timeouts.loadMs,
      callTimeoutMs: options.timeouts?.generateMs ?? DEFAULT_GENERATE_TIMEOUT_MS,
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
    const image = request.image === undefined ? undefined : await toWorkerImage(request.image);
    const vlmRequest: VlmRequest = {
      prompt: request.prompt,
      sampling: request.sampling,
      ...(request.system ? { system: request.system } : {}),
      ...(request.assistantPrefix ? { assistantPrefix: request.assistantPrefix } : {}),
      ...(image ? { image } : {}),
    };
    return vlmRequest;
  }
}
