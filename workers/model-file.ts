// Model files as the manifest pins them: every byte a worker loads is hashed (SHA-256,
// chunk by chunk as it arrives — Web Crypto has no streaming digest) and compared with
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
 * One hasher per worker (each hash-wasm instance holds a WebAssembly memory of its own): the
 * files read side by side each keep their SHA-256 state between chunks (save/load, a few
 * hundred bytes), so every file is hashed as it arrives, in one pass.
 */
let hasher: Promise<Awaited<ReturnType<typeof createSHA256>>> | null = null;

/** Runs `read` with a SHA-256 of its own to feed, then gives its hex digest. */
async function hashing<T>(read: (update: (chunk: Uint8Array) => void) => Promise<T>): Promise<{ value: T; sha256: string }> {
  const h = await (hasher ??= createSHA256());
  h.init();
  let state = h.save();
  const value = await read((chunk) => {
    h.load(state);
    h.update(chunk);
    state = h.save();
  });
  h.load(state);
  return { value, sha256: h.digest('hex') };
}

/** The path of `url` inside the model's folder, or null when it is outside it. */
function pathInModel(url: string, modelBase: string, modelId: string): string | null {
  const folder = `${modelBase}${modelId}/`;
  return url.startsWith(folder) ? url.slice(folder.length).split(/[?#]/)[0]! : null;
}

type ModelSource = ModelFiles & { modelBase: string };

/** Called as a file's bytes arrive: its path, bytes so far, its size. */
export type BytesSink = (path: string, loaded: number, total: number) => void;

/** Where a file really comes from: the model's own folder (a hub revision), else the model base. */
const sourceUrl = (model: ModelSource, path: string) => `${model.folder ?? `${model.modelBase}${model.modelId}/`}${path}`;

/**
 * A body's bytes, read to its end and hashed as they arrive (one pass) — or null once it
 * passes `limit` bytes (the manifest's size: a server that sends without end is stopped
 * there, not at the load's time limit).
 */
function readChunks(body: ReadableStream<Uint8Array<ArrayBuffer>>, limit: number | undefined, onBytes?: (loaded: number) => void) {
  return hashing(async (update): Promise<Uint8Array<ArrayBuffer>[] | null> => {
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    const reader = body.getReader();
    let loaded = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return chunks;
      loaded += value.byteLength;
      if (limit !== undefined && loaded > limit) {
        await reader.cancel().catch(() => undefined);
        return null;
      }
      update(value);
      chunks.push(value);
      onBytes?.(loaded);
    }
  });
}

/**
 * The verified bytes as a response whose body hands on the chunks themselves, letting go of
 * each as it is read: no second copy of the file (a Blob of it) lives beside the reader's.
 */
function verifiedResponse(chunks: Uint8Array<ArrayBuffer>[], from: Headers): Response {
  const size = chunks.reduce((sum, c) => sum + c.byteLength, 0);
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const next = chunks.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  const headers = new Headers(from);
  headers.delete('content-encoding');
  headers.set('content-length', String(size));
  return new Response(body, { status: 200, headers });
}

/**
 * The model's Cache Storage (hub loading keeps verified files there for offline use); null
 * when it has none or the browser offers none here (an insecure origin, storage blocked):
 * the file is then fetched as usual.
 */
const openCache = (model: ModelSource) => (model.cacheName && globalThis.caches ? caches.open(model.cacheName).catch(() => null) : Promise.resolve(null));

/**
 * Fetches a model file and checks it. A file the manifest does not list answers 404
 * (transformers.js treats optional files as absent; a required one fails as missing);
 * a body whose sha256 differs fails with MODEL_INTEGRITY. With a cache, a copy there is
 * used when its sha256 still matches (else fetched again), and a fetched file is kept.
 */
export async function verifiedFetch(url: string, model: ModelSource, init?: RequestInit, onBytes?: BytesSink): Promise<Response> {
  const path = pathInModel(url, model.modelBase, model.modelId);
  const expected = path === null ? undefined : model.sha256[path];
  if (path === null || expected === undefined) return new Response(null, { status: 404, statusText: `${url} is not a file of ${model.modelId} in the manifest` });
  const source = sourceUrl(model, path);
  const limit = model.bytes[path];
  const cache = await openCache(model);
  const cached = await cache?.match(source);
  if (cache && cached?.body) {
    const { value: chunks, sha256 } = await readChunks(cached.body, limit);
    if (chunks && sha256 === expected) return verifiedResponse(chunks, cached.headers);
    await cache.delete(source);
  }
  const response = await fetch(source, init);
  if (!response.ok || !response.body) return response;
  const total = Number(response.headers.get('content-length')) || model.bytes[path] || 0;
  const { value: chunks, sha256: actual } = await readChunks(response.body, limit, onBytes && ((loaded) => onBytes(path, loaded, total)));
  if (chunks === null) {
    throw (integrityFailure = new GuardError('MODEL_INTEGRITY', `Model file ${source} is larger than the manifest says (${limit} bytes): stopped reading there. Refusing to load ${model.modelId}.`, { url: source, model: model.modelId }));
  }
  if (actual !== expected) {
    throw (integrityFailure = new GuardError('MODEL_INTEGRITY', `Model file ${source} does not match the manifest: sha256 ${actual}, expected ${expected}. Refusing to load ${model.modelId}.`, { url: source, model: model.modelId }));
  }
  // A full quota costs only the offline copy: the file itself is verified and loads.
  if (cache) await cache.put(source, verifiedResponse([...chunks], response.headers)).catch(() => undefined);
  return verifiedResponse(chunks, response.headers);
}

/** Download progress as the workers report it, one event per file per percent at most. */
export function bytesToProgress(modelId: string, sink: ProgressSink | undefined): BytesSink | undefined {
  if (!sink) return undefined;
  const reported = new Map<string, number>();
  return (file, loaded, total) => {
    const progress = total > 0 ? Math.min(100, Math.floor((100 * loaded) / total)) : 0;
    if (reported.get(file) === progress) return;
    reported.set(file, progress);
    void sink({ model: modelId, status: 'progress', file, loaded, total, progress });
  };
}

/** One model file for a bare onnxruntime-web worker: verified, with progress and typed errors. */
export async function fetchModelFile(path: string, model: ModelSource, onProgress?: ProgressSink): Promise<ArrayBuffer> {
  const url = sourceUrl(model, path);
  void onProgress?.({ model: model.modelId, status: 'download', file: path });
  const response = await verifiedFetch(`${model.modelBase}${model.modelId}/${path}`, model, undefined, bytesToProgress(model.modelId, onProgress)).catch((cause: unknown) => {
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
