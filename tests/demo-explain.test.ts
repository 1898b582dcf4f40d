// The demo's decision sentence: every combination of verdicts says why ETA passes or aligns.
import { describe, expect, it } from 'vitest';
import { explainDecision } from '../src/demo/explain.ts';

describe('demo decision explanation', () => {
  it('an unsafe answer beside a safe image passes, flagged, with why', () => {
    expect(explainDecision('pass', { response: 'unsafe', image: 'safe' }, 'unsafe')).toEqual({
      text: 'pass: the answer is unsafe but the image is safe, and ETA aligns only when both are unsafe.',
      tone: 'pass-flagged',
    });
    expect(explainDecision('pass', { response: 'safe', image: 'unsafe' }, 'unsafe').tone).toBe('pass-flagged');
    expect(explainDecision('align', { response: 'unsafe', image: 'unsafe', imageBy: ['image-text'] }, 'unsafe').text).toBe(
      'align: the answer is unsafe and the image is unsafe (by the text in it); ETA aligns an answer when both are unsafe.',
    );
  });

  it('says plainly when nothing is unsafe, and when a check was skipped', () => {
    expect(explainDecision('pass', { response: 'safe', image: 'safe' }, 'unsafe')).toEqual({ text: 'pass: the answer is safe and the image is safe.', tone: 'pass' });
    expect(explainDecision('pass', { response: 'safe', image: 'skipped' }, 'unsafe').text).toBe('pass: the answer is safe and the image was not scored (the rule did not need it).');
  });

  it('an unknown says it could not be scored and how the policy counts it (fail closed: unsafe)', () => {
    expect(explainDecision('align', { response: 'unsafe', image: 'unknown' }, 'unsafe')).toEqual({
      text: 'align: the answer is unsafe and the image could not be scored (counted as unsafe); ETA aligns an answer when both are unsafe.',
      tone: 'align',
    });
    expect(explainDecision('pass', { response: 'unknown', image: 'safe' }, 'safe')).toEqual({ text: 'pass: the answer could not be scored (counted as safe) and the image is safe.', tone: 'pass' });
  });
});
