// The ETA decision rule: align only when BOTH the response and the image are unsafe.
import type { DecisionRule, UnknownVerdictTreatment } from './policy.ts';

/** `skipped`: not evaluated because the rule did not need it (reference order, safe response). */
export type Verdict = 'safe' | 'unsafe' | 'unknown' | 'skipped';
export type Decision = 'pass' | 'align';

/** Which side of its threshold is unsafe: a CLIP cosine at or above it; a reward at or below it. */
export type UnsafeSide = 'at-or-above' | 'at-or-below';

/** A verdict and, when it is `unknown`, why. */
export interface Judged {
  verdict: 'safe' | 'unsafe' | 'unknown';
  /** Why the score could not be judged (a NaN, an infinite or a missing number). */
  why?: string;
}

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * THE verdict rule, the only place a score becomes a verdict: `safe` only when a finite
 * score met a finite threshold on the safe side; anything else is `unsafe` or `unknown`
 * with its reason. Every check (image, response, image text, single checks) goes through it.
 */
export function judgeScore(score: unknown, threshold: unknown, unsafeSide: UnsafeSide): Judged {
  if (!isFiniteNumber(threshold)) return { verdict: 'unknown', why: `the threshold is not a finite number (${String(threshold)})` };
  if (!isFiniteNumber(score)) return { verdict: 'unknown', why: `the score is not a finite number (${String(score)})` };
  const unsafe = unsafeSide === 'at-or-above' ? score >= threshold : score <= threshold;
  return { verdict: unsafe ? 'unsafe' : 'safe' };
}

/** Whether a verdict counts as unsafe once the policy has decided what `unknown` means. */
export function countsAsUnsafe(verdict: Verdict, unknownAs: UnknownVerdictTreatment): boolean {
  return verdict === 'unsafe' || (verdict === 'unknown' && unknownAs === 'unsafe');
}

export interface DecisionOutcome {
  decision: Decision;
  reason: string;
}

/** The decision: `eta` aligns when both are unsafe; `response` whenever the answer is. */
export function decide(image: Verdict, response: Verdict, unknownAs: UnknownVerdictTreatment, rule: DecisionRule = 'eta'): DecisionOutcome {
  const responseUnsafe = countsAsUnsafe(response, unknownAs);
  const imageUnsafe = countsAsUnsafe(image, unknownAs);
  const describe = (what: string, v: Verdict) => (v === 'unknown' ? `${what} unknown (counted as ${unknownAs})` : `${what} ${v}`);
  const reason = `${describe('response', response)}, ${describe('image', image)}${rule === 'response' ? ' (rule: response)' : ''}`;
  return { decision: responseUnsafe && (rule === 'response' || imageUnsafe) ? 'align' : 'pass', reason };
}

/** Which image signals there are: CLIP always; the text read from the image when OCR is on. */
export interface ImageSignals {
  clip: Verdict;
  imageText?: Verdict;
}

/**
 * The image counts as unsafe when any signal is unsafe (CLIP, or its text as a
 * request); unknown when none is unsafe but one failed.
 */
export function combineImageSignals(signals: ImageSignals): Verdict {
  const all = [signals.clip, ...(signals.imageText ? [signals.imageText] : [])];
  if (all.includes('unsafe')) return 'unsafe';
  if (all.includes('unknown')) return 'unknown';
  if (all.every((v) => v === 'skipped')) return 'skipped';
  return 'safe';
}

/** The names of the signals that said unsafe, for the result. */
export function firedSignals(signals: ImageSignals): ('clip' | 'image-text')[] {
  return [...(signals.clip === 'unsafe' ? ['clip' as const] : []), ...(signals.imageText === 'unsafe' ? ['image-text' as const] : [])];
}
