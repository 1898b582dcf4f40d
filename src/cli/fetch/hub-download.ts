// Downloads model files from a Hugging Face-compatible host: lists the repository
// (sizes, LFS sha256) through its API, resumes partial files with HTTP Range,
// verifies size and sha256, and only then moves a file into place.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type RemoteFile, request } from '../../runtime/hub-api.ts';

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export interface DownloadProgress {
  file: string;
  loaded: number;
  total: number;
}

/**
 * Fetches `url` into `target`, resuming from `target.part` when an earlier run was cut
 * off. The finished file must match `expected` (size, and sha256 when known).
 */
export async function downloadFile(
  url: string,
  target: string,
  expected: RemoteFile,
  options: { fetch?: typeof fetch; onProgress?: (p: DownloadProgress) => void } = {},
): Promise<{ sha256: string; bytes: number; resumedFrom: number; skipped: boolean }> {
  const fetchImpl = options.fetch ?? fetch;
  mkdirSync(dirname(target), { recursive: true });
  if (existsSync(target) && statSync(target).size === expected.size) {
    const sha256 = await sha256File(target);
    if (!expected.sha256 || sha256 === expected.sha256) return { sha256, bytes: expected.size, resumedFrom: 0, skipped: true };
  }
  const part = `${target}.part`;
  let offset = existsSync(part) ? statSync(part).size : 0;
  if (offset > expected.size) offset = 0;
  const response = await request(fetchImpl, url, offset > 0 ? { headers: { range: `bytes=${offset}-` } } : {});
  if (!response.ok || !response.body) throw new Error(`download ${url}: HTTP ${response.status}`);
  if (offset > 0 && response.status !== 206) offset = 0; // the server ignored Range: start over
  const file = await open(part, offset > 0 ? 'a' : 'w');
  let loaded = offset;
  try {
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      await file.write(chunk);
      loaded += chunk.byteLength;
      options.onProgress?.({ file: expected.path, loaded, total: expected.size });
    }
  } finally {
    await file.close();
  }
  if (loaded !== expected.size) throw new Error(`download ${url}: got ${loaded} bytes, expected ${expected.size} (run again to resume)`);
  const sha256 = await sha256File(part);
  if (expected.sha256 && sha256 !== expected.sha256) {
    renameSync(part, `${target}.corrupt`);
    throw new Error(`download ${url}: sha256 ${sha256} does not match ${expected.sha256}; kept as ${target}.corrupt`);
  }
  renameSync(part, target);
  return { sha256, bytes: loaded, resumedFrom: offset, skipped: false };
}
