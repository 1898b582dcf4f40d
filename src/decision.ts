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
