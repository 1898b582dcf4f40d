// npm run models:pin [-- --host <mirror>] [--out <file>]
// Pins the catalog's hub models for hub loading (createGuard({ models: { hub } })): resolves
// each to a commit, takes every file's size and sha256 from the hub (needs the hub: run it
// where it is reachable), and writes src/runtime/hub-pins.json (or --out), which the library
// bundles. The page then refuses any byte that differs from these pins.
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RUNTIME_DEFAULTS } from '../src/runtime/defaults.ts';
import { parseManifest } from '../src/runtime/manifest.ts';
import { CATALOG, isHubModel } from '../src/runtime/catalog.ts';
import { pinModels, pinnedManifest } from '../src/runtime/hub-pinning.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PINS = resolve(ROOT, 'src/runtime/hub-pins.json');
const { values } = parseArgs({ options: { host: { type: 'string', default: RUNTIME_DEFAULTS.hub.host }, out: { type: 'string', default: PINS } } });

const basePath = resolve(ROOT, 'models/manifest.json');
const base = parseManifest(JSON.parse(readFileSync(basePath, 'utf8')), basePath);
try {
  const pinned = await pinModels({ host: values.host!, models: CATALOG.filter(isHubModel), log: (line) => console.log(`pin: ${line}`) });
  const manifest = pinnedManifest(base, pinned);
  const about = (JSON.parse(readFileSync(PINS, 'utf8')) as { about: string }).about;
  writeFileSync(resolve(values.out!), `${JSON.stringify({ about, manifest: parseManifest(manifest, 'pins') }, null, 2)}\n`);
  console.log(`pin: ${Object.keys(pinned).length} models, tiers ${Object.keys(manifest.tiers).join(', ')} → ${values.out}`);
} catch (error) {
  console.error(`pin: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
