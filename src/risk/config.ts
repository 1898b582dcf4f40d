// Risk report defaults (DREAM ideas, docs/method.md, DREAM); every value can be overridden in createGuard({ risk }).
import type { RiskCategory } from '../risk-categories.ts';
import { DEFAULT_CATEGORY_DESCRIPTIONS } from '../risk-categories.ts';
import { DEFAULT_RISK_PROMPTS, MRD_VARIANTS, type MrdVariant, type RiskPrompts } from './prompts.ts';

export const RISK_REPORT_MODES = ['clip', 'vlm', 'both', 'off'] as const;
/** clip: CLIP zero-shot per category (fast, no VLM); vlm: DREAM's disentanglement by the VLM. */
export type RiskReportMode = (typeof RISK_REPORT_MODES)[number];
/** system: a system note names the risks; prefix: the safety prefix goes on to name them. */
export type RiskAwareAlignment = 'off' | 'system' | 'prefix';

export interface RiskConfig {
  report: RiskReportMode;
  descriptions: Record<RiskCategory, string>;
  /** Override the manifest's per-category thresholds. */
  thresholds: { image: Partial<Record<RiskCategory, number>>; text: Partial<Record<RiskCategory, number>> };
  variants: MrdVariant[];
  /** Ask the VLM yes/no whether each listed risk is really there. */
  verify: boolean;
  /** Token cap of each risk-list, verification and judge answer. */
  maxTokens: number;
  alignment: RiskAwareAlignment;
  /** Score vanilla and aligned answers 0–10 for risk awareness with the VLM (respond). */
  judge: boolean;
  prompts: RiskPrompts;
}

export const RISK_DEFAULTS: RiskConfig = {
  report: 'off',
  descriptions: DEFAULT_CATEGORY_DESCRIPTIONS,
  thresholds: { image: {}, text: {} },
  variants: [...MRD_VARIANTS],
  verify: true,
  maxTokens: 384,
  alignment: 'off',
  judge: false,
  prompts: DEFAULT_RISK_PROMPTS,
};

/**
 * A CLIP model without per-category thresholds in the manifest: image categories use
 * its ETA image threshold, text categories this cosine; the report says uncalibrated.
 */
export const UNCALIBRATED_TEXT_THRESHOLD = 0.85;
