// What every model worker shares: transformers.js environment, backend choice with
// WebGPU→WASM fallback, and mapping load failures to typed errors.
import { env } from '@huggingface/transformers';
import * as Comlink from 'comlink';
import { GuardError, installErrorTransfer } from '../src/errors.ts';
import type { Backend, LoadReport, ModelProgress, ProgressSink, WorkerRuntimeConfig } from '../src/evaluators/worker-api.ts';

installErrorTransfer();

export { Comlink };

/**
 * transformers.js 4.3.1 skips its "does the file exist" probe when localModelPath is
 * an absolute http(s) URL (model_registry/get_file_metadata.js), so tokenizers fail
 * to load from a URL base. We give it a path-only prefix and map that prefix to the
 * real base in env.fetch, which also lets the base live on another origin (a CDN).
 */
const MODEL_PATH_PREFIX = '/@vlm-guard-models/';

const toModelUrl = (path: string, modelBase: string) =>
  path.startsWith(MODEL_PATH_PREFIX) ? modelBase + path.slice(MODEL_PATH_PREFIX.length) : path;

export function configureEnvironment(config: WorkerRuntimeConfig): void {
  env.allowLocalModels = true;
  env.allowRemoteModels = config.allowRemoteModels;
  env.localModelPath = MODEL_PATH_PREFIX;
  env.fetch = (input, init) => fetch(typeof input === 'string' ? toModelUrl(input, config.modelBase) : input, init);
  // Offline caching keyed by the manifest's sha256 is the embed/offline layer's job;
  // transformers.js' URL-keyed cache could serve stale or HTML-404 bodies.
  env.useBrowserCache = false;
  const onnx = env.backends.onnx as { wasm?: { wasmPaths?: unknown } };
  onnx.wasm ??= {};
  onnx.wasm.wasmPaths = config.ortWasm; // must be set before the first session, else a CDN is used
}

async function webGpuAdapterProblem(): Promise<string | null> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
  if (!gpu) return 'navigator.gpu is missing (this browser or context has no WebGPU)';
  try {
    return (await gpu.requestAdapter()) ? null : 'navigator.gpu.requestAdapter() returned no adapter';
  } catch (error) {
    return `requestAdapter() failed: ${String(error)}`;
  }
}

/** transformers.js raises ModelFileNotFoundError with the URL in quotes; surface it as our typed error. */
export function toLoadError(error: unknown, { modelId, modelBase }: { modelId: string; modelBase: string }): GuardError {
  if (error instanceof GuardError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'ModelFileNotFoundError') {
    const url = toModelUrl(/"([^"]+)"/.exec(message)?.[1] ?? 'unknown URL', modelBase);
    return new GuardError(
      'MODEL_FILE_MISSING',
      `Model file not found: ${url}. Check the guard's modelBase and that "${modelId}" is installed there (\`npm run assets\` writes the generated test models).`,
      { url, model: modelId },
      { cause: error },
    );
  }
  return new GuardError('MODEL_LOAD_FAILED', `Loading model "${modelId}" failed: ${message}`, { model: modelId }, { cause: error });
}

/**
 * Loads (and warms up) on the asked device. `auto` tries WebGPU first and falls back
 * to WASM when there is no adapter or WebGPU loading/warm-up fails; a missing file
 * is not retried (WASM would miss it too).
 */
export async function loadOnDevice(
  config: WorkerRuntimeConfig & { modelId: string },
  load: (backend: Backend) => Promise<void>,
): Promise<LoadReport> {
  const started = performance.now();
  const attempt = async (backend: Backend) => {
    try {
      await load(backend);
    } catch (error) {
      throw toLoadError(error, config);
    }
  };
  const report = (backend: Backend, fallbackReason?: string): LoadReport => ({
    backend,
    loadMs: performance.now() - started,
    ...(fallbackReason ? { fallbackReason } : {}),
  });

  if (config.device === 'wasm') {
    await attempt('wasm');
    return report('wasm');
  }
  const problem = await webGpuAdapterProblem();
  if (config.device === 'webgpu') {
    if (problem) {
      throw new GuardError('BACKEND_UNAVAILABLE', `WebGPU was asked for but is unavailable: ${problem}. Use device "auto" or "wasm".`, { backend: 'webgpu' });
    }
    await attempt('webgpu');
    return report('webgpu');
  }
  if (problem) {
    await attempt('wasm');
    return report('wasm', problem);
  }
  try {
    await attempt('webgpu');
    return report('webgpu');
  } catch (error) {
    if (error instanceof GuardError && error.code === 'MODEL_FILE_MISSING') throw error;
    await attempt('wasm');
    return report('wasm', `WebGPU failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Forwards transformers.js progress events, tagged with the model id. */
export function progressForwarder(modelId: string, sink: ProgressSink | undefined): ((info: unknown) => void) | undefined {
  if (!sink) return undefined;
  return (info: unknown) => {
    const { status, file, loaded, total, progress } = info as Partial<ModelProgress>;
    if (!status) return;
    void sink({ model: modelId, status, file, loaded, total, progress });
  };
}

/** Runs an inference call, mapping failures to INFERENCE_FAILED. */
export async function infer<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw new GuardError('INFERENCE_FAILED', `${what} failed: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
}

export function notLoaded(worker: string): GuardError {
  return new GuardError('INFERENCE_FAILED', `${worker}: load() must complete before inference.`);
}
