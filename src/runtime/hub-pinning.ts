// Pins catalog models for hub loading (createGuard({ models: { hub } })) — ahead of time
// (`npm run models:pin`, the package's pins) or in the page on first use: each model's commit
// and every file's size and sha256 — the hub's LFS sha256 for large files, the bytes hashed
// here for small git files (the hub lists none for them) — as manifest entries with their
// origin. A page then loads the files from the hub at that commit and checks every byte.
import type { HubModel } from './catalog.ts';
import { listRepository, request, resolveCommit } from './hub-api.ts';
import type { Manifest, ManifestFile, ManifestModel } from './manifest.ts';

/** WebCrypto: the same in Node (`npm run models:pin`) and in the page (trust on first use). */
async function sha256Hex(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function pinModels(options: { host: string; models: HubModel[]; fetch?: typeof fetch; log?: (line: string) => void }): Promise<Record<string, ManifestModel>> {
  const fetchImpl = options.fetch ?? fetch;
  const pinned: Record<string, ManifestModel> = {};
  for (const model of options.models) {
    const commit = await resolveCommit(options.host, model.repo, model.revision, fetchImpl);
    const listing = await listRepository(options.host, model.repo, commit, fetchImpl);
    const files: ManifestFile[] = [];
    for (const path of model.files) {
      const remote = listing.get(path);
      if (!remote) throw new Error(`${model.repo}@${commit} has no ${path}`);
      let sha256 = remote.sha256;
      if (!sha256) {
        const url = `${options.host}/${model.repo}/resolve/${commit}/${path}`;
        const response = await request(fetchImpl, url);
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.byteLength !== remote.size) throw new Error(`${url}: ${bytes.byteLength} bytes, the listing says ${remote.size}`);
        sha256 = await sha256Hex(bytes);
      }
      files.push({ path, sha256, bytes: remote.size });
    }
    pinned[model.id] = { ...model.entry, origin: { repo: model.repo, revision: commit }, files } as ManifestModel;
    options.log?.(`${model.id}: ${model.repo}@${commit}, ${files.length} files`);
  }
  return pinned;
}

/**
 * The pinned manifest: the base manifest's tiers over the pinned models, plus the models the
 * page still loads from modelBase (npm ones such as PP-OCRv4); generated test models are left out.
 * Defaults: the first tier whose CLIP and reward are both pinned.
 */
export function pinnedManifest(base: Manifest, pinned: Record<string, ManifestModel>): Manifest {
  const kept = Object.fromEntries(Object.entries(base.models).filter(([, m]) => m.source === 'npm'));
  const models = { ...kept, ...pinned };
  const tiers = Object.fromEntries(Object.entries(base.tiers).filter(([, t]) => [t.models.clip, t.models.reward].every((id) => pinned[id])));
  const first = Object.values(tiers)[0];
  if (!first) throw new Error('no tier has both its CLIP and its reward model pinned');
  return { schemaVersion: 1, defaults: { clip: first.models.clip, reward: first.models.reward, ...(first.models.ocr && models[first.models.ocr] ? { ocr: first.models.ocr } : {}) }, tiers, models };
}
