// Turning an evaluation report into manifest thresholds: the CLIP model's image threshold
// from the image signal, the reward model's from the labelled responses, each with how it
// was obtained (`calibration.method`). Pure; `npm run eval -- --record` applies it.
import type { EvalReport, SignalReport } from './report.ts';

export type CalibrationRule = 'fpr' | 'youden';

export interface ThresholdUpdate {
  model: string;
  field: 'image' | 'reward';
  threshold: number;
  method: string;
}

function update(report: EvalReport, signal: SignalReport | undefined, model: string, field: ThresholdUpdate['field'], rule: CalibrationRule): ThresholdUpdate | null {
  if (!signal || signal.auc === null) return null;
  const point = rule === 'fpr' ? signal.atFprTarget : signal.youden;
  if (point.threshold === null) return null; // nothing separates the classes: keep what is there
  const how = rule === 'fpr' ? `highest detection at false-positive rate ≤ ${report.fprTarget}` : "maximum Youden's J";
  return {
    model,
    field,
    threshold: point.threshold,
    method:
      `ROC on "${report.set.name}" (${report.set.unsafe} unsafe, ${report.set.safe} safe; ${report.createdAt.slice(0, 10)}), ${how}: ` +
      `detection ${(100 * point.detectionRate).toFixed(1)}%, false positives ${(100 * point.falsePositiveRate).toFixed(1)}%, AUC ${signal.auc.toFixed(3)}`,
  };
}

/** The threshold updates a report supports; a signal without both classes or without separation gives none. */
export function calibrationUpdates(report: EvalReport, rule: CalibrationRule): ThresholdUpdate[] {
  const find = (name: SignalReport['signal']) => report.signals.find((s) => s.signal === name);
  return [
    update(report, find('image'), report.setup.models.clip, 'image', rule),
    update(report, find('response'), report.setup.models.reward, 'reward', rule),
  ].filter((u): u is ThresholdUpdate => u !== null);
}

/** Applies updates to a parsed manifest.json (its `models.<id>.thresholds` and `calibration`). */
export function applyCalibration(manifest: { models: Record<string, { thresholds?: Record<string, number>; calibration?: unknown }> }, updates: readonly ThresholdUpdate[]): void {
  for (const u of updates) {
    const entry = manifest.models[u.model];
    if (!entry) throw new Error(`the manifest has no model "${u.model}"`);
    entry.thresholds = { ...entry.thresholds, [u.field]: u.threshold };
    entry.calibration = { calibrated: true, method: u.method };
  }
}
