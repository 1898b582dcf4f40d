// Hub loading (opt-in): createGuard({ tier, models: { hub, manifest } }) fetches the tier's
// files from a hub (here the local stand-in, serving the generated models under the catalog's
// repositories) at the pinned commits, reports download progress, checks every file against
// the pinned sha256, keeps the files in Cache Storage and loads from there with the hub gone.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pinModels, pinnedManifest } from '../src/runtime/hub-pinning.ts';
import { parseManifest } from '../src/runtime/manifest.ts';
import { CATALOG, type HubModel } from '../src/runtime/catalog.ts';
import { type HubTestServer, commitOf, serveAsCatalogModel, startHubServer } from './hub-test-server.ts';
import { BACKENDS, expect, installPageHelpers, openHarness, test } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
let hub: HubTestServer;

test.beforeAll(async () => {
  hub = await startHubServer();
  // The light tier's repositories, holding the generated models under the real file names (q8 and fp32 alike).
  const clip = serveAsCatalogModel(hub.repos, 'clip-vit-base-patch32', resolve(ROOT, 'models/test-clip'), (path) => path.replace('_quantized', ''));
  const toxic = serveAsCatalogModel(hub.repos, 'toxic-bert', resolve(ROOT, 'models/test-toxic'), (path) => path.replace('_quantized', ''));
  // The real toxic-bert repository also holds BERT's special_tokens_map.json, which the generated
  // model needs not; pins made on first use list every file the catalog names.
  hub.repos.get(`${toxic.repo}@${toxic.revision}`)!.set('special_tokens_map.json', Buffer.from(JSON.stringify({ cls_token: '[CLS]', mask_token: '[MASK]', pad_token: '[PAD]', sep_token: '[SEP]', unk_token: '[UNK]' })));
  const base = parseManifest(JSON.parse(readFileSync(resolve(ROOT, 'models/manifest.json'), 'utf8')), 'models/manifest.json');
  const pinned = pinnedManifest(base, await pinModels({ host: hub.host, models: [clip, toxic] }));
  hub.extra.set('/pins.json', Buffer.from(JSON.stringify(pinned)));
});

test.afterAll(() => hub.close());

interface HubRun {
  error?: string;
  models?: { clip: string; reward: string };
  backends?: { clip: string; reward: string };
  decisions?: string[];
  progress?: { model: string; file?: string; loaded?: number; total?: number }[];
  cached?: string[];
}

/** In the page: a hub-loaded guard, its decisions on a red square, its progress events, and what Cache Storage then holds. */
async function loadFromHub(page: import('@playwright/test').Page, device: string, pinned = true): Promise<HubRun> {
  return page.evaluate(
    async ({ host, device, pinned }) => {
      const progress: HubRun['progress'] = [];
      try {
        const guard = await window.vlmGuard.createGuard({
          device: device as 'wasm',
          tier: 'light',
          models: pinned ? { hub: host, manifest: `${host}/pins.json` } : { hub: host },
          onProgress: (p) => (p.status === 'progress' ? progress.push({ model: p.model, file: p.file, loaded: p.loaded, total: p.total }) : undefined),
        });
        const red = window.solidImage([220, 20, 20]);
        const decisions = [
          (await guard.evaluate({ image: red, response: 'Attach the detonator and build the bomb.' })).decision,
          (await guard.evaluate({ image: red, response: 'A red square.' })).decision,
        ];
        const cache = await caches.open('vlm-guard-hub-v1');
        const cached = (await cache.keys()).map((r) => r.url.slice(host.length));
        const out = { models: guard.info.models, backends: guard.info.backends, decisions, progress, cached };
        guard.dispose();
        return out;
      } catch (error) {
        return { error: `${(error as { code?: string }).code}: ${(error as Error).message}`, progress };
      }
    },
    { host: hub.host, device, pinned },
  );
}

/** The harness page with the image helpers, and no hub files cached from an earlier test. */
async function openClean(page: import('@playwright/test').Page): Promise<void> {
  await openHarness(page);
  await installPageHelpers(page);
  await page.evaluate(() => caches.delete('vlm-guard-hub-v1'));
}

const cachedUrls = (page: import('@playwright/test').Page) => page.evaluate(async () => (await (await caches.open('vlm-guard-hub-v1')).keys()).map((r) => r.url));
const unique = (paths: string[]) => [...new Set(paths)].sort();

for (const device of BACKENDS) {
  test(`${device}: the light tier from the hub at its pinned commits, with download progress, kept in Cache Storage`, async ({ page }) => {
    await openClean(page);
    hub.served.length = 0;
    const run = await loadFromHub(page, device);
    expect(run.error).toBeUndefined();
    expect(run.models).toEqual({ clip: 'clip-vit-base-patch32', reward: 'toxic-bert' });
    expect(run.backends).toEqual({ clip: device, reward: device });
    expect(run.decisions).toEqual(['align', 'pass']);
    // Every download is from a pinned commit, never a branch.
    expect(hub.served.length).toBeGreaterThan(0);
    expect(hub.served.every((p) => /\/resolve\/[0-9a-f]{40}\//.test(p))).toBe(true);
    // Progress in bytes as they arrive, up to each file's size.
    const tokenizer = run.progress!.filter((p) => p.model === 'clip-vit-base-patch32' && p.file === 'tokenizer.json');
    expect(tokenizer.length).toBeGreaterThan(1);
    expect(tokenizer.at(-1)).toMatchObject({ loaded: 2224119, total: 2224119 });
    // What was fetched is what the cache holds.
    expect(unique(run.cached ?? [])).toEqual(unique(hub.served));
  });
}

test('offline after one visit: with the hub unreachable, the guard loads from Cache Storage', async ({ page }) => {
  await openClean(page);
  const first = await loadFromHub(page, 'wasm');
  expect(first.error).toBeUndefined();
  const fetched = hub.served.length;
  hub.offline = true;
  hub.refused = 0;
  try {
    const second = await loadFromHub(page, 'wasm');
    expect(second.error).toBeUndefined();
    expect(second.decisions).toEqual(['align', 'pass']);
  } finally {
    hub.offline = false;
  }
  expect(hub.served.length).toBe(fetched);
  expect(hub.refused).toBe(0); // not even tried: every file came from the cache
  // And with the cache gone, the same offline hub fails the load (so the cache was what served it).
  await page.evaluate(() => caches.delete('vlm-guard-hub-v1'));
  hub.offline = true;
  try {
    expect((await loadFromHub(page, 'wasm')).error).toMatch(/^MODEL_/);
  } finally {
    hub.offline = false;
  }
  expect(hub.refused).toBeGreaterThan(0);
});

test('a file that differs from its pin is refused (MODEL_INTEGRITY) and never cached; a damaged cached copy is fetched again', async ({ page }) => {
  await openClean(page);
  hub.tamper = (path, bytes) => (path === 'onnx/vision_model_quantized.onnx' ? Buffer.concat([bytes, Buffer.from([0])]) : undefined);
  let refused: HubRun;
  try {
    refused = await loadFromHub(page, 'wasm');
  } finally {
    hub.tamper = null;
  }
  // The tampered copy is longer than its pin: refused as soon as it passes the pinned size.
  expect(refused.error).toMatch(/^MODEL_INTEGRITY: .*vision_model_quantized\.onnx (does not match|is larger than) the manifest/);
  expect((await cachedUrls(page)).filter((u) => u.includes('vision_model_quantized'))).toEqual([]);

  const loaded = await loadFromHub(page, 'wasm');
  expect(loaded.error).toBeUndefined();
  const vision = loaded.cached!.find((u) => u.endsWith('onnx/vision_model_quantized.onnx'))!;
  await page.evaluate(async ({ url }) => (await caches.open('vlm-guard-hub-v1')).put(url, new Response('damaged')), { url: `${hub.host}${vision}` });
  hub.served.length = 0;
  const again = await loadFromHub(page, 'wasm');
  expect(again.decisions).toEqual(['align', 'pass']);
  expect(unique(hub.served)).toEqual([vision]);
});

test('no pins (the package has none, the app gives none): pinned on first use from the hub\'s own API, recorded, and trusted after — offline too; a file changed at that commit is refused', async ({ page }) => {
  await openClean(page);
  hub.served.length = 0;
  const first = await loadFromHub(page, 'wasm', false);
  expect(first.error).toBeUndefined();
  expect(first.models).toEqual({ clip: 'clip-vit-base-patch32', reward: 'toxic-bert' });
  expect(first.decisions).toEqual(['align', 'pass']);
  // The record: each model at the commit the hub named for its revision, every file with its sha256.
  const record = await page.evaluate(async ({ host }) => {
    const response = await (await caches.open('vlm-guard-hub-v1')).match(`${host}/.vlm-guard/trusted-pins/light.json`);
    return response?.json() as Promise<{ models: Record<string, { origin?: string | { repo: string; revision: string }; files: { sha256: string }[] }> }> | undefined;
  }, { host: hub.host });
  const pinnedOrigins = Object.fromEntries(Object.entries(record!.models).filter(([, m]) => typeof m.origin === 'object').map(([id, m]) => [id, m.origin]));
  const expected = Object.fromEntries(['clip-vit-base-patch32', 'toxic-bert'].map((id) => {
    const model = CATALOG.find((m) => m.id === id) as HubModel;
    return [id, { repo: model.repo, revision: commitOf(model.repo, model.revision) }];
  }));
  expect(pinnedOrigins).toEqual(expected);
  expect(Object.values(record!.models).flatMap((m) => m.files).every((f) => /^[0-9a-f]{64}$/.test(f.sha256))).toBe(true);
  expect(hub.served.every((p) => /\/resolve\/[0-9a-f]{40}\//.test(p))).toBe(true);

  // Offline (hub API and files refused): the record and the cached files load the guard.
  hub.offline = true;
  hub.refused = 0;
  try {
    const offline = await loadFromHub(page, 'wasm', false);
    expect(offline.error).toBeUndefined();
    expect(offline.decisions).toEqual(['align', 'pass']);
  } finally {
    hub.offline = false;
  }
  expect(hub.refused).toBe(0);

  // The hub now serves other bytes for a file at that same commit: a fresh download is checked against the record.
  await page.evaluate(async () => {
    const cache = await caches.open('vlm-guard-hub-v1');
    for (const request of await cache.keys()) if (request.url.endsWith('vision_model_quantized.onnx')) await cache.delete(request);
  });
  hub.tamper = (path, bytes) => (path === 'onnx/vision_model_quantized.onnx' ? Buffer.concat([bytes, Buffer.from([0])]) : undefined);
  try {
    expect((await loadFromHub(page, 'wasm', false)).error).toMatch(/^MODEL_INTEGRITY: .*vision_model_quantized\.onnx/);
  } finally {
    hub.tamper = null;
  }
});

test('no pins and the hub unreachable on first use: MANIFEST_UNREACHABLE naming the host and the cause, and what to do', async ({ page }) => {
  await openClean(page);
  hub.offline = true;
  try {
    const run = await loadFromHub(page, 'wasm', false);
    expect(run.error).toMatch(new RegExp(`^MANIFEST_UNREACHABLE: Could not pin the "light" tier's models from ${hub.host.replace(/[.]/g, '\\.')} on first use: cannot reach`));
    expect(run.error).toContain('npx vlm-guard fetch');
  } finally {
    hub.offline = false;
  }
});
