// The CLIP risk breakdown's per-category thresholds: the manifest's, or the model's ETA
// image threshold when the manifest has none (uncalibrated), then the page's overrides.
import type { ClipModelEntry } from '../runtime/manifest.ts';
import { RISK_CATEGORIES, type RiskCategory } from '../risk-categories.ts';
import type { ClipRiskThresholds } from './clip-risk.ts';
import { type RiskConfig, UNCALIBRATED_TEXT_THRESHOLD } from './config.ts';

export interface ResolvedRiskThresholds {
  model: string;
  thresholds: ClipRiskThresholds;
  calibrated: boolean;
  method: string;
}

const filled = (value: number): Record<RiskCategory, number> =>
  Object.fromEntries(RISK_CATEGORIES.map((c) => [c, value])) as Record<RiskCategory, number>;

export function resolveRiskThresholds(modelId: string, entry: ClipModelEntry, overrides: RiskConfig['thresholds']): ResolvedRiskThresholds {
  const base = entry.risk ?? {
    thresholds: { image: filled(entry.thresholds.image), text: filled(UNCALIBRATED_TEXT_THRESHOLD) },
    calibration: {
      calibrated: false,
      method: `no per-category thresholds in the manifest for ${modelId}: image categories use its ETA image threshold (${entry.thresholds.image}), text categories ${UNCALIBRATED_TEXT_THRESHOLD}`,
    },
  };
  const overridden = [...Object.keys(overrides.image).map((c) => `image ${c}`), ...Object.keys(overrides.text).map((c) => `text ${c}`)];
  return {
    model: modelId,
    thresholds: { image: { ...base.thresholds.image, ...overrides.image }, text: { ...base.thresholds.text, ...overrides.text } },
    calibrated: base.calibration.calibrated && overridden.length === 0,
    method: overridden.length === 0 ? base.calibration.method : `${base.calibration.method}; set by the page for ${overridden.join(', ')}`,
  };
}
