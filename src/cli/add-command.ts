// vlm-guard add --id <id> --from <folder> [--entry <entry.json>] [--default] [--models <dir>]
// Records a model you exported yourself (e.g. with optimum-cli) in the models folder's
// manifest.json: copies it into <models>/<id>/ in the transformers.js layout (*.onnx and
// their external data under onnx/, everything else at the top), folds a chat_template.jinja
// into tokenizer_config.json, hashes every file, and writes the entry — the catalog's for a
// known id, else the one in --entry (a manifest entry without "files").
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CHAT_TEMPLATE_FILE, type ManifestFile } from '../runtime/manifest.ts';
import { CliError, modelsFolder } from './cli-error.ts';
import { CATALOG, type CatalogModel } from '../runtime/catalog.ts';
import { foldChatTemplate } from './fetch/chat-template.ts';
import { recordModel } from './fetch/fetch-models.ts';
import { sha256File } from './fetch/hub-download.ts';

export async function addCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { id: { type: 'string' }, from: { type: 'string' }, entry: { type: 'string' }, default: { type: 'boolean', default: false }, models: { type: 'string' } },
  });
  if (!values.id || !values.from) throw new CliError('--id and --from are required.');
  const modelsDir = modelsFolder(values.models);
  if (!existsSync(join(modelsDir, 'manifest.json'))) throw new CliError(`${modelsDir} has no manifest.json: run \`vlm-guard init <public dir>\` first, or pass --models.`);
  const entry = values.entry
    ? (JSON.parse(readFileSync(resolve(values.entry), 'utf8')) as CatalogModel['entry'])
    : (CATALOG.find((m) => m.id === values.id)?.entry ?? throwCli(`"${values.id}" is not in the catalog: pass --entry <entry.json> (see README, "Models").`));

  const from = resolve(values.from);
  const names = readdirSync(from)
    .sort()
    .filter((name) => statSync(join(from, name)).isFile() && !name.startsWith('.'));
  if (!names.some((name) => name.endsWith('.onnx'))) throw new CliError(`${from} holds no .onnx file.`);
  const folder = join(modelsDir, values.id);
  const paths: string[] = [];
  for (const name of names) {
    const path = /\.onnx(_data|\.data)?$/.test(name) ? `onnx/${name}` : name;
    const target = join(folder, path);
    mkdirSync(join(target, '..'), { recursive: true });
    copyFileSync(join(from, name), target);
    paths.push(path);
  }
  if (foldChatTemplate(folder)) console.log(`add: folded ${CHAT_TEMPLATE_FILE} into tokenizer_config.json (transformers.js reads the template there).`);
  const files: ManifestFile[] = [];
  for (const path of paths) {
    const target = join(folder, path);
    files.push({ path, sha256: await sha256File(target), bytes: statSync(target).size });
    console.log(`${values.id}/${path}`);
  }
  recordModel(modelsDir, { id: values.id, entry }, files, values.default);
  console.log(`add: recorded "${values.id}" (${files.length} files) in ${join(modelsDir, 'manifest.json')}.`);
  return 0;
}

function throwCli(message: string): never {
  throw new CliError(message);
}
