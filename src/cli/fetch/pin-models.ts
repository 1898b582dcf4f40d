// Pins catalog models for hub loading (createGuard({ models: { hub } })): each model's commit
// and every file's size and sha256 — the hub's LFS sha256 for large files, the bytes hashed
// here for small git files (the hub lists none for them) — as manifest entries with their
// origin. A page then loads the files from the hub at that commit and checks every byte.
import { createHash } from 'node:crypto';
import type { Manifest, ManifestFile, ManifestModel } from '../../runtime/manifest.ts';
import type { HubModel } from './catalog.ts';
import { listRepository, resolveCommit } from './hub-download.ts';

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
        const response = await fetchImpl(url);
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        const bytes = new Uint8Array(await response.arrayBuffer());
        if (bytes.byteLength !== remote.size) throw new Error(`${url}: ${bytes.byteLength} bytes, the listing says ${remote.size}`);
        sha256 = createHash('sha256').update(bytes).digest('hex');
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
