// ETA as one pipeline, checks in → decision out. evaluate(), respond() and the
// streaming gate all decide here, so the order (parallel or ETA's reference order),
// `unknownAs` and the image signals (CLIP, image text) mean the same on every path.
// Pure: the checks are injected, so it is tested without models.
import { type CheckError, asGuardError } from '../errors.ts';

export type { CheckError } from '../errors.ts';
import type { TextLine } from '../ocr/config.ts';
import type { RiskCategory } from '../risk-categories.ts';
import { type Decision, type UnsafeSide, type Verdict, combineImageSignals, countsAsUnsafe, decide, firedSignals, judgeScore } from './decision.ts';
import type { ResolvedPolicy } from './policy.ts';

/** What every check reports: its score against its threshold, the verdict, and its time. */
export interface Check {
  /** null when the check did not run (`skipped`) or failed (`unknown`, with `error`). */
  score: number | null;
  threshold: number;
  verdict: Verdict;
  /** Milliseconds the check took (0 when skipped). */
  ms: number;
  error?: CheckError;
}

/** ETA's pre-generation check: cosine(image, unsafe description). */
export interface ImageCheck extends Check {
  /** The image embedding came from the cache. */
  cached: boolean;
}

/** ETA's post-generation check: the reward of the answer (a generative guard's P(safe)). */
export interface ResponseCheck extends Check {
  /** Generative guards (Llama Guard): the category codes of an unsafe answer, and the risk categories they map to. */
  codes?: string[];
  categories?: RiskCategory[];
}

/** The text read from the image (OCR), scored as a request. */
export interface ImageTextCheck extends Check {
  text: string;
  lines: TextLine[];
}

export interface ImageSignals {
  /** The image verdict the decision used: CLIP and image text combined. */
  verdict: Verdict;
  /** Which signals said unsafe. */
  fired: ('clip' | 'image-text')[];
}

/** One image's checks and its verdict (CLIP and its text combined). */
export interface PerImage {
  image: ImageCheck;
  imageText?: ImageTextCheck;
  verdict: Verdict;
}

/** What the pipeline decided, and from what. */
export interface EtaOutcome {
  decision: Decision;
  reason: string;
  /** The most unsafe image's CLIP check (the only one with a single image). */
  image: ImageCheck;
  /** The most unsafe image text check, when image text is on. */
  imageText?: ImageTextCheck;
  /** Each image's checks, in the order given. */
  images: PerImage[];
  imageSignals: ImageSignals;
  responseCheck: ResponseCheck;
}

/** One image's scores. */
export interface ImageScorers {
  image(): Promise<{ score: number; cached: boolean }>;
  /** The image's text read and scored as a request; absent when image text is off. */
  imageText?(): Promise<{ text: string; lines: TextLine[]; score: number | null }>;
}

/** The scores the checks need, injected (the guard binds them to its evaluators): one ImageScorers per image. */
export interface Scorers {
  images: ImageScorers[];
  response(text: string): Promise<{ score: number; codes?: string[]; categories?: RiskCategory[] }>;
}

const since = (started: number) => performance.now() - started;
const errorOf = (error: unknown): CheckError => {
  const e = asGuardError(error, 'INFERENCE_FAILED', 'evaluator failed');
  return { code: e.code, message: e.message };
};

/**
 * A score against its threshold, as a check reports it: the one verdict rule
 * (decision.ts judgeScore); a score that is not a finite number is `unknown` with
 * MODEL_OUTPUT_INVALID, and the result carries null for it (NaN is not JSON).
 */
export function scoredCheck(score: unknown, threshold: number, side: UnsafeSide): Pick<Check, 'score' | 'threshold' | 'verdict' | 'error'> {
  const { verdict, why } = judgeScore(score, threshold, side);
  const finite = typeof score === 'number' && Number.isFinite(score) ? score : null;
  return { score: finite, threshold, verdict, ...(why ? { error: { code: 'MODEL_OUTPUT_INVALID', message: `Not judged: ${why}.` } } : {}) };
}

/** The image check, never throwing: a failure is `unknown` with its error. */
export async function checkImage(score: ImageScorers['image'], threshold: number): Promise<ImageCheck> {
  const started = performance.now();
  try {
    const { score: s, cached } = await score();
    return { ...scoredCheck(s, threshold, 'at-or-above'), cached, ms: since(started) };
  } catch (error) {
    return { score: null, threshold, verdict: 'unknown', cached: false, error: errorOf(error), ms: since(started) };
  }
}

/** The response check, never throwing: a failure is `unknown` with its error. */
export async function checkResponse(score: Scorers['response'], text: string, threshold: number): Promise<ResponseCheck> {
  const started = performance.now();
  try {
    const { score: s, codes, categories } = await score(text);
    return { ...scoredCheck(s, threshold, 'at-or-below'), ...(codes ? { codes, categories: categories ?? [] } : {}), ms: since(started) };
  } catch (error) {
    return { score: null, threshold, verdict: 'unknown', error: errorOf(error), ms: since(started) };
  }
}

/** The image-text check, never throwing: no text is `safe`; a failure is `unknown`. */
export async function checkImageText(read: NonNullable<ImageScorers['imageText']>, threshold: number): Promise<ImageTextCheck> {
  const started = performance.now();
  try {
    const { text, lines, score } = await read();
    if (score === null) return { text, lines, score: null, threshold, verdict: 'safe', ms: since(started) };
    return { text, lines, ...scoredCheck(score, threshold, 'at-or-below'), ms: since(started) };
  } catch (error) {
    return { text: '', lines: [], score: null, threshold, verdict: 'unknown', error: errorOf(error), ms: since(started) };
  }
}

type ImageResults = { image: ImageCheck; imageText?: ImageTextCheck; images: PerImage[] };

/** Rank of a verdict as evidence of harm: unsafe first, then unknown (fail closed), then the rest. */
const HARM: Record<Verdict, number> = { unsafe: 3, unknown: 2, safe: 1, skipped: 0 };

/** The most unsafe of several checks: the worst verdict, then the score furthest to the unsafe side. */
function mostUnsafe<C extends Check>(checks: C[], unsafer: (a: number, b: number) => boolean): C {
  return checks.reduce((worst, c) => {
    if (HARM[c.verdict] !== HARM[worst.verdict]) return HARM[c.verdict] > HARM[worst.verdict] ? c : worst;
    return c.score !== null && (worst.score === null || unsafer(c.score, worst.score)) ? c : worst;
  });
}

/**
 * The image checks of one call — every image, CLIP and image text — started once when
 * first needed: at once in `parallel` order (their latency hides behind the answer),
 * only for an unsafe answer in ETA's `reference` order.
 */
export class ImageChecks {
  readonly #scorers: Scorers;
  readonly #policy: ResolvedPolicy;
  #running: Promise<ImageResults> | null = null;

  constructor(scorers: Scorers, policy: ResolvedPolicy) {
    if (scorers.images.length === 0) throw new Error('ImageChecks needs at least one image');
    this.#scorers = scorers;
    this.#policy = policy;
    if (policy.order === 'parallel') this.start();
  }

  start(): Promise<ImageResults> {
    this.#running ??= (async () => {
      const { thresholds } = this.#policy;
      const images = await Promise.all(
        this.#scorers.images.map(async (scorers): Promise<PerImage> => {
          const [image, imageText] = await Promise.all([
            checkImage(scorers.image, thresholds.image),
            scorers.imageText ? checkImageText(scorers.imageText, thresholds.reward) : undefined,
          ]);
          return { image, ...(imageText ? { imageText } : {}), verdict: combineImageSignals({ clip: image.verdict, ...(imageText ? { imageText: imageText.verdict } : {}) }) };
        }),
      );
      const texts = images.flatMap((i) => (i.imageText ? [i.imageText] : []));
      return {
        image: mostUnsafe(images.map((i) => i.image), (a, b) => a > b),
        ...(texts.length ? { imageText: mostUnsafe(texts, (a, b) => a < b) } : {}),
        images,
      };
    })();
    return this.#running;
  }

  /** What the result shows when the rule did not need the images. */
  skipped(): ImageResults {
    const image = { score: null, threshold: this.#policy.thresholds.image, verdict: 'skipped' as const, cached: false, ms: 0 };
    return { image, images: this.#scorers.images.map(() => ({ image, verdict: 'skipped' as const })) };
  }
}

/** ETA's rule over one response check: the images are consulted as the policy's order says; the most unsafe counts. */
export async function decideEta(policy: ResolvedPolicy, responseCheck: ResponseCheck, images: ImageChecks): Promise<EtaOutcome> {
  const needed = policy.order === 'parallel' || countsAsUnsafe(responseCheck.verdict, policy.unknownAs);
  const checked = needed ? await images.start() : images.skipped();
  const signals = { clip: checked.image.verdict, ...(checked.imageText ? { imageText: checked.imageText.verdict } : {}) };
  const verdict = combineImageSignals(signals);
  const { decision, reason } = decide(verdict, responseCheck.verdict, policy.unknownAs, policy.rule);
  const which = checked.images.length > 1 && verdict !== 'skipped' ? ` (${checked.images.filter((i) => i.verdict === verdict).length} of ${checked.images.length} images ${verdict})` : '';
  return { decision, reason: reason + which, ...checked, imageSignals: { verdict, fired: firedSignals(signals) }, responseCheck };
}

/**
 * Whether the images alone settle the call: every image signal is in and, by the one
 * decision rule, even an unsafe answer would pass (ETA with safe images). Only then may
 * an answer reach the app unjudged. Images not checked (`skipped`) settle nothing.
 */
export function imagesSettle(policy: ResolvedPolicy, checked: Pick<EtaOutcome, 'images'>): boolean {
  const verdicts = checked.images.map((i) => i.verdict);
  if (verdicts.length === 0 || verdicts.includes('skipped')) return false;
  return verdicts.every((verdict) => decide(verdict, 'unsafe', policy.unknownAs, policy.rule).decision === 'pass');
}

/** The response check of a call the images settled: not scored, as the answer could not change the decision. */
export function settledResponse(policy: ResolvedPolicy): ResponseCheck {
  return { score: null, threshold: policy.thresholds.reward, verdict: 'skipped', ms: 0 };
}

/** The text read from all the images, one per paragraph (the risk report's text-in-image source). */
export function imageTextsOf(outcome: Pick<EtaOutcome, 'images'>): string | undefined {
  const texts = outcome.images.flatMap((i) => (i.imageText?.text.trim() ? [i.imageText.text] : []));
  return texts.length ? texts.join('\n\n') : undefined;
}

/** A policy with this call's overrides (evaluate/respond `thresholds`, `rule`). */
export function forCall(policy: ResolvedPolicy, thresholds: Partial<ResolvedPolicy['thresholds']> | undefined, rule?: ResolvedPolicy['rule']): ResolvedPolicy {
  if (rule !== undefined) policy = { ...policy, rule };
  if (!thresholds || Object.keys(thresholds).length === 0) return policy;
  return {
    ...policy,
    thresholds: { ...policy.thresholds, ...thresholds },
    thresholdSource: {
      image: thresholds.image !== undefined ? 'call' : policy.thresholdSource.image,
      reward: thresholds.reward !== undefined ? 'call' : policy.thresholdSource.reward,
    },
  };
}
