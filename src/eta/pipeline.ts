// ETA as one pipeline, checks in → decision out. evaluate(), respond() and the
// streaming gate all decide here, so the order (parallel or ETA's reference order),
// `unknownAs` and the image signals (CLIP, image text) mean the same on every path.
// Pure: the checks are injected, so it is tested without models.
import { type CheckError, asGuardError } from '../errors.ts';

export type { CheckError } from '../errors.ts';
import type { TextLine } from '../ocr/config.ts';
import type { RiskCategory } from '../risk-categories.ts';
import { type Decision, type Verdict, combineImageSignals, countsAsUnsafe, decide, firedSignals, imageVerdict, responseVerdict } from './decision.ts';
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

/** What the pipeline decided, and from what. */
export interface EtaOutcome {
  decision: Decision;
  reason: string;
  image: ImageCheck;
  imageText?: ImageTextCheck;
  imageSignals: ImageSignals;
  responseCheck: ResponseCheck;
}

/** The scores the checks need, injected (the guard binds them to its evaluators). */
export interface Scorers {
  image(): Promise<{ score: number; cached: boolean }>;
  response(text: string): Promise<{ score: number; codes?: string[]; categories?: RiskCategory[] }>;
  /** The image's text read and scored as a request; absent when image text is off. */
  imageText?(): Promise<{ text: string; lines: TextLine[]; score: number | null }>;
}

const since = (started: number) => performance.now() - started;
const errorOf = (error: unknown): CheckError => {
  const e = asGuardError(error, 'INFERENCE_FAILED', 'evaluator failed');
  return { code: e.code, message: e.message };
};

/** The image check, never throwing: a failure is `unknown` with its error. */
export async function checkImage(score: Scorers['image'], threshold: number): Promise<ImageCheck> {
  const started = performance.now();
  try {
    const { score: s, cached } = await score();
    return { score: s, threshold, verdict: imageVerdict(s, threshold), cached, ms: since(started) };
  } catch (error) {
    return { score: null, threshold, verdict: 'unknown', cached: false, error: errorOf(error), ms: since(started) };
  }
}

/** The response check, never throwing: a failure is `unknown` with its error. */
export async function checkResponse(score: Scorers['response'], text: string, threshold: number): Promise<ResponseCheck> {
  const started = performance.now();
  try {
    const { score: s, codes, categories } = await score(text);
    return { score: s, threshold, verdict: responseVerdict(s, threshold), ...(codes ? { codes, categories: categories ?? [] } : {}), ms: since(started) };
  } catch (error) {
    return { score: null, threshold, verdict: 'unknown', error: errorOf(error), ms: since(started) };
  }
}

/** The image-text check, never throwing: no text is `safe`; a failure is `unknown`. */
export async function checkImageText(read: NonNullable<Scorers['imageText']>, threshold: number): Promise<ImageTextCheck> {
  const started = performance.now();
  try {
    const { text, lines, score } = await read();
    if (score === null) return { text, lines, score: null, threshold, verdict: 'safe', ms: since(started) };
    return { text, lines, score, threshold, verdict: responseVerdict(score, threshold), ms: since(started) };
  } catch (error) {
    return { text: '', lines: [], score: null, threshold, verdict: 'unknown', error: errorOf(error), ms: since(started) };
  }
}

/**
 * The image checks of one call, started once when first needed: at once in `parallel`
 * order (their latency hides behind the answer), only for an unsafe answer in ETA's
 * `reference` order.
 */
export class ImageChecks {
  readonly #scorers: Scorers;
  readonly #policy: ResolvedPolicy;
  #running: Promise<{ image: ImageCheck; imageText?: ImageTextCheck }> | null = null;

  constructor(scorers: Scorers, policy: ResolvedPolicy) {
    this.#scorers = scorers;
    this.#policy = policy;
    if (policy.order === 'parallel') this.start();
  }

  start(): Promise<{ image: ImageCheck; imageText?: ImageTextCheck }> {
    this.#running ??= (async () => {
      const { thresholds } = this.#policy;
      const [image, imageText] = await Promise.all([
        checkImage(this.#scorers.image, thresholds.image),
        this.#scorers.imageText ? checkImageText(this.#scorers.imageText, thresholds.reward) : undefined,
      ]);
      return { image, ...(imageText ? { imageText } : {}) };
    })();
    return this.#running;
  }
}

/** ETA's rule over one response check: the image is consulted as the policy's order says. */
export async function decideEta(policy: ResolvedPolicy, responseCheck: ResponseCheck, images: ImageChecks): Promise<EtaOutcome> {
  const needed = policy.order === 'parallel' || countsAsUnsafe(responseCheck.verdict, policy.unknownAs);
  const checked = needed
    ? await images.start()
    : { image: { score: null, threshold: policy.thresholds.image, verdict: 'skipped' as const, cached: false, ms: 0 } };
  const signals = { clip: checked.image.verdict, ...(checked.imageText ? { imageText: checked.imageText.verdict } : {}) };
  const verdict = combineImageSignals(signals);
  const { decision, reason } = decide(verdict, responseCheck.verdict, policy.unknownAs);
  return { decision, reason, ...checked, imageSignals: { verdict, fired: firedSignals(signals) }, responseCheck };
}

/** A policy with this call's threshold overrides (evaluate/respond `thresholds`). */
export function withThresholds(policy: ResolvedPolicy, thresholds: Partial<ResolvedPolicy['thresholds']> | undefined): ResolvedPolicy {
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
