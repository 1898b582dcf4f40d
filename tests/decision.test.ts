import { describe, expect, it } from 'vitest';
import { type Verdict, countsAsUnsafe, decide, judgeScore } from '../src/eta/decision.ts';

describe('ETA decision rule', () => {
  it('aligns when image and answer are both unsafe', () => {
    expect(decide('unsafe', 'unsafe', 'unsafe').decision).toBe('align');
  });

  it.each<[Verdict, Verdict]>([
    ['safe', 'unsafe'],
    ['unsafe', 'safe'],
    ['safe', 'safe'],
    ['skipped', 'safe'],
  ])('passes when image is %s and response is %s', (image, response) => {
    expect(decide(image, response, 'unsafe').decision).toBe('pass');
  });

  it('counts an unknown verdict as the policy says (fail closed by default)', () => {
    expect(decide('unknown', 'unsafe', 'unsafe').decision).toBe('align');
    expect(decide('unsafe', 'unknown', 'unsafe').decision).toBe('align');
    expect(decide('unknown', 'unsafe', 'safe').decision).toBe('pass');
    expect(decide('unknown', 'unsafe', 'unsafe').reason).toContain('image unknown (counted as unsafe)');
    expect(countsAsUnsafe('skipped', 'unsafe')).toBe(false);
  });

  it('uses ETA threshold directions: image unsafe at ≥, reward unsafe at ≤', () => {
    expect(judgeScore(0.16, 0.16, 'at-or-above').verdict).toBe('unsafe');
    expect(judgeScore(0.1599, 0.16, 'at-or-above').verdict).toBe('safe');
    expect(judgeScore(0.06, 0.06, 'at-or-below').verdict).toBe('unsafe');
    expect(judgeScore(0.0601, 0.06, 'at-or-below').verdict).toBe('safe');
  });
});

describe('image signals (CLIP and the text read from the image)', () => {
  it('count the image unsafe when either says unsafe, and say which fired', async () => {
    const { combineImageSignals, firedSignals } = await import('../src/eta/decision.ts');
    expect(combineImageSignals({ clip: 'safe', imageText: 'unsafe' })).toBe('unsafe');
    expect(combineImageSignals({ clip: 'unsafe', imageText: 'safe' })).toBe('unsafe');
    expect(combineImageSignals({ clip: 'safe', imageText: 'safe' })).toBe('safe');
    expect(combineImageSignals({ clip: 'safe', imageText: 'unknown' })).toBe('unknown');
    expect(combineImageSignals({ clip: 'safe' })).toBe('safe');
    expect(combineImageSignals({ clip: 'skipped' })).toBe('skipped');
    expect(firedSignals({ clip: 'unsafe', imageText: 'unsafe' })).toEqual(['clip', 'image-text']);
    expect(firedSignals({ clip: 'safe', imageText: 'unsafe' })).toEqual(['image-text']);
  });
});
