// Where models and ORT's runtime come from: the manifest at the model base URL, and
// the settings every model worker starts with.
import { ORT_WASM_FILES } from './defaults.ts';
import { packageFileUrls } from './vite-prebundle.ts';
import { shippedOrtFiles } from './shipped-ort.ts';
import { GuardError } from '../errors.ts';
import type { Device, ModelFiles, WorkerRuntimeConfig } from './contracts.ts';
import { F16_DTYPES, type Manifest, type ManifestModel, parseManifest } from './manifest.ts';

/** The manifest in a model base folder (`<modelBase>manifest.json`). */
export function loadManifest(modelBase: string): Promise<Manifest> {
  return readManifest(`${modelBase}manifest.json`);
}

/** A manifest at a URL, validated. */
export async function readManifest(url: string): Promise<Manifest> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new GuardError('MANIFEST_UNREACHABLE', `Could not fetch the model manifest ${url}: ${String(cause)}`, { url }, { cause });
  }
  if (!response.ok) {
    throw new GuardError('MANIFEST_UNREACHABLE', `Could not fetch the model manifest ${url}: HTTP ${response.status}. Is modelBase right?`, { url });
  }
  let json: unknown;
  try {
    json = await response.json();
  } catch (cause) {
    throw new GuardError('MANIFEST_INVALID', `The model manifest ${url} is not JSON (got ${response.headers.get('content-type') ?? 'no content type'}).`, { url }, { cause });
  }
  return parseManifest(json, url);
}

/** `ortBase`: a folder holding ORT's files; unset, the runtime shipped beside the module. */
export function runtimeConfig(options: { modelBase: string; ortBase: string | undefined; allowRemoteModels: boolean; device: Device; wasmThreads?: number }): WorkerRuntimeConfig {
  return {
    ...(options.wasmThreads !== undefined ? { wasmThreads: options.wasmThreads } : {}),
    modelBase: options.modelBase,
    ortWasm: options.ortBase ? { mjs: `${options.ortBase}${ORT_WASM_FILES.mjs}`, wasm: `${options.ortBase}${ORT_WASM_FILES.wasm}` } : packageFileUrls(shippedOrtFiles(), import.meta.url),
    allowRemoteModels: options.allowRemoteModels,
    device: options.device,
  };
}

/** The model's files as its worker must check them: path → sha256, from the manifest. */
export function modelFiles(modelId: string, entry: ManifestModel): ModelFiles {
  return { modelId, sha256: Object.fromEntries(entry.files.map((f) => [f.path, f.sha256])), bytes: Object.fromEntries(entry.files.map((f) => [f.path, f.bytes])) };
}

/** Whether the model's WebGPU dtype needs the adapter's shader-f16 feature (else `auto` runs it on WASM). */
export function needsShaderF16(entry: ManifestModel): boolean {
  return F16_DTYPES.includes(entry.dtype.webgpu);
}
