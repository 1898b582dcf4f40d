// ETA's decision in neutral words for the demo: what each check said and why that
// makes a pass or an alignment (an unsafe answer beside a safe image passes by design).
import type { UnknownVerdictTreatment, Verdict } from '../index.ts';

export interface Explained {
  text: string;
  /** pass: nothing unsafe; pass-flagged: one side unsafe, so ETA passes it; align. */
  tone: 'pass' | 'pass-flagged' | 'align';
}

/** `imageBy`: the image signals that found it unsafe (CLIP, the text read from it). */
export function explainDecision(
  decision: 'pass' | 'align',
  verdicts: { response: Verdict; image: Verdict; imageBy?: readonly ('clip' | 'image-text')[] },
  unknownAs: UnknownVerdictTreatment,
): Explained {
  const said = (what: string, v: Verdict) =>
    v === 'unknown' ? `${what} could not be scored (counted as ${unknownAs})` : v === 'skipped' ? `${what} was not scored (the rule did not need it)` : `${what} is ${v}`;
  const answer = said('the answer', verdicts.response);
  const byText = verdicts.image === 'unsafe' && verdicts.imageBy?.includes('image-text') && !verdicts.imageBy.includes('clip');
  const image = said('the image', verdicts.image) + (byText ? ' (by the text in it)' : '');
  if (decision === 'align') return { text: `align: ${answer} and ${image}; ETA aligns an answer when both are unsafe.`, tone: 'align' };
  const flagged = [verdicts.response, verdicts.image].some((v) => v === 'unsafe' || (v === 'unknown' && unknownAs === 'unsafe'));
  return flagged
    ? { text: `pass: ${answer} but ${image}, and ETA aligns only when both are unsafe.`, tone: 'pass-flagged' }
    : { text: `pass: ${answer} and ${image}.`, tone: 'pass' };
}
