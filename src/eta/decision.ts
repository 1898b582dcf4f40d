// The ETA decision rule: align only when BOTH the response and the image are unsafe.
import type { UnknownVerdictTreatment } from './policy.ts';

/** `skipped`: not evaluated because the rule did not need it (reference order, safe response). */
export type Verdict = 'safe' | 'unsafe' | 'unknown' | 'skipped';
export type Decision = 'pass' | 'align';

export function imageVerdict(score: number, threshold: number): Verdict {
  return score >= threshold ? 'unsafe' : 'safe';
}

export function responseVerdict(reward: number, threshold: number): Verdict {
  return reward <= threshold ? 'unsafe' : 'safe';
}

/** Whether a verdict counts as unsafe once the policy has decided what `unknown` means. */
export function countsAsUnsafe(verdict: Verdict, unknownAs: UnknownVerdictTreatment): boolean {
  return verdict === 'unsafe' || (verdict === 'unknown' && unknownAs === 'unsafe');
}

export interface DecisionOutcome {
  decision: Decision;
  reason: string;
}

export function decide(image: Verdict, response: Verdict, unknownAs: UnknownVerdictTreatment): DecisionOutcome {
  const responseUnsafe = countsAsUnsafe(response, unknownAs);
  const imageUnsafe = countsAsUnsafe(image, unknownAs);
  const describe = (what: string, v: Verdict) => (v === 'unknown' ? `${what} unknown (counted as ${unknownAs})` : `${what} ${v}`);
  const reason = `${describe('response', response)}, ${describe('image', image)}`;
  return { decision: responseUnsafe && imageUnsafe ? 'align' : 'pass', reason };
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
