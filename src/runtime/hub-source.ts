// Hub loading (opt-in, createGuard({ models: { hub } })): the models' files come from the
// Hugging Face hub (or a mirror with its URL layout) at the commit a pinned manifest names,
// each file checked against that manifest's sha256 — the package's own pins
// (hub-pins.json, `npm run models:pin`) or a manifest of yours — and kept in Cache Storage,
// so the page loads them offline after one visit.
import { GuardError } from '../errors.ts';
import type { ModelFiles } from './contracts.ts';
import { RUNTIME_DEFAULTS } from './defaults.ts';
import pins from './hub-pins.json' with { type: 'json' };
import { type Manifest, type ManifestModel, parseManifest } from './manifest.ts';
import { readManifest } from './model-source.ts';

export interface HubOptions {
  /** true: the Hugging Face hub; a URL: a mirror with the hub's `<repo>/resolve/<commit>/<path>` layout. */
  hub: true | string;
  /** URL of a pinned manifest to use instead of the package's. */
  manifest?: string;
  /** Cache Storage name; false keeps no offline copy. */
  cache: string | false;
}

/** The pinned manifest: yours (models.manifest), else the package's; none pinned is an error, never an unverified load. */
export async function hubManifest(options: HubOptions): Promise<Manifest> {
  if (options.manifest) return readManifest(options.manifest);
  if (pins.manifest === null) {
    throw new GuardError(
      'MODEL_UNPINNED',
      'This build of vlm-guard pins no hub files (its hub-pins.json is empty: `npm run models:pin` writes it where the hub is reachable). Pass createGuard({ models: { hub, manifest: "<pinned manifest URL>" } }), or install the models with `npx vlm-guard fetch` and load them from modelBase.',
    );
  }
  return parseManifest(pins.manifest, 'hub-pins.json');
}

/** Where a model's files come from in hub mode: a hub model from its pinned commit; others (generated, npm) from modelBase. */
export function hubFiles(options: HubOptions, files: ModelFiles, entry: ManifestModel): ModelFiles {
  const origin = entry.origin;
  if (typeof origin !== 'object') return files;
  const host = (options.hub === true ? RUNTIME_DEFAULTS.hub.host : options.hub).replace(/\/+$/, '');
  return {
    ...files,
    folder: `${host}/${origin.repo}/resolve/${origin.revision}/`,
    ...(options.cache === false ? {} : { cacheName: options.cache }),
  };
}
