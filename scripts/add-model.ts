// npm run models:add -- --id <id> --from <folder> [--entry <entry.json>] [--default]
// Records a model you exported yourself (e.g. with optimum-cli) in models/manifest.json:
// copies it into models/<id>/ in the transformers.js layout (*.onnx and their external
// data under onnx/, everything else at the top), folds a chat_template.jinja into
// tokenizer_config.json, hashes every file, and writes the entry —
// the catalog's for a known id, else the one in --entry (a manifest entry without "files").
import { copyFileSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHAT_TEMPLATE_FILE, type ManifestFile } from '../src/runtime/manifest.ts';
import { CATALOG, type CatalogModel } from './fetch/catalog.ts';
import { foldChatTemplate } from './fetch/chat-template.ts';
import { recordModel } from './fetch/fetch-models.ts';
import { sha256File } from './fetch/hub-download.ts';

const MODELS_DIR = resolve(import.meta.dirname, '../models');
const { values } = parseArgs({ options: { id: { type: 'string' }, from: { type: 'string' }, entry: { type: 'string' }, default: { type: 'boolean', default: false } } });

function fail(message: string): never {
  console.error(`models:add: ${message}`);
  process.exit(2);
}

if (!values.id || !values.from) fail('--id and --from are required.');
const entry = values.entry
  ? (JSON.parse(readFileSync(resolve(values.entry), 'utf8')) as CatalogModel['entry'])
  : CATALOG.find((m) => m.id === values.id)?.entry ?? fail(`"${values.id}" is not in the catalog: pass --entry <entry.json> (see README, "Models").`);

const from = resolve(values.from);
const folder = join(MODELS_DIR, values.id);
const paths: string[] = [];
for (const name of readdirSync(from).sort()) {
  if (!statSync(join(from, name)).isFile() || name.startsWith('.')) continue;
  const path = /\.onnx(_data|\.data)?$/.test(name) ? `onnx/${name}` : name;
  const target = join(folder, path);
  mkdirSync(join(target, '..'), { recursive: true });
  copyFileSync(join(from, name), target);
  paths.push(path);
}
if (foldChatTemplate(folder)) console.log(`models:add: folded ${CHAT_TEMPLATE_FILE} into tokenizer_config.json (transformers.js reads the template there).`);
const files: ManifestFile[] = [];
for (const path of paths) {
  const target = join(folder, path);
  files.push({ path, sha256: await sha256File(target), bytes: statSync(target).size });
  console.log(`${values.id}/${path}`);
}
if (!files.some((f) => f.path.endsWith('.onnx'))) fail(`${from} holds no .onnx file.`);
recordModel(MODELS_DIR, { id: values.id, entry }, files, values.default);
console.log(`models:add: recorded "${values.id}" (${files.length} files) in models/manifest.json.`);
