// The fast, VLM-free risk breakdown: CLIP zero-shot scores of the image (and of any
// text: the question, the text read from the image) against one description per
// DREAM category, and the same result in OpenAI's moderation shape.
import { CATEGORY_LABELS, RISK_CATEGORIES, type RiskCategory, type RiskSource } from '../risk-categories.ts';
import { judgeScore } from '../eta/decision.ts';

export type CategoryScores = Record<RiskCategory, number>;

export interface SourceScore {
  score: number;
  threshold: number;
  flagged: boolean;
}

export interface CategoryRisk {
  category: RiskCategory;
  label: string;
  /** The score of the source that comes closest to (or furthest past) its threshold. */
  score: number;
  threshold: number;
  flagged: boolean;
  sources: Partial<Record<RiskSource, SourceScore>>;
}

export interface ClipRiskReport {
  model: string;
  /** Whether the per-category thresholds were measured (manifest `risk.calibration`). */
  calibrated: boolean;
  method: string;
  flagged: RiskCategory[];
  categories: CategoryRisk[];
}

export interface ClipRiskInputs {
  /** cosine(image, description) per category (source: image content). */
  image?: CategoryScores;
  /** cosine(text, description) per category, per text source (question, text in the image). */
  texts?: { source: Exclude<RiskSource, 'image-content'>; scores: CategoryScores }[];
}

export interface ClipRiskThresholds {
  image: CategoryScores;
  text: CategoryScores;
}

export function buildClipRiskReport(
  inputs: ClipRiskInputs,
  thresholds: ClipRiskThresholds,
  meta: { model: string; calibrated: boolean; method: string },
): ClipRiskReport {
  const categories = RISK_CATEGORIES.map((category): CategoryRisk => {
    const sources: Partial<Record<RiskSource, SourceScore>> = {};
    const add = (source: RiskSource, score: number, threshold: number) => {
      // The one verdict rule: a score that cannot be judged is flagged, not cleared.
      sources[source] = { score, threshold, flagged: judgeScore(score, threshold, 'at-or-above').verdict !== 'safe' };
    };
    if (inputs.image) add('image-content', inputs.image[category], thresholds.image[category]);
    for (const text of inputs.texts ?? []) add(text.source, text.scores[category], thresholds.text[category]);
    const closest = Object.values(sources).reduce<SourceScore | null>(
      (best, s) => (best === null || s.score - s.threshold > best.score - best.threshold ? s : best),
      null,
    ) ?? { score: 0, threshold: thresholds.image[category], flagged: false };
    return { category, label: CATEGORY_LABELS[category], score: closest.score, threshold: closest.threshold, flagged: closest.flagged, sources };
  });
  return { ...meta, flagged: categories.filter((c) => c.flagged).map((c) => c.category), categories };
}

/** OpenAI's moderation response (`POST /v1/moderations`), with DREAM's categories as keys. */
export interface ModerationResponse {
  id: string;
  model: string;
  results: ModerationResult[];
}

export interface ModerationResult {
  flagged: boolean;
  categories: Record<RiskCategory, boolean>;
  /** Raw CLIP cosines (not probabilities); `categories` applies the manifest's thresholds to them. */
  category_scores: Record<RiskCategory, number>;
  category_applied_input_types: Record<RiskCategory, ('image' | 'text')[]>;
}

const INPUT_TYPE: Record<RiskSource, 'image' | 'text'> = {
  'image-content': 'image',
  'text-in-image': 'image',
  'text-instruction': 'text',
  'text-content': 'text',
};

export function toModeration(report: ClipRiskReport, id: string): ModerationResponse {
  const per = <T>(f: (c: CategoryRisk) => T) => Object.fromEntries(report.categories.map((c) => [c.category, f(c)])) as Record<RiskCategory, T>;
  return {
    id,
    model: `vlm-guard/${report.model}`,
    results: [
      {
        flagged: report.flagged.length > 0,
        categories: per((c) => c.flagged),
        category_scores: per((c) => c.score),
        category_applied_input_types: per((c) => [...new Set(Object.keys(c.sources).map((s) => INPUT_TYPE[s as RiskSource]))]),
      },
    ],
  };
}
