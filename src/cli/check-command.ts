// vlm-guard check [--models <dir>] [--backend wasm|webgpu|auto] [--tier <name>] [--only id,id]
//
// The self-test of the models installed in a models folder: each one (or a tier's) is loaded
// through the public API in Chromium and asked what any working model of its kind answers
// (src/cli-pages/probes.ts): CLIP matches photos to their captions and keeps them under its
// unsafe threshold, a safety model ranks a refusal above a harmful compliance (a generative
// guard also names a category), a VLM describes a photo, OCR reads a line. The page is the
// package's own (dist/cli-pages/check.html, package-page.ts). Prints a table; exit status 1
// when a probe fails. Run it after `fetch`.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { CheckModel, CheckPageConfig } from '../cli-pages/check-page.ts';
import type { ProbeRow } from '../cli-pages/probes.ts';
import { type Manifest, parseManifest } from '../runtime/manifest.ts';
import { CliError, modelsFolder } from './cli-error.ts';
import { withPackagePage } from './package-page.ts';
import { packageRoot } from './package-root.ts';

const BACKENDS = ['wasm', 'webgpu', 'auto'] as const;

/** Installed: every file the manifest lists is there, at its size (sha256 is checked when it loads). */
function installedModels(manifest: Manifest, modelsDir: string): Set<string> {
  return new Set(
    Object.keys(manifest.models).filter((id) =>
      manifest.models[id]!.files.every((f) => {
        const path = resolve(modelsDir, id, f.path);
        return existsSync(path) && statSync(path).size === f.bytes;
      }),
    ),
  );
}

export async function checkCommand(argv: string[]): Promise<number> {
  const { values: args } = parseArgs({
    args: argv,
    options: { models: { type: 'string' }, backend: { type: 'string', default: 'wasm' }, tier: { type: 'string' }, only: { type: 'string' } },
  });
  const modelsDir = modelsFolder(args.models);
  const manifestPath = resolve(modelsDir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new CliError(`${modelsDir} has no manifest.json: run \`vlm-guard init <public dir>\` first, or pass --models.`);
  const manifest = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath);
  const device = args.backend as CheckPageConfig['device'];
  if (!BACKENDS.includes(device)) throw new CliError(`--backend must be ${BACKENDS.join(', ')}, got "${args.backend}".`);

  const installed = installedModels(manifest, modelsDir);
  const tier = args.tier ? (manifest.tiers[args.tier] ?? fail(`no tier "${args.tier}" in ${manifestPath}.`)) : undefined;
  const only = args.only?.split(',').map((s) => s.trim());
  for (const id of only ?? []) if (!manifest.models[id]) fail(`"${id}" is not in ${manifestPath}.`);
  const asked = Object.keys(manifest.models).filter((id) => (only ? only.includes(id) : tier ? Object.values(tier.models).includes(id) : true));
  const present = asked.filter((id) => installed.has(id));
  // A missing generated test model comes with the package (`init`); only real models are fetched.
  const howToInstall = (id: string) => (manifest.models[id]!.source === 'generated' ? 'not installed (vlm-guard init: the package ships it)' : 'not installed (vlm-guard fetch)');
  const rows: ProbeRow[] = asked.filter((id) => !installed.has(id)).map((id) => ({ model: id, probe: 'installed', expected: 'every file', got: howToInstall(id), ok: null }));
  if (present.length === 0) fail(`none of ${asked.join(', ')} is installed under ${modelsDir}.`);

  const models: CheckModel[] = present.map((id) => {
    const entry = manifest.models[id]!;
    return { id, task: entry.task, ...(entry.task === 'reward' ? { kind: entry.kind } : {}), generated: entry.source === 'generated' };
  });
  const companion = (task: 'clip' | 'reward') => {
    const preferred = tier?.models[task] ?? manifest.defaults[task];
    const pick = preferred && installed.has(preferred) ? preferred : Object.keys(manifest.models).find((id) => manifest.models[id]!.task === task && installed.has(id));
    return pick ?? fail(`a ${task} model must be installed to load the others with it.`);
  };
  const photosDir = join(packageRoot(), 'dist/cli-pages/photos');
  const captions = JSON.parse(readFileSync(join(photosDir, 'captions.json'), 'utf8')) as Record<string, { caption: string }>;

  const companions = { clip: companion('clip'), reward: companion('reward') };
  console.log(`check: ${present.length} model(s) under ${modelsDir} on ${device}`);
  const started = performance.now();
  rows.push(
    ...(await withPackagePage({ name: 'check', readyFlag: 'checkPageReady', folders: [['/@models/', modelsDir]] }, (page, origin) => {
      const config: CheckPageConfig = {
        modelBase: `${origin}/@models/`,
        device,
        models,
        companions,
        photoBase: `${origin}/cli-pages/photos/`,
        photos: Object.entries(captions).map(([file, { caption }]) => ({ file, caption })),
      };
      return page.evaluate((c) => window.runModelChecks(c), config);
    })),
  );
  console.table(rows.map((r) => ({ model: r.model, probe: r.probe, expected: r.expected, got: r.got, ok: r.ok === null ? '—' : r.ok ? 'ok' : 'FAILED' })));
  const failures = rows.filter((r) => r.ok === false).length;
  const passed = rows.filter((r) => r.ok === true).length;
  console.log(`${passed} passed, ${failures} failed (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  return failures > 0 ? 1 : 0;
}

function fail(message: string): never {
  throw new CliError(message);
}
