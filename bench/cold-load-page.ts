// The cold-load bench's page (bench/run-cold-load.ts): one kind of load per fresh browser
// context — the guard (createGuard, then its first evaluate), the same files through bare
// transformers.js in the page (load, then one call of each), or the files alone (fetched
// side by side and hashed as they arrive, as the guard's workers do) — each timed here.
import { createSHA256 } from 'hash-wasm';
import { createGuard } from '../src/index.ts';
import { parseManifest } from '../src/runtime/manifest.ts';
import { type SizeSpec, answer, directCalls, photoPixels } from './bench-page.ts';

export type ColdKind = 'guard' | 'bare' | 'files';

export interface ColdLoad {
  kind: ColdKind;
  /** Ready to answer: createGuard resolved / every model and tokenizer loaded / every file read. */
  readyMs: number;
  /** Ready, then the first answer: evaluate() / one image embedding and one reward score. */
  firstResultMs: number | null;
  /** Guard only: each worker's load (from the guard's info), and when its last file was downloaded (ms after the start). */
  workers?: Record<string, { loadMs: number; warmUpMs: number | null; filesDoneMs: number | null; bytesInMs: number | null }>;
  /** Files only: bytes read, and the time spent in SHA-256 updates (summed over files). */
  bytes?: number;
  hashMs?: number;
}

/** Every file of the size's CLIP and reward model, fetched side by side, each hashed chunk by chunk as it arrives. */
async function readAllFiles(size: SizeSpec): Promise<{ bytes: number; hashMs: number }> {
  const url = `${size.modelBase}manifest.json`;
  const manifest = parseManifest(await (await fetch(url)).json(), url);
  const files = [size.clip, size.reward].flatMap((id) => manifest.models[id]!.files.map((f) => `${size.modelBase}${id}/${f.path}`));
  let bytes = 0;
  let hashMs = 0;
  await Promise.all(
    files.map(async (file) => {
      const hasher = await createSHA256();
      hasher.init();
      const reader = (await fetch(file)).body!.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        bytes += value.byteLength;
        const t = performance.now();
        hasher.update(value);
        hashMs += performance.now() - t;
      }
      hasher.digest('hex');
    }),
  );
  return { bytes, hashMs };
}

export async function coldLoad(kind: ColdKind, size: SizeSpec): Promise<ColdLoad> {
  const imageData = await photoPixels();
  const t0 = performance.now();
  if (kind === 'files') return { kind, ...(await readAllFiles(size)), readyMs: performance.now() - t0, firstResultMs: null };
  if (kind === 'guard') {
    const filesDone: Record<string, number> = {};
    const bytesIn: Record<string, number> = {};
    const onProgress = (p: { model: string; status: string; progress?: number }) => {
      // 'progress' is the verified fetch's (bytes read and hashed); 'done' is transformers.js's (it has taken the file).
      if (p.status === 'progress' && p.progress === 100) bytesIn[p.model] = performance.now() - t0;
      if (p.status === 'done') filesDone[p.model] = performance.now() - t0;
    };
    const guard = await createGuard({ device: 'wasm', imageCacheSize: 0, imageText: 'off', modelBase: size.modelBase, onProgress, ...(size.tier ? { tier: size.tier } : {}) });
    const readyMs = performance.now() - t0;
    const ids = { clip: size.clip, reward: size.reward };
    const workers = Object.fromEntries(
      (['clip', 'reward'] as const).map((w) => [w, { loadMs: guard.info.loadMs[w], warmUpMs: guard.info.warmUpMs[w], filesDoneMs: filesDone[ids[w]] ?? null, bytesInMs: bytesIn[ids[w]] ?? null }]),
    );
    await guard.evaluate({ image: imageData, response: answer(0, 0) });
    const firstResultMs = performance.now() - t0;
    guard.dispose();
    return { kind, readyMs, firstResultMs, workers };
  }
  const { calls } = await directCalls('wasm', size, imageData);
  const readyMs = performance.now() - t0;
  await Promise.all([calls.imageEmbedding(0), calls.rewardScore(0)]);
  return { kind, readyMs, firstResultMs: performance.now() - t0 };
}

declare global {
  interface Window {
    coldLoad: typeof coldLoad;
    coldLoadReady: boolean;
  }
}
window.coldLoad = coldLoad;
window.coldLoadReady = true;
