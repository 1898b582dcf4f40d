// Model files as the manifest pins them: every byte a worker loads is hashed (SHA-256,
// incrementally as it arrives — Web Crypto has no streaming digest) and compared with
// the manifest before any session sees it. A file the manifest does not list is not
// loaded at all. transformers.js workers go through env.fetch, bare onnxruntime-web
// workers through fetchModelFile; both end here.
import { createSHA256 } from 'hash-wasm';
import { GuardError } from '../src/errors.ts';
import type { ModelFiles, ProgressSink } from '../src/runtime/contracts.ts';

/**
 * The last integrity failure in this worker: transformers.js reports any failed fetch as
 * "file not found", so the load error is recovered from here (toLoadError).
 */
let integrityFailure: GuardError | null = null;
export const lastIntegrityFailure = (): GuardError | null => integrityFailure;

/**
 * One hasher per worker, its files hashed one after another (downloads still run side
 * by side): each hash-wasm instance holds a WebAssembly memory of its own.
 */
let hasher: ReturnType<typeof createSHA256> | null = null;
let hashing: Promise<unknown> = Promise.resolve();

function sha256Of(chunks: readonly Uint8Array[]): Promise<string> {
  const run = hashing.then(async () => {
    const h = await (hasher ??= createSHA256());
    h.init();
    for (const chunk of chunks) h.update(chunk);
    return h.digest('hex');
  });
  hashing = run.catch(() => undefined);
  return run;
}

/** The path of `url` inside the model's folder, or null when it is outside it. */
function pathInModel(url: string, modelBase: string, modelId: string): string | null {
  const folder = `${modelBase}${modelId}/`;
  return url.startsWith(folder) ? url.slice(folder.length).split(/[?#]/)[0]! : null;
}

/**
 * Fetches a model file and checks it. A file the manifest does not list answers 404
 * (transformers.js treats optional files as absent; a required one fails as missing);
 * a body whose sha256 differs fails with MODEL_INTEGRITY.
 */
export async function verifiedFetch(url: string, model: ModelFiles & { modelBase: string }, init?: RequestInit): Promise<Response> {
  const path = pathInModel(url, model.modelBase, model.modelId);
  const expected = path === null ? undefined : model.sha256[path];
  if (expected === undefined) return new Response(null, { status: 404, statusText: `${url} is not a file of ${model.modelId} in the manifest` });
  const response = await fetch(url, init);
  if (!response.ok || !response.body) return response;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  const actual = await sha256Of(chunks);
  if (actual !== expected) {
    throw (integrityFailure = new GuardError('MODEL_INTEGRITY', `Model file ${url} does not match the manifest: sha256 ${actual}, expected ${expected}. Refusing to load ${model.modelId}.`, { url, model: model.modelId }));
  }
  const body = new Blob(chunks);
  const headers = new Headers(response.headers);
  headers.delete('content-encoding');
  headers.set('content-length', String(body.size));
  return new Response(body, { status: 200, headers });
}

/** One model file for a bare onnxruntime-web worker: verified, with progress and typed errors. */
export async function fetchModelFile(path: string, model: ModelFiles & { modelBase: string }, onProgress?: ProgressSink): Promise<ArrayBuffer> {
  const url = `${model.modelBase}${model.modelId}/${path}`;
  void onProgress?.({ model: model.modelId, status: 'download', file: path });
  const response = await verifiedFetch(url, model).catch((cause: unknown) => {
    if (cause instanceof GuardError) throw cause;
    throw new GuardError('MODEL_LOAD_FAILED', `Could not fetch ${url}: ${String(cause)}`, { url, model: model.modelId });
  });
  if (!response.ok) {
    throw new GuardError('MODEL_FILE_MISSING', `Model file not found: ${url} (HTTP ${response.status}${response.statusText ? `: ${response.statusText}` : ''}). Check modelBase, and \`npm run assets\` / \`npm run models:fetch\`.`, { url, model: model.modelId });
  }
  const bytes = await response.arrayBuffer();
  void onProgress?.({ model: model.modelId, status: 'done', file: path, loaded: bytes.byteLength, total: bytes.byteLength, progress: 100 });
  return bytes;
}
