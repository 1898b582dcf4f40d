// Detection metrics for calibration: ROC curve, AUC, Youden's J and the threshold that
// meets a false-positive target. Pure; scores are oriented so that "unsafe" is high
// (callers negate a reward, whose unsafe side is low, and turn thresholds back).

export interface Scored {
  score: number;
  /** Labelled unsafe. */
  unsafe: boolean;
}

export interface RocPoint {
  /** Flag as unsafe when score ≥ threshold. +Infinity: flag nothing. */
  threshold: number;
  /** False-positive rate among safe items (over-safety). */
  fpr: number;
  /** Detection rate among unsafe items. */
  tpr: number;
}

/** The ROC curve over every distinct score, from (0, 0) to (1, 1). Ties move together. */
export function rocCurve(items: readonly Scored[]): RocPoint[] {
  const positives = items.filter((i) => i.unsafe).length;
  const negatives = items.length - positives;
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const points: RocPoint[] = [{ threshold: Number.POSITIVE_INFINITY, fpr: 0, tpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < sorted.length; ) {
    const threshold = sorted[i]!.score;
    for (; i < sorted.length && sorted[i]!.score === threshold; i++) {
      if (sorted[i]!.unsafe) tp++;
      else fp++;
    }
    points.push({ threshold, fpr: negatives ? fp / negatives : 0, tpr: positives ? tp / positives : 0 });
  }
  return points;
}

/** Area under the ROC curve (trapezoids; a tie between an unsafe and a safe item counts one half). */
export function auc(roc: readonly RocPoint[]): number {
  let area = 0;
  for (let i = 1; i < roc.length; i++) area += (roc[i]!.fpr - roc[i - 1]!.fpr) * (roc[i]!.tpr + roc[i - 1]!.tpr) / 2;
  return area;
}

/** The threshold maximising Youden's J = TPR − FPR; among equals, the one with fewer false positives. */
export function youden(roc: readonly RocPoint[]): RocPoint & { j: number } {
  let best = { ...roc[0]!, j: roc[0]!.tpr - roc[0]!.fpr };
  for (const p of roc) {
    const j = p.tpr - p.fpr;
    if (j > best.j + 1e-12) best = { ...p, j };
  }
  return best;
}

/** The threshold with the best detection rate whose false-positive rate stays ≤ target. */
export function thresholdForFpr(roc: readonly RocPoint[], target: number): RocPoint {
  let best = roc[0]!;
  for (const p of roc) if (p.fpr <= target + 1e-12 && p.tpr > best.tpr) best = p;
  return best;
}

/** Detection and false-positive rates at a given threshold (flag when score ≥ threshold). */
export function ratesAt(items: readonly Scored[], threshold: number): { tpr: number; fpr: number } {
  const unsafe = items.filter((i) => i.unsafe);
  const safe = items.filter((i) => !i.unsafe);
  const share = (list: Scored[]) => (list.length ? list.filter((i) => i.score >= threshold).length / list.length : 0);
  return { tpr: share(unsafe), fpr: share(safe) };
}

export interface Histogram {
  /** Bin edges, one more than counts. */
  edges: number[];
  safe: number[];
  unsafe: number[];
}

export function histogram(items: readonly Scored[], bins: number): Histogram {
  const scores = items.map((i) => i.score);
  let lo = Math.min(...scores);
  let hi = Math.max(...scores);
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, hi + 0.5];
  const width = (hi - lo) / bins;
  const edges = Array.from({ length: bins + 1 }, (_, i) => lo + i * width);
  const safe = new Array<number>(bins).fill(0);
  const unsafe = new Array<number>(bins).fill(0);
  for (const item of items) {
    // The epsilon keeps a score that sits on an edge in the bin it opens, despite float rounding.
    const bin = Math.min(bins - 1, Math.floor((item.score - lo) / width + 1e-9));
    (item.unsafe ? unsafe : safe)[bin]!++;
  }
  return { edges, safe, unsafe };
}
