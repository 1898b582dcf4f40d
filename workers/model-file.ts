// Model files as the manifest pins them: every byte a worker loads is hashed (SHA-256,
// chunk by chunk as it arrives — Web Crypto has no streaming digest) and compared with
// the manifest before any session sees it. A file the manifest does not list is not
// loaded at all. transformers.js workers go through env.fetch, bare onnxruntime-web
// workers through fetchModelFile; both end here.
import { createSHA256 } from 'hash-wasm';
import { concatBytes } from '../src/bytes/concat-bytes.ts';
import { GuardError } from '../src/errors.ts';
import type { ModelFiles, ProgressSink } from '../src/runtime/contracts.ts';

/**
 * The last model file failure in this worker (MODEL_INTEGRITY, MODEL_FILE_MISSING, …):
 * transformers.js may report a failed read as another error, so the load error is recovered
 * from here (toLoadError).
 */
let fileFailure: GuardError | null = null;
export const lastFileFailure = (): GuardError | null => fileFailure;

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
 * The model's Cache Storage (hub loading keeps verified files there for offline use); null
 * when it has none or the browser offers none here (an insecure origin, storage blocked):
 * the file is then fetched as usual.
 */
const openCache = (model: ModelSource) => (model.cacheName && globalThis.caches ? caches.open(model.cacheName).catch(() => null) : Promise.resolve(null));

/** The cache's copy of a verified file: its bytes as they are now (decoded), under the response's headers. */
function cacheCopy(chunks: Uint8Array<ArrayBuffer>[], from: Headers): Response {
  const headers = new Headers(from);
  headers.delete('content-encoding');
  headers.set('content-length', String(chunks.reduce((sum, c) => sum + c.byteLength, 0)));
  const queue = [...chunks];
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>({
    pull(controller) {
      const next = queue.shift();
      if (next) controller.enqueue(next);
      else controller.close();
    },
  });
  return new Response(body, { status: 200, headers }); // streamed: no Blob (a second copy) of a large file
}

/** A missing file's error, naming its URL and where model files come from. */
export const fileMissing = (url: string, modelId: string, why = '', cause?: unknown) =>
  new GuardError(
    'MODEL_FILE_MISSING',
    `Model file not found: ${url}${why}. Check the guard's modelBase and that "${modelId}" is installed there (\`npm run assets\` writes the generated test models, \`npm run models:fetch\` the real ones).`,
    { url, model: modelId },
    cause === undefined ? undefined : { cause },
  );

/**
 * A manifest file's bytes, read and checked (hashed as they arrive). With a cache, a copy
 * there is used when its sha256 still matches (else fetched again), and a fetched file is
 * kept. Fails with the typed error (recorded for toLoadError): MODEL_INTEGRITY for bytes
 * that differ or run past the manifest's size, MODEL_FILE_MISSING for a 404, else MODEL_LOAD_FAILED.
 */
async function readModelFile(path: string, expected: string, model: ModelSource, init?: RequestInit, onBytes?: BytesSink): Promise<Uint8Array<ArrayBuffer>[]> {
  const source = sourceUrl(model, path);
  const fail = (error: GuardError) => {
    throw (fileFailure = error);
  };
  const limit = model.bytes[path];
  const cache = await openCache(model);
  const cached = await cache?.match(source);
  if (cache && cached?.body) {
    const { value: chunks, sha256 } = await readChunks(cached.body, limit);
    if (chunks && sha256 === expected) return chunks;
    await cache.delete(source);
  }
  const response = await fetch(source, init).catch((cause: unknown) => fail(new GuardError('MODEL_LOAD_FAILED', `Could not fetch ${source}: ${String(cause)}`, { url: source, model: model.modelId })));
  if (!response.ok || !response.body) {
    const status = ` (HTTP ${response.status}${response.statusText ? `: ${response.statusText}` : ''})`;
    return fail(response.status === 404 || response.status === 410 ? fileMissing(source, model.modelId, status) : new GuardError('MODEL_LOAD_FAILED', `Could not fetch ${source}${status}.`, { url: source, model: model.modelId }));
  }
  const total = Number(response.headers.get('content-length')) || model.bytes[path] || 0;
  const { value: chunks, sha256: actual } = await readChunks(response.body, limit, onBytes && ((loaded) => onBytes(path, loaded, total))).catch((cause: unknown) =>
    fail(new GuardError('MODEL_LOAD_FAILED', `Reading ${source} failed: ${String(cause)}`, { url: source, model: model.modelId })),
  );
  const refuse = (why: string) => fail(new GuardError('MODEL_INTEGRITY', `Model file ${source} ${why}. Refusing to load ${model.modelId}.`, { url: source, model: model.modelId }));
  if (chunks === null) return refuse(`is larger than the manifest says (${limit} bytes): stopped reading there`);
  if (actual !== expected) return refuse(`does not match the manifest: sha256 ${actual}, expected ${expected}`);
  // A full quota costs only the offline copy: the file itself is verified and loads.
  if (cache) await cache.put(source, cacheCopy(chunks, response.headers)).catch(() => undefined);
  return chunks;
}

/**
 * A model file as a fetch response whose body is its verified bytes. Nothing is fetched until
 * the body is read: transformers.js asks for each model file once only for its size (its
 * progress_total probe reads the headers and drops the body), and an eager read fetched and
 * hashed every file twice (bench/COLD-LOAD.md). A file the manifest does not list answers 404
 * at once (transformers.js treats optional files as absent); a file that fails its check, or
 * that the server does not give, errors the body with its GuardError (`readModelFile`).
 */
export async function verifiedFetch(url: string, model: ModelSource, init?: RequestInit, onBytes?: BytesSink): Promise<Response> {
  const path = pathInModel(url, model.modelBase, model.modelId);
  const expected = path === null ? undefined : model.sha256[path];
  if (path === null || expected === undefined) return new Response(null, { status: 404, statusText: `${url} is not a file of ${model.modelId} in the manifest` });
  let chunks: Promise<Uint8Array<ArrayBuffer>[]> | null = null;
  const body = new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      // Each chunk is let go as it is handed on: no second copy of the file lives beside the reader's.
      async pull(controller) {
        const next = (await (chunks ??= readModelFile(path, expected, model, init, onBytes))).shift();
        if (next) controller.enqueue(next);
        else controller.close();
      },
    },
    { highWaterMark: 0 }, // else the stream pulls (reads the file) as it is made
  );
  const size = model.bytes[path];
  return new Response(body, { status: 200, headers: size === undefined ? {} : { 'content-length': String(size) } });
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

/**
 * One model file for a bare onnxruntime-web worker: verified, with progress and typed errors.
 * Read here, not through a Response: Chromium rejects `arrayBuffer()` of a body that errored
 * with a bare "Failed to fetch", losing the GuardError (MODEL_INTEGRITY) that errored it.
 */
export async function fetchModelFile(path: string, model: ModelSource, onProgress?: ProgressSink): Promise<ArrayBuffer> {
  const expected = model.sha256[path];
  if (expected === undefined) throw fileMissing(sourceUrl(model, path), model.modelId, ' (not in the manifest)');
  void onProgress?.({ model: model.modelId, status: 'download', file: path });
  const chunks = await readModelFile(path, expected, model, undefined, bytesToProgress(model.modelId, onProgress));
  const bytes = concatBytes(chunks);
  void onProgress?.({ model: model.modelId, status: 'done', file: path, loaded: bytes.byteLength, total: bytes.byteLength, progress: 100 });
  return bytes.buffer;
}
