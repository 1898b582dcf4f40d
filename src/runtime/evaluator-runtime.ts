// The evaluator runtime: reads the manifest, starts the model workers (CLIP, reward,
// OCR when image text is on), and owns them — their diagnostics, their restarts and
// the closed state every public call checks. The guard on top only decides.
import * as Comlink from 'comlink';
import { CallGate } from '../concurrency/call-gate.ts';
import { GuardError, abortedError } from '../errors.ts';
import { type ImageFetchPolicy, fetchImage } from '../images/image-fetch.ts';
import type { ImageInput, ImageSource } from '../images/image-input.ts';
import type { OcrConfig } from '../ocr/config.ts';
import type {
  Backend,
  ClipWorkerApi,
  DeviceLossApi,
  Device,
  LoadReport,
  MemoryApi,
  ModelFiles,
  ModelProgress,
  OcrWorkerApi,
  RewardFraming,
  RewardLoadReport,
  RewardWorkerApi,
  WorkerMemory,
  WorkerRuntimeConfig,
} from './contracts.ts';
import { ClipEvaluator } from './evaluators/clip-evaluator.ts';
import { OcrEvaluator } from './evaluators/ocr-evaluator.ts';
import { RewardEvaluator } from './evaluators/reward-evaluator.ts';
import { type ClipModelEntry, type Manifest, type ManifestModel, type RewardModelEntry, findModel, tierModels } from './manifest.ts';
import { type HubOptions, hubFiles, hubManifest } from './hub-source.ts';
import { loadManifest, modelFiles, needsShaderF16, runtimeConfig } from './model-source.ts';
import { compiledRuntime, withCompiledRuntime } from './ort-runtime.ts';
import type { WindowOptions } from './text-windows.ts';
import { type Lease, SharedLoads } from './shared-loads.ts';
import { WorkerHost } from './worker-host.ts';

/** What the runtime needs of the guard's options. */
export interface RuntimeOptions {
  modelBase: string;
  ortBase: string | undefined;
  device: Device;
  wasmThreads?: number;
  allowRemoteModels: boolean;
  tier?: string;
  /** Hub loading (opt-in); absent: the models come from modelBase. */
  models?: HubOptions;
  clipModel?: string;
  rewardModel?: string;
  ocrModel?: string;
  imageText: 'auto' | 'on' | 'off';
  ocr: OcrConfig;
  reward: { framing: RewardFraming; instruction: string; window: WindowOptions; prefillChunk: number };
  unsafeDescription: string;
  imageCacheSize: number;
  timeouts: { loadMs: number; callMs: number; imageFetchMs: number };
  allowImageOrigins: string[];
  /** The page's URL (image URLs resolve against it; its origin may always be fetched). */
  pageUrl: string;
  concurrency: { maxInFlight: number; maxQueued: number };
}

/** The models the runtime loaded, as the manifest (and tier) named them. */
export interface LoadedModels {
  clip: { id: string; entry: ClipModelEntry; report: LoadReport };
  reward: { id: string; entry: RewardModelEntry; report: RewardLoadReport };
  /** Image text (OCR): the mode asked for, whether it runs, and why not. */
  imageText: { mode: 'auto' | 'on' | 'off'; active: boolean; model?: string; reason?: string; loadMs?: number };
}

/** What guards with equal model settings share: the loaded workers and what they loaded. */
interface LoadedWorkers {
  hosts: Hosts;
  models: LoadedModels;
}

const SHARED_WORKERS = new SharedLoads<LoadedWorkers, ModelProgress>(({ hosts }) => Object.values(hosts).forEach((host) => host.dispose()));

/**
 * The options that decide which workers load what; guards equal in all of them share workers.
 * The rest (concurrency, image origins and fetch timeout, CLIP's cache and unsafe description)
 * belong to each guard's view.
 */
function workersKey(o: RuntimeOptions): string {
  const { modelBase, ortBase, device, wasmThreads, allowRemoteModels, tier, models, clipModel, rewardModel, ocrModel, imageText, ocr, reward } = o;
  return JSON.stringify([modelBase, ortBase, device, wasmThreads, allowRemoteModels, tier, models, clipModel, rewardModel, ocrModel, imageText, ocr, reward, o.timeouts.loadMs, o.timeouts.callMs]);
}

type Hosts = { clip: WorkerHost<ClipWorkerApi, LoadReport>; reward: WorkerHost<RewardWorkerApi, RewardLoadReport>; ocr?: WorkerHost<OcrWorkerApi, LoadReport> };
type PerWorker<T> = { clip: T; reward: T; ocr?: T };

/** A worker's runtime settings: on WASM after a device loss, with the page's compiled ORT runtime. */
const onDevice = (runtime: WorkerRuntimeConfig, deviceLost: string | null): Promise<WorkerRuntimeConfig> =>
  withCompiledRuntime(deviceLost === null ? runtime : { ...runtime, device: 'wasm' });

export class EvaluatorRuntime {
  readonly clip: ClipEvaluator;
  readonly reward: RewardEvaluator;
  readonly ocr: OcrEvaluator | undefined;
  readonly models: LoadedModels;
  /** Back-pressure and the closed state: every public call of the guard goes through it. */
  readonly calls: CallGate;
  readonly #hosts: Hosts;
  readonly #imageFetch: ImageFetchPolicy;
  readonly #lease: Lease<LoadedWorkers>;

  /** A guard's view of the (possibly shared) workers: its own call gate, caches and closed state. */
  private constructor(lease: Lease<LoadedWorkers>, options: RuntimeOptions) {
    const { hosts, models } = lease.value;
    this.#lease = lease;
    this.#hosts = hosts;
    this.#imageFetch = { allowedOrigins: options.allowImageOrigins, pageOrigin: new URL(options.pageUrl).origin, timeoutMs: options.timeouts.imageFetchMs };
    this.models = models;
    this.calls = new CallGate(options.concurrency);
    this.clip = new ClipEvaluator(hosts.clip, { cacheSize: options.imageCacheSize, unsafeDescription: options.unsafeDescription });
    this.reward = new RewardEvaluator(hosts.reward);
    this.ocr = hosts.ocr ? new OcrEvaluator(hosts.ocr) : undefined;
  }

  /** Loads the manifest and the models (workers side by side); resolves when all are ready. */
  /**
   * Loads the manifest and starts the workers — or takes the ones this page already loads or
   * loaded for equal model settings (`workersKey`). `signal` cancels this wait (ABORTED); the
   * workers stop when no guard holds them.
   */
  static async start(options: RuntimeOptions, onProgress: (progress: ModelProgress) => void, signal?: AbortSignal): Promise<EvaluatorRuntime> {
    const lease = await SHARED_WORKERS.acquire(workersKey(options), (loadSignal, progress) => loadWorkers(options, progress, loadSignal), onProgress, signal);
    return new EvaluatorRuntime(lease, options);
  }


  /** An image URL fetched under the host's rules (allowImageOrigins, timeouts.imageFetchMs, the call's signal); other forms as they are. */
  fetchImage(image: ImageInput, signal?: AbortSignal): Promise<ImageSource> {
    return fetchImage(image, this.#imageFetch, signal);
  }

  get closed(): boolean {
    return this.calls.closed;
  }

  /** Calls running and waiting, against the limits (createGuard({ concurrency })). */
  get load(): CallGate['stats'] {
    return this.calls.stats;
  }

  /** The backend each worker runs on now (a restarted worker may have fallen back). */
  get backends(): PerWorker<Backend> {
    const ocr = this.#hosts.ocr?.lastReport?.backend;
    return {
      clip: this.#hosts.clip.lastReport?.backend ?? this.models.clip.report.backend,
      reward: this.#hosts.reward.lastReport?.backend ?? this.models.reward.report.backend,
      ...(ocr ? { ocr } : {}),
    };
  }

  /** Why a worker is not on the backend asked for: no WebGPU at load, or its device lost since. */
  get fallbackReasons(): Partial<PerWorker<string>> {
    const lost = (host: { deviceLost: string | null } | undefined) => (host?.deviceLost ? `WebGPU device lost (${host.deviceLost}); now on WASM` : undefined);
    const reasons = {
      clip: lost(this.#hosts.clip) ?? this.models.clip.report.fallbackReason,
      reward: lost(this.#hosts.reward) ?? this.models.reward.report.fallbackReason,
      ocr: lost(this.#hosts.ocr),
    };
    return Object.fromEntries(Object.entries(reasons).filter(([, r]) => r !== undefined));
  }

  /** Restarts per worker (a crashed or timed-out worker is replaced on the next call). */
  get workerRestarts(): { clip: number; reward: number } {
    return { clip: this.#hosts.clip.restarts, reward: this.#hosts.reward.restarts };
  }

  get imageCacheStats(): ClipEvaluator['cacheStats'] {
    return this.clip.cacheStats;
  }

  /**
   * What each model worker holds outside its JS heap: onnxruntime-web's WebAssembly memory
   * and its live WebGPU buffers (see WorkerMemory).
   */
  memoryUsage(): Promise<PerWorker<WorkerMemory>> {
    return this.#eachWorker('memory usage', (api) => api.memory());
  }

  /**
   * Fault drill: destroys the WebGPU device under every worker running on it, as a driver
   * reset or GPU removal would. The next call on each finds the loss, restarts the worker
   * on WASM and is retried there (`backends`, `fallbackReasons` say so).
   */
  simulateDeviceLoss(): Promise<PerWorker<boolean>> {
    return this.#eachWorker('device loss', (api) => api.loseDevice());
  }

  /** Every call of this guard waiting or running settles with DISPOSED at once; the workers stop once no guard holds them. */
  close(): void {
    this.calls.close();
    this.#lease.release();
  }

  /** One call on each model worker (OCR's when it is loaded), side by side, through the gate. */
  #eachWorker<T>(what: string, call: (api: Comlink.Remote<DeviceLossApi & MemoryApi>) => Promise<T>): Promise<PerWorker<T>> {
    return this.calls.run(what, async () => {
      const run = <A, R>(host: WorkerHost<A, R>) => host.call(what, (api) => call(api as unknown as Comlink.Remote<DeviceLossApi & MemoryApi>));
      const [clip, reward, ocr] = await Promise.all([run(this.#hosts.clip), run(this.#hosts.reward), this.#hosts.ocr ? run(this.#hosts.ocr) : undefined]);
      return { clip, reward, ...(ocr !== undefined ? { ocr } : {}) };
    });
  }
}

/** Loads the manifest and starts the model workers; `signal` cancels it (workers terminated, ABORTED). */
async function loadWorkers(options: RuntimeOptions, onProgress: (progress: ModelProgress) => void, signal: AbortSignal): Promise<LoadedWorkers> {
  const cancelled = () => abortedError('Loading the guard');
  if (signal.aborted) throw cancelled();
  const runtime = runtimeConfig(options);
  void compiledRuntime(runtime.ortWasm.wasm); // ORT's runtime compiles on the page while the manifest is read
  const manifest = options.models ? await hubManifest(options.models, options.tier) : await loadManifest(options.modelBase);
  if (signal.aborted) throw cancelled();
  const files: FilesOf = (id, entry) => (options.models ? hubFiles(options.models, modelFiles(id, entry), entry) : modelFiles(id, entry));
  const tier = options.tier === undefined ? undefined : tierModels(manifest, options.tier);
  const clipId = options.clipModel ?? tier?.models.clip ?? manifest.defaults.clip;
  const rewardId = options.rewardModel ?? tier?.models.reward ?? manifest.defaults.reward;
  // A tier may run a model in other dtypes than its entry's (e.g. CLIP in q8 on both backends).
  const clipEntry = { ...findModel(manifest, clipId, 'clip'), ...(tier?.dtype?.clip ? { dtype: tier.dtype.clip } : {}) };
  const rewardEntry = { ...findModel(manifest, rewardId, 'reward'), ...(tier?.dtype?.reward ? { dtype: tier.dtype.reward } : {}) };
  const progress = Comlink.proxy(onProgress);
  const timeouts = { loadTimeoutMs: options.timeouts.loadMs, callTimeoutMs: options.timeouts.callMs };
  const hosts: Hosts = {
    clip: new WorkerHost<ClipWorkerApi, LoadReport>({
      label: 'CLIP worker',
      spawn: () => new Worker(new URL('../../workers/clip.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-clip' }),
      init: async (api, { deviceLost }) =>
        api.load({ ...(await onDevice(runtime, deviceLost)), ...files(clipId, clipEntry), maxTextTokens: clipEntry.maxTextTokens, dtype: clipEntry.dtype, needsShaderF16: needsShaderF16(clipEntry) }, progress),
      ...timeouts,
    }),
    reward: new WorkerHost<RewardWorkerApi, RewardLoadReport>({
      label: 'reward worker',
      spawn: () => new Worker(new URL('../../workers/reward.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-reward' }),
      init: async (api, { deviceLost }) =>
        api.load(
          {
            ...(await onDevice(runtime, deviceLost)),
            ...files(rewardId, rewardEntry),
            kind: rewardEntry.kind,
            maxTokens: rewardEntry.maxTokens,
            dtype: rewardEntry.dtype,
            needsShaderF16: needsShaderF16(rewardEntry),
            score: rewardEntry.score,
            ...(rewardEntry.guard ? { guard: rewardEntry.guard } : {}),
            ...options.reward,
            framing: options.reward.framing === 'auto' ? (rewardEntry.framing ?? 'auto') : options.reward.framing,
          },
          progress,
        ),
      ...timeouts,
    }),
  };
  const ocr = ocrHost({ ...options, ocrModel: options.ocrModel ?? tier?.models.ocr }, manifest, files, runtime, progress, timeouts);
  if (ocr.host) hosts.ocr = ocr.host;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(cancelled())));
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const loading = Promise.all([
      hosts.clip.ready(),
      hosts.reward.ready(),
      // `auto`: a failing OCR load leaves the guard working without image text.
      hosts.ocr?.ready().catch((error: unknown) => {
        if (options.imageText === 'on') throw error;
        hosts.ocr?.dispose();
        delete hosts.ocr;
        ocr.reason = `the OCR model did not load: ${error instanceof Error ? error.message : String(error)}`;
        return undefined;
      }),
    ]);
    loading.catch(() => undefined); // after an abort it fails with DISPOSED, unheard
    const [clipReport, rewardReport, ocrReport] = await Promise.race([aborted, loading]);
    const imageText = {
      mode: options.imageText,
      active: ocrReport !== undefined,
      ...(ocr.modelId ? { model: ocr.modelId } : {}),
      ...(ocr.reason ? { reason: ocr.reason } : {}),
      ...(ocrReport ? { loadMs: ocrReport.loadMs } : {}),
    };
    return { hosts, models: { clip: { id: clipId, entry: clipEntry, report: clipReport }, reward: { id: rewardId, entry: rewardEntry, report: rewardReport }, imageText } };
  } catch (error) {
    for (const host of Object.values(hosts)) host.dispose();
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** A model's files and where they come from (modelBase, or the hub). */
type FilesOf = (modelId: string, entry: ManifestModel) => ModelFiles;

/** The OCR worker when image text is on (or `auto` and the manifest has an OCR model). */
function ocrHost(
  options: Pick<RuntimeOptions, 'imageText' | 'ocrModel' | 'ocr'>,
  manifest: Manifest,
  files: FilesOf,
  runtime: WorkerRuntimeConfig,
  onProgress: (progress: ModelProgress) => void,
  timeouts: { loadTimeoutMs: number; callTimeoutMs: number },
): { host?: WorkerHost<OcrWorkerApi, LoadReport>; modelId?: string; reason?: string } {
  if (options.imageText === 'off') return { reason: 'imageText is "off"' };
  const modelId = options.ocrModel ?? manifest.defaults.ocr;
  if (!modelId) {
    if (options.imageText === 'on') throw new GuardError('MODEL_UNKNOWN', 'imageText is "on" but the manifest names no OCR model (defaults.ocr); pass ocrModel.');
    return { reason: 'the manifest has no OCR model' };
  }
  const entry = findModel(manifest, modelId, 'ocr');
  const host = new WorkerHost<OcrWorkerApi, LoadReport>({
    label: 'OCR worker',
    spawn: () => new Worker(new URL('../../workers/ocr.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-ocr' }),
    init: async (api, { deviceLost }) => api.load({ ...(await onDevice(runtime, deviceLost)), ...files(modelId, entry), files: entry.roles, ocr: options.ocr }, onProgress),
    ...timeouts,
  });
  return { host, modelId };
}
