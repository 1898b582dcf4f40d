// Turning an evaluation run into manifest thresholds: the CLIP model's image threshold from
// the images' labels, the reward model's from the responses' own labels (never the image's:
// an unsafe image answered with a refusal is a safe response). Each records how it was
// obtained — the rule, the items per class, and whether the rates were measured on the items
// that chose the threshold (in-sample) or on items held out from that choice. Too few items
// of a class and nothing is recorded unless forced. Pure; `npm run eval -- --record` applies it.
import { type EvalReport, type ReportMeta, type SignalReport, buildReport } from './report.ts';
import type { EvalRecord } from './run-set.ts';

export type CalibrationRule = 'fpr' | 'youden';

export interface CalibrationOptions {
  rule: CalibrationRule;
  /** Fewest items of each class a signal needs before its threshold is recorded. */
  minPerClass: number;
  /** Record even below minPerClass. */
  force?: boolean;
  /** Share of items (0–0.9) held out of the threshold's choice and used to measure it; 0: in-sample. */
  holdout?: number;
}

/** The defaults: 20 items per class, thresholds measured in-sample unless a holdout is asked for. */
export const CALIBRATION_DEFAULTS = { minPerClass: 20, holdout: 0 } as const;

export interface ThresholdUpdate {
  model: string;
  field: 'image' | 'reward';
  threshold: number;
  method: string;
}

export interface Calibration {
  updates: ThresholdUpdate[];
  /** Why a signal's threshold was not recorded. */
  skipped: string[];
}

/** Which items are held out: a stable hash of the file name, so a re-run splits the same way. */
function heldOut(file: string, share: number): boolean {
  let hash = 0x811c9dc5;
  for (let i = 0; i < file.length; i++) hash = Math.imul(hash ^ file.charCodeAt(i), 0x01000193) >>> 0;
  return hash / 2 ** 32 < share;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const SIGNALS = [
  { signal: 'image', field: 'image', model: (r: EvalReport) => r.setup.models.clip, labels: 'image labels' },
  { signal: 'response', field: 'reward', model: (r: EvalReport) => r.setup.models.reward, labels: 'response labels' },
] as const;

export function calibrate(records: readonly EvalRecord[], meta: ReportMeta, options: CalibrationOptions): Calibration {
  const share = options.holdout ?? 0;
  if (!(share >= 0 && share <= 0.9)) throw new RangeError(`holdout must be between 0 and 0.9, got ${share}`);
  const tuning = records.filter((r) => !heldOut(r.file, share));
  const testing = records.filter((r) => heldOut(r.file, share));
  const report = buildReport([...tuning], meta);
  const how = options.rule === 'fpr' ? `highest detection at false-positive rate ≤ ${meta.fprTarget}` : "maximum Youden's J";
  const result: Calibration = { updates: [], skipped: [] };
  for (const { signal: name, field, model, labels } of SIGNALS) {
    const signal = report.signals.find((s) => s.signal === name);
    if (!signal || signal.auc === null) {
      result.skipped.push(`${name}: the set lacks ${labels} of one class (or any)`);
      continue;
    }
    const counts = `${signal.unsafeItems} unsafe, ${signal.safeItems} safe by ${labels}`;
    if (Math.min(signal.unsafeItems, signal.safeItems) < options.minPerClass && !options.force) {
      result.skipped.push(`${name}: ${counts}, fewer than ${options.minPerClass} of a class (--force records it anyway)`);
      continue;
    }
    const point = options.rule === 'fpr' ? signal.atFprTarget : signal.youden;
    if (point.threshold === null) {
      result.skipped.push(`${name}: no threshold separates the classes`);
      continue;
    }
    result.updates.push({ model: model(report), field, threshold: point.threshold, method: `${describe(report, signal, counts, how, point)}; ${measured(testing, meta, name, field, point.threshold)}` });
  }
  return result;
}

function describe(report: EvalReport, signal: SignalReport, counts: string, how: string, point: SignalReport['youden'] | SignalReport['atFprTarget']): string {
  return `ROC on "${report.set.name}" (${counts}; ${report.createdAt.slice(0, 10)}), ${how}: detection ${pct(point.detectionRate)}, false positives ${pct(point.falsePositiveRate)}, AUC ${signal.auc!.toFixed(3)}`;
}

/** The threshold's rates where they were measured: in-sample, or on the held-out items. */
function measured(testing: readonly EvalRecord[], meta: ReportMeta, name: string, field: 'image' | 'reward', threshold: number): string {
  if (testing.length === 0) return 'in-sample (the rates are on the items that chose the threshold)';
  const check = buildReport([...testing], { ...meta, setup: { ...meta.setup, thresholds: { ...meta.setup.thresholds, [field]: threshold } } }).signals.find((s) => s.signal === name);
  if (!check || check.auc === null) return `held out ${testing.length} items, too few of a class to measure it`;
  return `held out ${testing.length} items (${check.unsafeItems} unsafe, ${check.safeItems} safe): detection ${pct(check.current.detectionRate)}, false positives ${pct(check.current.falsePositiveRate)}`;
}

/** Applies updates to a parsed manifest.json (its `models.<id>.thresholds` and `calibration`). */
export function applyCalibration(manifest: { models: Record<string, { thresholds?: Record<string, number>; calibration?: unknown }> }, updates: readonly ThresholdUpdate[]): void {
  for (const u of updates) {
    const entry = manifest.models[u.model];
    if (!entry) throw new Error(`the manifest has no model "${u.model}"`);
    entry.thresholds = { ...entry.thresholds, [u.field]: u.threshold };
    entry.calibration = { calibrated: true, basis: 'measured', method: u.method };
  }
}
