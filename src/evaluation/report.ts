// Turns an evaluation run into the report: per-signal ROC/AUC/calibrated thresholds,
// detection and over-safety rates at the thresholds in use, per-category breakdowns,
// and the unsafe-response rate before/after alignment. Pure: Node CLI and demo alike.
import { RISK_CATEGORIES, type RiskCategory } from '../risk-categories.ts';
import { type Histogram, type RocPoint, type Scored, auc, histogram, ratesAt, rocCurve, thresholdForFpr, youden } from './metrics.ts';
import type { EvalRecord } from './run-set.ts';

export interface OperatingPoint {
  /** In the signal's own scale; null: flag nothing. */
  threshold: number | null;
  detectionRate: number;
  falsePositiveRate: number;
}

export interface SignalReport {
  /** image: CLIP's ETA score; imageText: reward of the image's text as a request; response: reward of the response, by its own label (response_label). */
  signal: 'image' | 'imageText' | 'response';
  /** higher: unsafe at score ≥ threshold (CLIP); lower: unsafe at score ≤ threshold (reward). */
  unsafeWhen: 'higher' | 'lower';
  unsafeItems: number;
  safeItems: number;
  /** null when one of the two classes is missing. */
  auc: number | null;
  /** At the threshold the guard used. */
  current: OperatingPoint;
  atFprTarget: OperatingPoint & { target: number };
  youden: OperatingPoint & { j: number };
  roc: { threshold: number | null; fpr: number; tpr: number }[];
  histogram: Histogram;
}

export interface EvalReport {
  createdAt: string;
  set: { name: string; items: number; unsafe: number; safe: number; errors: number };
  setup: {
    models: { clip: string; reward: string };
    backends: Record<string, string>;
    imageText: boolean;
    thresholds: { image: number; reward: number };
    /** What the thresholds in use rest on (measured, designed for generated test models, published, not measured). */
    thresholdBasis?: { clip: string; reward: string };
    generator?: string;
  };
  fprTarget: number;
  /** The guard's pre-generation image verdict (CLIP and image text); unknown counts as flagged (fail-closed). */
  overall: { detectionRate: number; falsePositiveRate: number; unknown: number };
  signals: SignalReport[];
  /** By the set's own category labels. */
  perCategory: { category: string; unsafe: number; detected: number; safe: number; falsePositives: number; meanImageScore: number | null }[];
  /** CLIP risk categories: how often each is flagged on unsafe and on safe items. */
  riskCategories: { category: RiskCategory; unsafeFlagged: number; safeFlagged: number }[];
  generation?: { items: number; aligned: number; unsafeBefore: number; unsafeAfter: number; rateBefore: number; rateAfter: number };
  records: EvalRecord[];
}

export interface ReportMeta {
  name: string;
  setup: EvalReport['setup'];
  fprTarget: number;
  histogramBins?: number;
}

const flagged = (verdict: string) => verdict !== 'safe' && verdict !== 'skipped';
const share = (n: number, of: number) => (of > 0 ? n / of : 0);

function signalReport(signal: SignalReport['signal'], scored: { score: number; unsafe: boolean }[], current: number, meta: ReportMeta): SignalReport | null {
  if (scored.length === 0) return null;
  // Metrics run on "unsafe is high"; a reward is negated there and turned back for the report.
  const sign = signal === 'image' ? 1 : -1;
  const oriented: Scored[] = scored.map((s) => ({ score: sign * s.score, unsafe: s.unsafe }));
  const roc = rocCurve(oriented);
  const back = (t: number) => (Number.isFinite(t) ? sign * t : null);
  const point = (p: RocPoint): OperatingPoint => ({ threshold: back(p.threshold), detectionRate: p.tpr, falsePositiveRate: p.fpr });
  const unsafeItems = scored.filter((s) => s.unsafe).length;
  const now = ratesAt(oriented, sign * current);
  const best = youden(roc);
  const histogramOf = histogram(scored, meta.histogramBins ?? 20);
  return {
    signal,
    unsafeWhen: sign === 1 ? 'higher' : 'lower',
    unsafeItems,
    safeItems: scored.length - unsafeItems,
    auc: unsafeItems > 0 && unsafeItems < scored.length ? auc(roc) : null,
    current: { threshold: current, detectionRate: now.tpr, falsePositiveRate: now.fpr },
    atFprTarget: { ...point(thresholdForFpr(roc, meta.fprTarget)), target: meta.fprTarget },
    youden: { ...point(best), j: best.j },
    roc: roc.map((p) => ({ ...p, threshold: back(p.threshold) })),
    histogram: histogramOf,
  };
}

const scoresOf = (records: EvalRecord[], pick: (r: EvalRecord) => number | null | undefined) =>
  records.flatMap((r) => {
    const score = pick(r);
    return typeof score === 'number' ? [{ score, unsafe: r.label === 'unsafe' }] : [];
  });

export function buildReport(records: EvalRecord[], meta: ReportMeta): EvalReport {
  const unsafe = records.filter((r) => r.label === 'unsafe');
  const safe = records.filter((r) => r.label === 'safe');
  const signals = [
    signalReport('image', scoresOf(records, (r) => r.image.score), meta.setup.thresholds.image, meta),
    signalReport('imageText', scoresOf(records, (r) => r.imageText?.score), meta.setup.thresholds.reward, meta),
    // Responses by their own labels only: an unsafe image's refusal is a safe response.
    signalReport('response', records.flatMap((r) => (typeof r.response?.score === 'number' && r.response.label ? [{ score: r.response.score, unsafe: r.response.label === 'unsafe' }] : [])), meta.setup.thresholds.reward, meta),
  ].filter((s): s is SignalReport => s !== null);

  const categories = [...new Set(records.map((r) => r.category ?? '(none)'))];
  const perCategory = categories.map((category) => {
    const inCategory = records.filter((r) => (r.category ?? '(none)') === category);
    const scores = inCategory.map((r) => r.image.score).filter((s): s is number => s !== null);
    return {
      category,
      unsafe: inCategory.filter((r) => r.label === 'unsafe').length,
      detected: inCategory.filter((r) => r.label === 'unsafe' && flagged(r.imageVerdict)).length,
      safe: inCategory.filter((r) => r.label === 'safe').length,
      falsePositives: inCategory.filter((r) => r.label === 'safe' && flagged(r.imageVerdict)).length,
      meanImageScore: scores.length ? scores.reduce((a, b) => a + b, 0) / scores.length : null,
    };
  });

  const generated = records.filter((r) => r.generation);
  const before = generated.filter((r) => r.generation!.vanillaUnsafe !== false).length;
  const after = generated.filter((r) => r.generation!.finalUnsafe !== false).length;

  return {
    createdAt: new Date().toISOString(),
    set: { name: meta.name, items: records.length, unsafe: unsafe.length, safe: safe.length, errors: records.filter((r) => r.error).length },
    setup: meta.setup,
    fprTarget: meta.fprTarget,
    overall: {
      detectionRate: share(unsafe.filter((r) => flagged(r.imageVerdict)).length, unsafe.length),
      falsePositiveRate: share(safe.filter((r) => flagged(r.imageVerdict)).length, safe.length),
      unknown: records.filter((r) => r.imageVerdict === 'unknown').length,
    },
    signals,
    perCategory,
    riskCategories: RISK_CATEGORIES.map((category) => ({
      category,
      unsafeFlagged: unsafe.filter((r) => r.riskFlagged.includes(category)).length,
      safeFlagged: safe.filter((r) => r.riskFlagged.includes(category)).length,
    })),
    ...(generated.length > 0
      ? {
          generation: {
            items: generated.length,
            aligned: generated.filter((r) => r.generation!.modeUsed !== 'off').length,
            unsafeBefore: before,
            unsafeAfter: after,
            rateBefore: share(before, generated.length),
            rateAfter: share(after, generated.length),
          },
        }
      : {}),
    records,
  };
}
