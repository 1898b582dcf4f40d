// npm run models:fetch [-- --tier light|standard|paper] [--only <id>] [--host <url>] [--no-default]
// Downloads real models (needs internet; run once), resumable and verified, into models/
// and models/manifest.json. The page then runs them offline. Models with no published
// ONNX (the paper tier's reward model) are exported by you: the commands are printed.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseManifest } from '../src/runtime/manifest.ts';
import { CATALOG, type CatalogModel, isHubModel } from './fetch/catalog.ts';
import { fetchModels } from './fetch/fetch-models.ts';

const MODELS_DIR = resolve(import.meta.dirname, '../models');
const { values } = parseArgs({
  options: {
    tier: { type: 'string' },
    only: { type: 'string', multiple: true },
    host: { type: 'string', default: 'https://huggingface.co' },
    'no-default': { type: 'boolean', default: false },
  },
});

function selected(): CatalogModel[] {
  if (values.only) return CATALOG.filter((m) => values.only!.includes(m.id));
  const tierName = values.tier ?? 'standard';
  const manifestPath = resolve(MODELS_DIR, 'manifest.json');
  const tier = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath).tiers[tierName];
  if (!tier) {
    console.error(`models: no tier "${tierName}" in ${manifestPath}`);
    process.exit(2);
  }
  const ids = Object.values(tier.models).filter((id): id is string => id !== undefined);
  return CATALOG.filter((m) => ids.includes(m.id));
}

const models = selected();
if (models.length === 0) {
  console.error(`models: nothing to fetch (generated or npm models need no download); catalog ids: ${CATALOG.map((m) => m.id).join(', ')}`);
  process.exit(2);
}
let last = 0;
try {
  await fetchModels({
    host: values.host!,
    modelsDir: MODELS_DIR,
    models: models.filter(isHubModel),
    // A tier's models are used through createGuard({ tier }); --only makes them the defaults.
    makeDefault: Boolean(values.only) && !values['no-default'],
    log: (line) => console.log(line),
    onProgress: ({ model, file, loaded, total }) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      console.log(`${model}/${file}: ${((100 * loaded) / total).toFixed(0)}%`);
    },
  });
  for (const model of models.filter((m) => !isHubModel(m))) {
    if ('export' in model) {
      console.log(`\n${model.id}: ${model.export.source} has no published ONNX. Export it, then record it:\n  ${model.export.commands.join('\n  ')}`);
    }
  }
  console.log(`models: done${values.tier ? `; use it with createGuard({ tier: '${values.tier}' })` : ''}.`);
} catch (error) {
  console.error(`models: ${error instanceof Error ? error.message : String(error)}\nRun again to resume.`);
  process.exit(1);
}
