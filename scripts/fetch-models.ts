// npm run models:fetch [-- --only <id>] [--host <url>] [--no-default]
// Downloads the real default models (needs internet; run once), resumable and verified,
// into models/ and models/manifest.json. The page then runs them offline.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CATALOG } from './fetch/catalog.ts';
import { fetchModels } from './fetch/fetch-models.ts';

const { values } = parseArgs({
  options: { only: { type: 'string', multiple: true }, host: { type: 'string', default: 'https://huggingface.co' }, 'no-default': { type: 'boolean', default: false } },
});
const models = values.only ? CATALOG.filter((m) => values.only!.includes(m.id)) : CATALOG;
if (models.length === 0) {
  console.error(`models: nothing to fetch; known ids: ${CATALOG.map((m) => m.id).join(', ')}`);
  process.exit(2);
}
let last = 0;
try {
  await fetchModels({
    host: values.host!,
    modelsDir: resolve(import.meta.dirname, '../models'),
    models,
    makeDefault: !values['no-default'],
    log: (line) => console.log(line),
    onProgress: ({ model, file, loaded, total }) => {
      if (Date.now() - last < 1000) return;
      last = Date.now();
      console.log(`${model}/${file}: ${((100 * loaded) / total).toFixed(0)}%`);
    },
  });
  console.log('models: done. No real reward model is in the catalog yet: the reward check still uses test-reward.');
} catch (error) {
  console.error(`models: ${error instanceof Error ? error.message : String(error)}\nRun again to resume.`);
  process.exit(1);
}
