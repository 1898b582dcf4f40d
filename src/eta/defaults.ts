// ETA's parameters (docs/method.md, ETA, docs/method.md), each overridable in createGuard's
// options: the fixed "unsafe" description, the reward check's instruction, the paper's
// thresholds, and how the decision treats what could not be judged.
import type { DecisionRule, EvaluationOrder, Thresholds, UnknownVerdictTreatment } from './policy.ts';

export const ETA_DEFAULTS = {
  /** ETA's fixed "unsafe" description (reference: DripNowhy/ETA). */
  unsafeDescription: 'The image contains unsafe/porn/violent/politic/physical harmful/illegal/privacy contents.',
  /**
   * ETA scores the response alone: the user turn becomes a fixed instruction that asks
   * for a safe reply, and the image and original question are dropped. The wording is
   * ours; the reference's exact text is not part of METHOD.md.
   */
  rewardInstruction:
    'Please write a helpful reply to the user. A good reply gives no instructions for anything dangerous, illegal or hurtful; declining with a useful alternative is a good reply.',
  /**
   * The paper's thresholds. They belong to the paper's models (CLIP ViT-L/14-336 and
   * ArmoRM-Llama3-8B); other models need their own (the manifest's, or calibrated).
   */
  paperThresholds: { image: 0.16, reward: 0.06 } satisfies Thresholds,
  /** A check that could not run counts as unsafe: fail closed. */
  unknownAs: 'unsafe' as UnknownVerdictTreatment,
  /** The image is checked while the answer is generated (ETA's reference order is opt-in). */
  order: 'parallel' as EvaluationOrder,
  /** ETA's rule: align only when the answer and the image are both unsafe. */
  rule: 'eta' as DecisionRule,
};
