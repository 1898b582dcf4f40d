// Hub loading (opt-in, createGuard({ models: { hub } })): the models' files come from the
// Hugging Face hub (or a mirror with its URL layout) at the commit a pinned manifest names,
// each file checked against that manifest's sha256 — a manifest of yours, else the package's
// own pins (hub-pins.json, `npm run models:pin`), else pins made on first use: each model's
// revision resolved to a commit and each file's sha256 taken from the hub's own listing,
// recorded in Cache Storage and trusted from then on (later and offline loads check against
// that record). The files are kept in Cache Storage too, so the page loads offline after one visit.
import packageManifest from '../../models/manifest.json' with { type: 'json' };
import { GuardError } from '../errors.ts';
import { CATALOG, isHubModel } from './catalog.ts';
import type { ModelFiles } from './contracts.ts';
import { RUNTIME_DEFAULTS } from './defaults.ts';
import { HostUnreachable } from './hub-api.ts';
import { pinModels, pinnedManifest } from './hub-pinning.ts';
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

/**
 * The pinned manifest: yours (models.manifest), else the package's pins (stricter: made ahead
 * of time), else the pins this page recorded on first use for this host and tier, made now if
 * there are none. Never an unverified load.
 */
export async function hubManifest(options: HubOptions, tier: string | undefined): Promise<Manifest> {
  if (options.manifest) return readManifest(options.manifest);
  if (pins.manifest !== null) return parseManifest(pins.manifest, 'hub-pins.json');
  return trustedOnFirstUse(options, tier);
}

const hubHost = (options: HubOptions) => (options.hub === true ? RUNTIME_DEFAULTS.hub.host : options.hub).replace(/\/+$/, '');

/** Where the first use's pins are recorded: one entry per host and tier, in the hub files' cache. */
const recordUrl = (host: string, tier: string) => `${host}/.vlm-guard/trusted-pins/${encodeURIComponent(tier)}.json`;

async function trustedOnFirstUse(options: HubOptions, tier: string | undefined): Promise<Manifest> {
  const base = parseManifest(packageManifest, 'the package manifest');
  const tierName = tier ?? Object.keys(base.tiers)[0];
  const models = tierName === undefined ? undefined : base.tiers[tierName]?.models;
  if (tierName === undefined || !models) throw new GuardError('MODEL_UNKNOWN', `No tier "${tier}" to load from the hub; tiers: ${Object.keys(base.tiers).join(', ')}.`);
  const host = hubHost(options);
  const cache = options.cache === false || typeof caches === 'undefined' ? undefined : await caches.open(options.cache);
  const recorded = await cache?.match(recordUrl(host, tierName));
  if (recorded) return parseManifest(await recorded.json(), `the pins recorded on first use (${recordUrl(host, tierName)})`);
  const ids = Object.values(models).filter((id): id is string => id !== undefined);
  const hubModels = CATALOG.filter(isHubModel).filter((m) => ids.includes(m.id));
  let manifest: Manifest;
  try {
    manifest = pinnedManifest(base, await pinModels({ host, models: hubModels }));
  } catch (error) {
    const reason = error instanceof HostUnreachable ? `cannot reach ${new URL(error.url).origin} (${error.reason})` : error instanceof Error ? error.message : String(error);
    throw new GuardError(
      'MANIFEST_UNREACHABLE',
      `Could not pin the "${tierName}" tier's models from ${host} on first use: ${reason}. Pass createGuard({ models: { hub: "<mirror with the hub's layout>" } }), or install the models with \`npx vlm-guard fetch\` and load them from modelBase.`,
      { url: host },
      { cause: error },
    );
  }
  await cache?.put(recordUrl(host, tierName), new Response(JSON.stringify(manifest), { headers: { 'content-type': 'application/json' } }));
  return manifest;
}

/** Where a model's files come from in hub mode: a hub model from its pinned commit; others (generated, npm) from modelBase. */
export function hubFiles(options: HubOptions, files: ModelFiles, entry: ManifestModel): ModelFiles {
  const origin = entry.origin;
  if (typeof origin !== 'object') return files;
  const host = hubHost(options);
  return {
    ...files,
    folder: `${host}/${origin.repo}/resolve/${origin.revision}/`,
    ...(options.cache === false ? {} : { cacheName: options.cache }),
  };
}
