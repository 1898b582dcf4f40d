// From a safety model's raw output to one score, higher = safer (unsafe at ≤ the
// manifest threshold). Pure, so every evaluator kind shares and tests the same math.
import type { GuardTokens, ScoreRule } from './manifest.ts';
import type { RiskCategory } from '../risk-categories.ts';

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

function softmax(values: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(values));
  const exps = Array.from(values, (x) => Math.exp(x - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * One classifier row → score. `logit`: the chosen logit. `labels`: 1 − P(unsafe), where
 * P(unsafe) combines the unsafe labels' probabilities (sigmoid for multi-label heads,
 * softmax for multi-class) by max or by sum (capped at 1).
 */
export function scoreFromLogits(row: ArrayLike<number>, rule: ScoreRule, labels: readonly string[]): number {
  if (rule.from === 'logit') {
    if (rule.index >= row.length) throw new Error(`score rule reads logit ${rule.index}, the model has ${row.length}`);
    return row[rule.index]!;
  }
  const probabilities = rule.activation === 'sigmoid' ? Array.from(row, sigmoid) : softmax(row);
  const unsafe = rule.unsafe.map((label) => {
    const index = labels.indexOf(label);
    if (index < 0) throw new Error(`score rule names label "${label}", the model has ${labels.join(', ')}`);
    return probabilities[index]!;
  });
  const combined = rule.combine === 'max' ? Math.max(...unsafe) : Math.min(1, unsafe.reduce((a, b) => a + b, 0));
  return 1 - combined;
}

/**
 * Llama Guard's verdict at the first generated position: P(safe) against P(unsafe),
 * renormalised over the two tokens, so other tokens' mass does not blur the score.
 */
export function guardScore(logits: ArrayLike<number>, safeId: number, unsafeId: number): number {
  const safe = logits[safeId]!;
  const unsafe = logits[unsafeId]!;
  return sigmoid(safe - unsafe);
}

/** The category codes in a guard's output (e.g. "unsafe\nS1,S10") mapped to risk categories, in order, once each. */
export function guardCategories(text: string, categories: GuardTokens['categories']): { codes: string[]; categories: RiskCategory[] } {
  const byCode = new Map(Object.entries(categories).map(([code, category]) => [code.toLowerCase(), category]));
  const codes = [...new Set((text.match(/[a-z]+\d+/gi) ?? []).map((c) => c.toUpperCase()))].filter((c) => byCode.has(c.toLowerCase()));
  return { codes, categories: [...new Set(codes.map((c) => byCode.get(c.toLowerCase())!))] };
}
