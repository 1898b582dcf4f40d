// Thresholds and how unknown verdicts are treated. A policy starts from a preset
// and may override any number.
import type { ClipModelEntry, RewardModelEntry } from '../runtime/manifest.ts';
import { ETA_DEFAULTS } from './defaults.ts';

export interface Thresholds {
  /** CLIP cosine at or above which the image is unsafe. */
  image: number;
  /** Reward at or below which the response is unsafe. */
  reward: number;
}

export type UnknownVerdictTreatment = 'unsafe' | 'safe';

/**
 * `parallel` embeds the image while the response is scored (hides CLIP latency);
 * `reference` follows ETA's order: the image is evaluated only when the response is unsafe.
 */
export type EvaluationOrder = 'parallel' | 'reference';

export type PolicyPreset = 'manifest' | 'eta-paper';

/**
 * When to align: `eta` (the method) when the answer AND the image are unsafe; `response`
 * whenever the answer is unsafe, whatever the image (still checked and reported) — more
 * refusals of harmful text beside a harmless image, and more over-refusal.
 */
export type DecisionRule = 'eta' | 'response';

export interface PolicyOptions {
  preset?: PolicyPreset;
  thresholds?: Partial<Thresholds>;
  /** How a failed evaluator's `unknown` verdict counts in the decision (default: unsafe, fail closed). */
  unknownAs?: UnknownVerdictTreatment;
  order?: EvaluationOrder;
  rule?: DecisionRule;
}

export interface ResolvedPolicy {
  preset: PolicyPreset;
  thresholds: Thresholds;
  /** Where each threshold came from, for the result and the demo. */
  thresholdSource: { image: string; reward: string };
  unknownAs: UnknownVerdictTreatment;
  order: EvaluationOrder;
  rule: DecisionRule;
}

export function resolvePolicy(
  options: PolicyPreset | PolicyOptions | undefined,
  models: { clipId: string; clip: ClipModelEntry; rewardId: string; reward: RewardModelEntry },
): ResolvedPolicy {
  const opts: PolicyOptions = typeof options === 'string' ? { preset: options } : (options ?? {});
  const preset = opts.preset ?? 'manifest';
  const base: Thresholds =
    preset === 'eta-paper'
      ? ETA_DEFAULTS.paperThresholds
      : { image: models.clip.thresholds.image, reward: models.reward.thresholds.reward };
  const baseSource = (id: string) => (preset === 'eta-paper' ? 'preset eta-paper' : `manifest (${id})`);
  return {
    preset,
    thresholds: { ...base, ...opts.thresholds },
    thresholdSource: {
      image: opts.thresholds?.image !== undefined ? 'override' : baseSource(models.clipId),
      reward: opts.thresholds?.reward !== undefined ? 'override' : baseSource(models.rewardId),
    },
    unknownAs: opts.unknownAs ?? ETA_DEFAULTS.unknownAs,
    order: opts.order ?? ETA_DEFAULTS.order,
    rule: opts.rule ?? ETA_DEFAULTS.rule,
  };
}
