// Backend choice with WebGPU→WASM fallback, and typed load/inference errors, for every
// model worker (transformers.js or bare onnxruntime-web).
import { GuardError, installErrorTransfer } from '../src/errors.ts';
import type { Backend, LoadReport, ModelDtypes, WorkerRuntimeConfig } from '../src/runtime/contracts.ts';
import { fileMissing, lastFileFailure } from './model-file.ts';

installErrorTransfer();

/** transformers.js sees model files under this path prefix (see transformers-env.ts). */
export const MODEL_PATH_PREFIX = '/@vlm-guard-models/';

export const toModelUrl = (path: string, modelBase: string) =>
  path.startsWith(MODEL_PATH_PREFIX) ? modelBase + path.slice(MODEL_PATH_PREFIX.length) : path;

interface AdapterLike {
  features: ReadonlySet<string>;
  info?: { isFallbackAdapter?: boolean; vendor?: string; architecture?: string; description?: string };
  /** Before GPUAdapterInfo carried it. */
  isFallbackAdapter?: boolean;
}

/**
 * Why an adapter is software (its shaders run on the CPU), or null for a GPU. SwiftShader,
 * llvmpipe and WARP are far slower than WASM for these models (PP-OCRv4: ~45 s per image
 * on SwiftShader vs 0.6 s on WASM), so `auto` treats them as no GPU.
 */
export function softwareAdapter(adapter: AdapterLike): string | null {
  const info = adapter.info ?? {};
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed';
  if (info.isFallbackAdapter ?? adapter.isFallbackAdapter) return `a fallback adapter (${name})`;
  const software = /swiftshader|llvmpipe|lavapipe|softpipe|\bwarp\b|basic render|software/i.exec(name);
  return software ? `a software adapter (${name})` : null;
}

/** Why WebGPU cannot run the model here (null: it can), and whether the adapter has shader-f16. */
async function webGpuAdapter(acceptSoftware: boolean): Promise<{ problem: string | null; f16: boolean }> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<AdapterLike | null> } }).gpu;
  if (!gpu) return { problem: 'navigator.gpu is missing (this browser or context has no WebGPU)', f16: false };
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return { problem: 'navigator.gpu.requestAdapter() returned no adapter', f16: false };
    const software = acceptSoftware ? null : softwareAdapter(adapter);
    if (software) return { problem: `the only WebGPU adapter is ${software}, slower than WASM; ask for device "webgpu" to use it anyway`, f16: false };
    return { problem: null, f16: adapter.features.has('shader-f16') };
  } catch (error) {
    return { problem: `requestAdapter() failed: ${String(error)}`, f16: false };
  }
}

/**
 * fp16 weights need shader-f16 (SwiftShader and many integrated GPUs lack it). Without it
 * the manifest's `webgpuWithoutF16` dtype takes the WebGPU place (the worker's own copy of
 * its config is changed); with none, WebGPU cannot run the model.
 */
function f16Problem(config: { needsShaderF16?: boolean; dtype?: ModelDtypes }, f16: boolean): string | null {
  if (!config.needsShaderF16 || f16) return null;
  if (config.dtype?.webgpuWithoutF16) {
    config.dtype.webgpu = config.dtype.webgpuWithoutF16;
    return null;
  }
  return `the WebGPU adapter lacks 'shader-f16', which the manifest's webgpu dtype (${config.dtype?.webgpu ?? 'fp16'}) needs, and the manifest names no webgpuWithoutF16 dtype`;
}

/** transformers.js raises ModelFileNotFoundError with the URL in quotes; surface it as our typed error. */
export function toLoadError(error: unknown, { modelId, modelBase }: { modelId: string; modelBase: string }): GuardError {
  if (error instanceof GuardError) return error;
  const failure = lastFileFailure();
  if (failure) return failure;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'ModelFileNotFoundError') {
    return fileMissing(toModelUrl(/"([^"]+)"/.exec(message)?.[1] ?? 'unknown URL', modelBase), modelId, '', error);
  }
  return new GuardError('MODEL_LOAD_FAILED', `Loading model "${modelId}" failed: ${message}`, { model: modelId }, { cause: error });
}

/**
 * Loads (and warms up) on the asked device. `auto` tries WebGPU first and falls back
 * to WASM when there is no adapter, only a software one, or WebGPU loading/warm-up
 * fails; a missing file is not retried (WASM would miss it too).
 */
export async function loadOnDevice(
  config: WorkerRuntimeConfig & { modelId: string; needsShaderF16?: boolean; dtype?: ModelDtypes },
  load: (backend: Backend, warmingUp: () => void) => Promise<void>,
  webgpu?: WebGpuEnv,
): Promise<LoadReport> {
  const report = await loadWithFallback(config, load);
  if (report.backend === 'webgpu') await watchWebGpuDevice(webgpu);
  return report;
}

async function loadWithFallback(config: WorkerRuntimeConfig & { modelId: string; needsShaderF16?: boolean; dtype?: ModelDtypes }, load: (backend: Backend, warmingUp: () => void) => Promise<void>): Promise<LoadReport> {
  const started = performance.now();
  // The loader says when its sessions are made and its warm-up run starts (where the load time goes).
  let warmUpStarted: number | null = null;
  const attempt = async (backend: Backend) => {
    warmUpStarted = null;
    try {
      await load(backend, () => void (warmUpStarted = performance.now()));
    } catch (error) {
      throw toLoadError(error, config);
    }
  };
  const report = (backend: Backend, fallbackReason?: string): LoadReport => ({
    backend,
    ...(config.dtype ? { dtype: config.dtype[backend] } : {}),
    loadMs: performance.now() - started,
    ...(warmUpStarted !== null ? { warmUpMs: performance.now() - warmUpStarted } : {}),
    ...(fallbackReason ? { fallbackReason } : {}),
  });

  if (config.device === 'wasm') {
    await attempt('wasm');
    return report('wasm');
  }
  // Asked for by name, a software adapter is used; `auto` takes it for no GPU.
  const adapter = await webGpuAdapter(config.device === 'webgpu');
  const problem = adapter.problem ?? f16Problem(config, adapter.f16);
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

/** onnxruntime-web's WebGPU settings: the device it created (a promise until the first session). */
interface WebGpuEnv {
  device?: Promise<{ lost: Promise<{ message: string; reason?: string }>; destroy(): void } | undefined> | unknown;
}

let deviceLost: string | null = null;

/** Watches the WebGPU device this worker's sessions run on: once lost, every call fails with `deviceLost`. */
export async function watchWebGpuDevice(webgpu: WebGpuEnv | undefined): Promise<void> {
  const device = (await webgpu?.device) as { lost?: Promise<{ message: string; reason?: string }> } | undefined;
  void device?.lost?.then((info) => {
    deviceLost = info.message || info.reason || 'the device was lost';
  });
}

/** Fault injection for drills and tests: destroys the worker's WebGPU device as a driver reset would. */
export async function loseWebGpuDevice(webgpu: WebGpuEnv | undefined): Promise<boolean> {
  const device = (await webgpu?.device) as { destroy?: () => void } | undefined;
  if (!device?.destroy) return false;
  device.destroy();
  return true;
}

/** The host restarts the worker on WASM when it sees this error. */
function deviceLostError(what: string): GuardError {
  return new GuardError('BACKEND_UNAVAILABLE', `${what}: the WebGPU device was lost (${deviceLost}).`, { deviceLost: deviceLost ?? 'lost' });
}

/** Runs an inference call, mapping failures to INFERENCE_FAILED (or to a device loss). */
export async function infer<T>(what: string, run: () => Promise<T>): Promise<T> {
  if (deviceLost !== null) throw deviceLostError(what);
  try {
    return await run();
  } catch (error) {
    if (deviceLost !== null) throw deviceLostError(what);
    if (error instanceof GuardError) throw error;
    throw new GuardError('INFERENCE_FAILED', `${what} failed: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
}

export function notLoaded(worker: string): GuardError {
  return new GuardError('INFERENCE_FAILED', `${worker}: load() must complete before inference.`);
}
