// What every transformers.js worker shares: its environment (local models, ORT from our origin) and progress events.
import { env } from '@huggingface/transformers';
import * as Comlink from 'comlink';
import type { ModelFiles, ModelProgress, ProgressSink, WorkerRuntimeConfig } from '../src/runtime/contracts.ts';
import { bytesToProgress, verifiedFetch } from './model-file.ts';
import { MODEL_PATH_PREFIX, toModelUrl } from './backend-choice.ts';
import { type OrtWasmEnv, configureOrtRuntime } from './ort-runtime.ts';

export { Comlink };
export { infer, loadOnDevice, loseWebGpuDevice, notLoaded } from './backend-choice.ts';

/** onnxruntime-web's WebGPU settings as transformers.js exposes them (the same object). */
export const ortWebGpu = () => (env.backends.onnx as { webgpu?: { device?: unknown } }).webgpu;

/**
 * transformers.js 4.3.1 skips its "does the file exist" probe when localModelPath is
 * an absolute http(s) URL (model_registry/get_file_metadata.js), so tokenizers fail
 * to load from a URL base. We give it a path-only prefix and map that prefix to the
 * real base in env.fetch, which also lets the base live on another origin (a CDN).
 */
export function configureEnvironment(config: WorkerRuntimeConfig & ModelFiles, onProgress?: ProgressSink): void {
  env.allowLocalModels = true;
  env.allowRemoteModels = config.allowRemoteModels;
  env.localModelPath = MODEL_PATH_PREFIX;
  // Every file is checked against the manifest's sha256 before transformers.js sees it.
  // Download progress as bytes arrive (transformers.js itself reports a file once it has it).
  const onBytes = bytesToProgress(config.modelId, onProgress);
  env.fetch = (input, init) => verifiedFetch(toModelUrl(String(input), config.modelBase), config, init, onBytes);
  // Offline caching is the service worker's job (public/sw.js), or verifiedFetch's for
  // hub loading; whatever serves a file, its bytes are checked against the manifest on every load.
  env.useBrowserCache = false;
  // transformers.js would cache ORT's runtime and import it from a blob: URL, which a
  // strict CSP (script-src 'self') forbids; load it from our own URL instead.
  env.useWasmCache = false;
  const onnx = env.backends.onnx as { wasm?: OrtWasmEnv };
  onnx.wasm ??= {};
  configureOrtRuntime(onnx.wasm, config); // before the first session, else a CDN is used
}

/** Forwards transformers.js progress events, tagged with the model id. */
export function progressForwarder(modelId: string, sink: ProgressSink | undefined): ((info: unknown) => void) | undefined {
  if (!sink) return undefined;
  return (info: unknown) => {
    const { status, file, loaded, total, progress } = info as Partial<ModelProgress>;
    // Download progress comes from verifiedFetch as the bytes arrive (a percent at a time);
    // transformers.js's own 'progress' is its copy of the verified file, one event per chunk.
    if (!status || status === 'progress') return;
    void sink({ model: modelId, status, file, loaded, total, progress });
  };
}

