// Fetches catalog models into models/<id>/ and records them in models/manifest.json.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ManifestFile, type ManifestModel, parseManifest } from '../../runtime/manifest.ts';
import type { CatalogModel, HubModel } from '../../runtime/catalog.ts';
import { isCommit, listRepository, resolveCommit } from '../../runtime/hub-api.ts';
import { type DownloadProgress, downloadFile } from './hub-download.ts';

export interface FetchOptions {
  host: string;
  modelsDir: string;
  models: HubModel[];
  fetch?: typeof fetch;
  log?: (line: string) => void;
  onProgress?: (p: DownloadProgress & { model: string }) => void;
  /** Make the fetched models the manifest's defaults for their tasks. */
  makeDefault?: boolean;
}

/** Writes a model's manifest entry (validated); re-read each time so a later failure keeps what is recorded. */
export function recordModel(modelsDir: string, model: Pick<CatalogModel, 'id' | 'entry'>, files: ManifestFile[], makeDefault: boolean, origin?: ManifestModel['origin']): void {
  const manifestPath = join(modelsDir, 'manifest.json');
  const raw = JSON.parse(readFileSync(manifestPath, 'utf8')) as { models: Record<string, unknown>; defaults: Record<string, string> };
  raw.models[model.id] = { ...model.entry, ...(origin ? { origin } : {}), files } as ManifestModel; // validated by parseManifest below
  if (makeDefault) raw.defaults[model.entry.task] = model.id;
  writeFileSync(manifestPath, `${JSON.stringify(parseManifest(raw, manifestPath), null, 2)}\n`);
}

export async function fetchModels(options: FetchOptions): Promise<{ id: string; files: ManifestFile[]; resumed: number }[]> {
  const log = options.log ?? (() => undefined);
  const done: { id: string; files: ManifestFile[]; resumed: number }[] = [];
  for (const model of options.models) {
    // Every file from one commit, recorded in the manifest: a branch named in the catalog is
    // resolved once, so the files cannot come from two states of it.
    const commit = await resolveCommit(options.host, model.repo, model.revision, options.fetch);
    if (!isCommit(model.revision)) log(`${model.id}: the catalog names ${model.repo}@${model.revision}, not a commit; fetching ${commit} and recording it.`);
    const listing = await listRepository(options.host, model.repo, commit, options.fetch);
    const missing = model.files.filter((f) => !listing.has(f));
    if (missing.length > 0) throw new Error(`${model.repo}@${commit} has no ${missing.join(', ')}`);
    const files: ManifestFile[] = [];
    let resumed = 0;
    for (const path of model.files) {
      const url = `${options.host}/${model.repo}/resolve/${commit}/${path}`;
      const result = await downloadFile(url, join(options.modelsDir, model.id, path), listing.get(path)!, {
        fetch: options.fetch,
        onProgress: (p) => options.onProgress?.({ ...p, model: model.id }),
      });
      if (result.resumedFrom > 0) resumed++;
      log(`${model.id}/${path}: ${result.skipped ? 'already here' : `${result.bytes} bytes${result.resumedFrom ? `, resumed at ${result.resumedFrom}` : ''}`}, sha256 ${result.sha256.slice(0, 12)}…`);
      files.push({ path, sha256: result.sha256, bytes: result.bytes });
    }
    recordModel(options.modelsDir, model, files, options.makeDefault ?? false, { repo: model.repo, revision: commit });
    done.push({ id: model.id, files, resumed });
  }
  return done;
}
