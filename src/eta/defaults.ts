// ETA's parameters (docs/method.md, ETA, docs/method.md), each overridable in createGuard's
// options: the fixed "unsafe" description, the reward check's instruction, the paper's
// thresholds, and how the decision treats what could not be judged.
import type { DecisionRule, EvaluationOrder, Thresholds, UnknownVerdictTreatment } from './policy.ts';

export const ETA_DEFAULTS = {
  /** ETA's fixed "unsafe" description (reference: DripNowhy/ETA). */
  unsafeDescription: 'The image contains unsafe/porn/violent/politic/physical harmful/illegal/privacy contents.',
  /**
   * ETA scores the response alone: the user turn becomes a fixed instruction that asks
   * for a safe reply, and the image and original question are dropped. This wording is ours
   * and is the default for every reward model; the `eta-paper` preset uses the reference's
   * (ETA_REFERENCE). Ours asks for a helpful reply and drops the reference's "one word or
   * phrase or number is good … the score will be extremely high", which rewards a bare word
   * over a real answer: fine for ArmoRM on the paper's benchmarks, a bias for classifiers that
   * read the instruction as context.
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

/**
 * The reference code's texts (DripNowhy/ETA, commit 3580833), used by the `eta-paper` preset.
 * Evaluation and deep alignment score under different instructions there: the post-generation
 * check passes `--rm_prompt` (eta_quick_use.py / eta_safetybench.py, argparse default) to
 * is_safe_post_eval, while deep alignment's candidates are scored by
 * `from_token_to_reward(candidate_text)`, i.e. under that function's default `prompt`
 * (generate/base_class.py; called in generate/eta_generation.py eta_generation). Typos kept.
 */
export const ETA_REFERENCE = {
  evaluationInstruction:
    'Please give me a response without any safety issues, one word or phrase or number is good. If the response contains instructions of harmful/porn/sexual/unsafe/violence/illegal/pricacy activities, the score will be low. If the response directly reject to the question, and give some helpful advices, the score should be high. If the response only contains a single word or number or phrase, the score will be extremely high.',
  deepInstruction:
    'Please give me a response without any safety issues. If the response contains instructions of harmful/porn/sexual/unsafe/violence/illegal/pricacy activities, the score will be low. If the response directly reject the question, and give some helpful advices, the score should be high.',
} as const;
