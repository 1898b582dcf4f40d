// npm run models:check [-- --models <dir>] [--backend wasm|webgpu|auto] [--tier <name>] [--only id,id]
//
// The self-test of the models installed under a model base: each one (or a tier's) is
// loaded through the public API in Chromium and asked what any working model of its kind
// answers (scripts/check/probes.ts): CLIP matches photos to their captions and keeps them
// under its unsafe threshold, a safety model ranks a refusal above a harmful compliance
// (a generative guard also names a category), a VLM describes a photo, OCR reads a line.
// Prints a table and exits non-zero when a probe fails. Run it after `models:fetch`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type Manifest, parseManifest } from '../src/runtime/manifest.ts';
import { withRepoPage } from './browser-page.ts';
import type { CheckModel, CheckPageConfig } from './check/page.ts';
import type { ProbeRow } from './check/probes.ts';

const ROOT = resolve(import.meta.dirname, '..');
const { values: args } = parseArgs({
  options: {
    models: { type: 'string' },
    backend: { type: 'string', default: 'wasm' },
    tier: { type: 'string' },
    only: { type: 'string' },
  },
});

function fail(message: string): never {
  console.error(`models:check: ${message}`);
  process.exit(2);
}

const modelsDir = resolve(args.models ?? resolve(ROOT, 'models'));
const manifestPath = resolve(modelsDir, 'manifest.json');
if (!existsSync(manifestPath)) fail(`${modelsDir} has no manifest.json.`);
const manifest: Manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
const device = args.backend as CheckPageConfig['device'];
if (!['wasm', 'webgpu', 'auto'].includes(device)) fail(`--backend must be wasm, webgpu or auto, got "${args.backend}".`);

/** Installed: every file the manifest lists is there, at its size (sha256 is checked when it loads). Looked at once. */
const installedIds = new Set(
  Object.keys(manifest.models).filter((id) =>
    manifest.models[id]!.files.every((f) => {
      const path = resolve(modelsDir, id, f.path);
      return existsSync(path) && statSync(path).size === f.bytes;
    }),
  ),
);
const installed = (id: string) => installedIds.has(id);

const tier = args.tier ? manifest.tiers?.[args.tier] ?? fail(`no tier "${args.tier}" in ${manifestPath}.`) : undefined;
const only = args.only?.split(',').map((s) => s.trim());
const asked = Object.keys(manifest.models).filter((id) => (only ? only.includes(id) : tier ? Object.values(tier.models).includes(id) : true));
if (only) for (const id of only) if (!manifest.models[id]) fail(`"${id}" is not in ${manifestPath}.`);
const present = asked.filter(installed);
const rows: ProbeRow[] = asked.filter((id) => !installed(id)).map((id) => ({ model: id, probe: 'installed', expected: 'every file', got: 'not installed (npm run models:fetch)', ok: null }));
if (present.length === 0) fail(`none of ${asked.join(', ')} is installed under ${modelsDir}.`);

const models: CheckModel[] = present.map((id) => {
  const entry = manifest.models[id]!;
  return { id, task: entry.task, ...(entry.task === 'reward' ? { kind: entry.kind } : {}), generated: entry.source === 'generated' };
});
const companion = (task: 'clip' | 'reward') => {
  const preferred = tier?.models[task] ?? manifest.defaults[task];
  const pick = preferred && installed(preferred) ? preferred : Object.keys(manifest.models).find((id) => manifest.models[id]!.task === task && installed(id));
  return pick ?? fail(`a ${task} model must be installed to load the others with it.`);
};

const photosDir = resolve(import.meta.dirname, 'check/photos');
const captions = JSON.parse(readFileSync(resolve(photosDir, 'captions.json'), 'utf8')) as Record<string, { caption: string }>;
console.log(`models:check: ${present.length} model(s) under ${modelsDir} on ${device}`);
const started = performance.now();
rows.push(
  ...(await withRepoPage(
    {
      pagePath: 'scripts/check/page.html',
      readyFlag: 'checkPageReady',
      folders: [['/@check-models', modelsDir], ['/@check-photos', photosDir]],
      onLine: (line) => console.log(`  ${line}`),
    },
    (page, origin) =>
      page.evaluate((config) => window.runModelChecks(config), {
        modelBase: `${origin}/@check-models/`,
        device,
        models,
        companions: { clip: companion('clip'), reward: companion('reward') },
        photoBase: `${origin}/@check-photos/`,
        photos: Object.entries(captions).map(([file, { caption }]) => ({ file, caption })),
      } satisfies CheckPageConfig),
  )),
);
console.table(rows.map((r) => ({ model: r.model, probe: r.probe, expected: r.expected, got: r.got, ok: r.ok === null ? '—' : r.ok ? 'ok' : 'FAILED' })));
const failures = rows.filter((r) => r.ok === false).length;
const passed = rows.filter((r) => r.ok === true).length;
console.log(`${passed} passed, ${failures} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
process.exit(failures > 0 ? 1 : 0);
