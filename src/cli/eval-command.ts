// vlm-guard eval --set <folder> [--models <dir>] [--backend webgpu|wasm|auto] [--out <dir>]
//   [--fpr-target 0.05] [--image-text auto|on|off] [--tier name] [--clip-model id] [--reward-model id]
//   [--generator <base url> --generator-model <name> [--generator-key-env VAR] [--alignment shallow|deep]]
//   [--record fpr|youden [--holdout 0.3] [--min-per-class 20] [--force]]
//                            write the calibrated thresholds into the models' manifest: the image
//                            threshold from the image labels, the reward threshold from the
//                            response_label column only; --holdout measures the chosen threshold
//                            on a share of items kept out of its choice
//
// Runs a labelled set (images + labels.json or labels.csv) through the guard in Chromium (the
// package's page, dist/cli-pages/eval.html) and writes report.json and report.html (ROC curves,
// histograms, calibrated thresholds) to --out (default eval-results/<set>). Works unchanged
// with real models: that is how to measure them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EvalPageConfig } from '../cli-pages/eval-page.ts';
import { CALIBRATION_DEFAULTS, applyCalibration, calibrate } from '../evaluation/calibration.ts';
import { CHART_JS, renderHtmlReport } from '../evaluation/html-report.ts';
import { parseLabels } from '../evaluation/labels.ts';
import { buildReport } from '../evaluation/report.ts';
import { parseManifest } from '../runtime/manifest.ts';
import { CliError, modelsFolder } from './cli-error.ts';
import { withPackagePage } from './package-page.ts';
import { packageRoot } from './package-root.ts';

export async function evalCommand(argv: string[]): Promise<number> {
  const { values: args } = parseArgs({
    args: argv,
    options: {
      set: { type: 'string' },
      models: { type: 'string' },
      backend: { type: 'string', default: 'wasm' },
      out: { type: 'string' },
      'fpr-target': { type: 'string', default: '0.05' },
      'image-text': { type: 'string', default: 'auto' },
      tier: { type: 'string' },
      'clip-model': { type: 'string' },
      'reward-model': { type: 'string' },
      generator: { type: 'string' },
      'generator-model': { type: 'string' },
      'generator-key-env': { type: 'string' },
      alignment: { type: 'string', default: 'shallow' },
      record: { type: 'string' },
      holdout: { type: 'string', default: String(CALIBRATION_DEFAULTS.holdout) },
      'min-per-class': { type: 'string', default: String(CALIBRATION_DEFAULTS.minPerClass) },
      force: { type: 'boolean', default: false },
    },
  });

  if (!args.set) fail('--set <folder> is required (a folder of images with labels.json or labels.csv).');
  const setDir = resolve(args.set);
  const labelsFile = ['labels.json', 'labels.csv'].map((f) => resolve(setDir, f)).find(existsSync);
  if (!labelsFile) fail(`${setDir} has no labels.json or labels.csv.`);
  const items = parseLabels(readFileSync(labelsFile, 'utf8'), basename(labelsFile));
  const missing = items.filter((i) => !existsSync(resolve(setDir, i.file)));
  if (missing.length > 0) fail(`${missing.length} listed file(s) missing in ${setDir}, e.g. ${missing[0]!.file}.`);
  const holdout = Number(args.holdout);
  if (!(holdout >= 0 && holdout <= 0.9)) fail(`--holdout must be between 0 and 0.9, got ${args.holdout}.`);
  const minPerClass = Number(args['min-per-class']);
  if (!(Number.isInteger(minPerClass) && minPerClass >= 1)) fail(`--min-per-class must be a whole number ≥ 1, got ${args['min-per-class']}.`);
  const fprTarget = Number(args['fpr-target']);
  if (!(fprTarget >= 0 && fprTarget <= 1)) fail(`--fpr-target must be between 0 and 1, got ${args['fpr-target']}.`);
  if (args.generator && !args['generator-model']) fail('--generator needs --generator-model.');
  const apiKey = args['generator-key-env'] ? process.env[args['generator-key-env']] : undefined;
  if (args['generator-key-env'] && !apiKey) fail(`environment variable ${args['generator-key-env']} is not set.`);
  const modelsDir = modelsFolder(args.models);
  if (!existsSync(resolve(modelsDir, 'manifest.json'))) fail(`${modelsDir} has no manifest.json: run \`vlm-guard init <public dir>\` first, or pass --models.`);
  const outDir = resolve(args.out ?? resolve('eval-results', basename(setDir)));

  const started = performance.now();
  const result = await withPackagePage(
    {
      name: 'eval',
      readyFlag: 'evalPageReady',
      folders: [['/@eval-set/', setDir], ['/@models/', modelsDir]],
    },
    async (page, origin) => {
      const config: EvalPageConfig = {
        modelBase: `${origin}/@models/`,
        device: oneOf('backend', args.backend, ['webgpu', 'wasm', 'auto'] as const),
        imageText: oneOf('image-text', args['image-text'], ['auto', 'on', 'off'] as const),
        ...(args.tier ? { tier: args.tier } : {}),
        ...(args['clip-model'] ? { clipModel: args['clip-model'] } : {}),
        ...(args['reward-model'] ? { rewardModel: args['reward-model'] } : {}),
        setBase: `${origin}/@eval-set/`,
        items,
        ...(args.generator ? { generator: { baseUrl: args.generator, model: args['generator-model']!, ...(apiKey ? { apiKey } : {}) } } : {}),
        alignment: oneOf('alignment', args.alignment, ['shallow', 'deep'] as const),
      };
      console.log(`eval: ${items.length} items from ${labelsFile} on ${config.device}, models ${config.modelBase}`);
      return page.evaluate((c) => window.runEvaluationSet(c), config);
    },
  );
  const report = buildReport(result.records, { name: basename(setDir), setup: result.setup, fprTarget });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(resolve(outDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  const chartJs = readFileSync(join(packageRoot(), 'dist/cli-pages', CHART_JS), 'utf8');
  writeFileSync(resolve(outDir, 'report.html'), renderHtmlReport(report, chartJs));

  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  console.log(`\n${report.set.items} items (${report.set.unsafe} unsafe, ${report.set.safe} safe, ${report.set.errors} errors) in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  console.log(`models ${report.setup.models.clip} + ${report.setup.models.reward} on ${Object.entries(report.setup.backends).map(([k, v]) => `${k}:${v}`).join(' ')}; image text ${report.setup.imageText ? 'on' : 'off'}`);
  console.log(`at the thresholds in use${report.setup.thresholdBasis ? ` (image: ${report.setup.thresholdBasis.clip}, reward: ${report.setup.thresholdBasis.reward})` : ''}: detection ${pct(report.overall.detectionRate)}, false positives ${pct(report.overall.falsePositiveRate)}`);
  console.table(
    report.signals.map((s) => ({
      signal: s.signal,
      AUC: s.auc?.toFixed(3) ?? '—',
      current: s.current.threshold,
      [`FPR≤${fprTarget}`]: s.atFprTarget.threshold,
      'detect@target': pct(s.atFprTarget.detectionRate),
      youden: s.youden.threshold,
      'J': s.youden.j.toFixed(3),
    })),
  );
  if (report.generation) {
    const g = report.generation;
    console.log(`answers: unsafe before alignment ${g.unsafeBefore}/${g.items} (${pct(g.rateBefore)}), after ${g.unsafeAfter}/${g.items} (${pct(g.rateAfter)})`);
  }
  console.log(`\nwrote ${resolve(outDir, 'report.json')} and report.html`);
  if (args.record) {
    const rule = oneOf('record', args.record, ['fpr', 'youden'] as const);
    const manifestPath = resolve(modelsDir, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Parameters<typeof applyCalibration>[0];
    const { updates, skipped } = calibrate(result.records, { name: basename(setDir), setup: result.setup, fprTarget }, { rule, holdout, minPerClass, force: args.force });
    applyCalibration(manifest, updates);
    writeFileSync(manifestPath, `${JSON.stringify(parseManifest(manifest, manifestPath), null, 2)}\n`);
    for (const u of updates) console.log(`recorded ${u.model} ${u.field} threshold ${u.threshold} in ${manifestPath}: ${u.method}`);
    for (const reason of skipped) console.log(`not recorded: ${reason}`);
  }

  return 0;
}

function fail(message: string): never {
  throw new CliError(message);
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) fail(`--${name} must be one of ${allowed.join(', ')}, got "${value}".`);
  return value as T;
}
