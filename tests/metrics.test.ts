// Calibration metrics against values worked out by hand.
import { describe, expect, it } from 'vitest';
import { auc, histogram, ratesAt, rocCurve, thresholdForFpr, youden } from '../src/evaluation/metrics.ts';

// Unsafe 0.9, 0.8, 0.4; safe 0.7, 0.3, 0.2.
const items = [
  { score: 0.9, unsafe: true },
  { score: 0.3, unsafe: false },
  { score: 0.8, unsafe: true },
  { score: 0.7, unsafe: false },
  { score: 0.4, unsafe: true },
  { score: 0.2, unsafe: false },
];

describe('ROC metrics', () => {
  it('traces the ROC curve over distinct scores', () => {
    const third = 1 / 3;
    expect(rocCurve(items).map((p) => [p.threshold, p.fpr, p.tpr])).toEqual([
      [Infinity, 0, 0],
      [0.9, 0, third],
      [0.8, 0, 2 * third],
      [0.7, third, 2 * third],
      [0.4, third, 1],
      [0.3, 2 * third, 1],
      [0.2, 1, 1],
    ]);
  });

  it('AUC = share of (unsafe, safe) pairs ranked right: 8/9', () => {
    expect(auc(rocCurve(items))).toBeCloseTo(8 / 9, 12);
  });

  it('counts a tie as one half', () => {
    const tied = [{ score: 0.5, unsafe: true }, { score: 0.5, unsafe: false }, { score: 0.9, unsafe: true }, { score: 0.1, unsafe: false }];
    // Pairs: 0.9>0.5, 0.9>0.1, 0.5=0.5 (½), 0.5>0.1 → 3.5/4.
    expect(auc(rocCurve(tied))).toBeCloseTo(3.5 / 4, 12);
  });

  it("Youden's J: 0.8 and 0.4 both give 2/3; the one with no false positives wins", () => {
    expect(youden(rocCurve(items))).toMatchObject({ threshold: 0.8, tpr: 2 / 3, fpr: 0 });
    expect(youden(rocCurve(items)).j).toBeCloseTo(2 / 3, 12);
  });

  it('threshold for a false-positive target', () => {
    const roc = rocCurve(items);
    expect(thresholdForFpr(roc, 0).threshold).toBe(0.8);
    expect(thresholdForFpr(roc, 0.34)).toMatchObject({ threshold: 0.4, tpr: 1 });
    expect(thresholdForFpr(roc, 1).threshold).toBe(0.4); // full detection is reached first at 0.4
  });

  it('rates at a fixed threshold', () => {
    expect(ratesAt(items, 0.5)).toEqual({ tpr: 2 / 3, fpr: 1 / 3 });
    expect(ratesAt(items, 0.95)).toEqual({ tpr: 0, fpr: 0 });
  });

  it('histograms per label', () => {
    const h = histogram(items, 7);
    expect(h.edges[0]).toBeCloseTo(0.2);
    expect(h.edges[7]).toBeCloseTo(0.9);
    expect(h.unsafe.reduce((a, b) => a + b)).toBe(3);
    expect(h.safe).toEqual([1, 1, 0, 0, 0, 1, 0]);
    expect(h.unsafe).toEqual([0, 0, 1, 0, 0, 0, 2]);
  });
});
