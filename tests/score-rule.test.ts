// Evaluator kinds' score math against hand-computed values.
import { describe, expect, it } from 'vitest';
import { guardCategories, guardScore, scoreFromLogits } from '../src/runtime/score-rule.ts';

const LABELS = ['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate'];

describe('scoreFromLogits', () => {
  it('reads a reward logit', () => {
    expect(scoreFromLogits([-2.5], { from: 'logit', index: 0 }, [])).toBe(-2.5);
    expect(scoreFromLogits([0.1, 4], { from: 'logit', index: 1 }, [])).toBe(4);
    expect(() => scoreFromLogits([1], { from: 'logit', index: 1 }, [])).toThrow(/reads logit 1, the model has 1/);
  });

  it('multi-label: 1 − the most probable unsafe label (sigmoid)', () => {
    // sigmoid(0) = 0.5, sigmoid(ln 3) = 0.75, sigmoid(−ln 3) = 0.25
    const row = [0, -10, -10, Math.log(3), -Math.log(3), -10];
    expect(scoreFromLogits(row, { from: 'labels', activation: 'sigmoid', unsafe: LABELS, combine: 'max' }, LABELS)).toBeCloseTo(0.25, 12);
    expect(scoreFromLogits(row, { from: 'labels', activation: 'sigmoid', unsafe: ['insult'], combine: 'max' }, LABELS)).toBeCloseTo(0.75, 12);
    expect(scoreFromLogits(row, { from: 'labels', activation: 'sigmoid', unsafe: ['toxic', 'insult'], combine: 'sum' }, LABELS)).toBeCloseTo(0.25, 12);
    expect(scoreFromLogits(row, { from: 'labels', activation: 'sigmoid', unsafe: ['toxic', 'threat'], combine: 'sum' }, LABELS)).toBe(0);
  });

  it('multi-class: softmax', () => {
    // softmax([ln 1, ln 3]) = [0.25, 0.75]
    expect(scoreFromLogits([0, Math.log(3)], { from: 'labels', activation: 'softmax', unsafe: ['unsafe'], combine: 'max' }, ['safe', 'unsafe'])).toBeCloseTo(0.25, 12);
    expect(() => scoreFromLogits([0, 1], { from: 'labels', activation: 'softmax', unsafe: ['toxic'], combine: 'max' }, ['safe', 'unsafe'])).toThrow(/names label "toxic"/);
  });
});

describe('guard-generative', () => {
  it('P(safe) renormalised over the two verdict tokens', () => {
    const logits = new Float32Array(10).fill(5); // other tokens' mass does not count
    logits[3] = 2;
    logits[7] = 2 + Math.log(3); // unsafe three times as likely as safe
    expect(guardScore(logits, 3, 7)).toBeCloseTo(0.25, 6);
  });

  it('maps category codes to risk categories', () => {
    const map = { S1: 'violence', S2: 'illegal-activities', S9: 'violence', S10: 'discrimination' } as const;
    expect(guardCategories('unsafe\nS9,S1', map)).toEqual({ codes: ['S9', 'S1'], categories: ['violence'] });
    expect(guardCategories(' unsafe s10 s2 s99', map)).toEqual({ codes: ['S10', 'S2'], categories: ['discrimination', 'illegal-activities'] });
    expect(guardCategories('safe', map)).toEqual({ codes: [], categories: [] });
  });
});
