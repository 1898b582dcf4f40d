// vlm-guard fetch [--tier light|standard|paper] [--only <id>…] [--host <url>] [--no-default] [--models <dir>]
// Downloads real models (needs internet; run once), resumable and verified, into the models
// folder and its manifest.json. The page then runs them offline. Models with no published
// ONNX (the paper tier's reward model) are exported by you: the commands are printed.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { RUNTIME_DEFAULTS } from '../runtime/defaults.ts';
import { parseManifest } from '../runtime/manifest.ts';
import { CliError, modelsFolder } from './cli-error.ts';
import { CATALOG, type CatalogModel, isHubModel } from '../runtime/catalog.ts';
import { fetchModels } from './fetch/fetch-models.ts';
import { HostUnreachable } from '../runtime/hub-api.ts';

export const HUB = RUNTIME_DEFAULTS.hub.host;

export async function fetchCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      tier: { type: 'string' },
      only: { type: 'string', multiple: true },
      host: { type: 'string', default: HUB },
      'no-default': { type: 'boolean', default: false },
      models: { type: 'string' },
    },
  });
  const modelsDir = modelsFolder(values.models);
  const manifestPath = resolve(modelsDir, 'manifest.json');
  if (!existsSync(manifestPath)) throw new CliError(`${modelsDir} has no manifest.json: run \`vlm-guard init <public dir>\` first, or pass --models.`);

  let models: CatalogModel[];
  if (values.only) {
    models = CATALOG.filter((m) => values.only!.includes(m.id));
  } else {
    const tierName = values.tier ?? 'standard';
    const tier = parseManifest(JSON.parse(readFileSync(manifestPath, 'utf8')), manifestPath).tiers[tierName];
    if (!tier) throw new CliError(`no tier "${tierName}" in ${manifestPath}.`);
    const ids = Object.values(tier.models).filter((id): id is string => id !== undefined);
    models = CATALOG.filter((m) => ids.includes(m.id));
  }
  if (models.length === 0) throw new CliError(`nothing to fetch (generated or npm models need no download); catalog ids: ${CATALOG.map((m) => m.id).join(', ')}`);

  let last = 0;
  try {
    await fetchModels({
      host: values.host!,
      modelsDir,
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
  } catch (error) {
    console.error(`fetch: ${fetchFailure(error, values.host!)}`);
    return 1;
  }
  for (const model of models.filter((m) => !isHubModel(m))) {
    if ('export' in model) {
      console.log(`\n${model.id}: ${model.export.source} has no published ONNX. Export it, then record it:\n  ${model.export.commands.join('\n  ')}`);
    }
  }
  console.log(`fetch: done, in ${modelsDir}${values.tier ? `; use it with createGuard({ tier: '${values.tier}' })` : ''}.`);
  return 0;
}

/** What went wrong and what to do: an unreachable host is not fixed by running again. */
function fetchFailure(error: unknown, host: string): string {
  if (error instanceof HostUnreachable) {
    return (
      `cannot reach ${new URL(error.url).origin} (${error.reason}), asked for ${error.url}.\n` +
      `Where ${host} is blocked, use a mirror with the hub's layout (--host https://your-mirror), or export the model ` +
      'elsewhere, copy its folder here and record it with `vlm-guard add` (see `vlm-guard --help`).'
    );
  }
  // Files that finished are kept and a cut-off one resumes: running again continues where this stopped.
  return `${error instanceof Error ? error.message : String(error)}\nRun again to resume.`;
}
