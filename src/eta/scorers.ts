// ETA's scores from the runtime's evaluators, for the pipeline (one call's image
// bound in), and `guard.checks`: each check alone, through the guard's gate.
import { GuardError } from '../errors.ts';
import type { ImageInput, ImageSource } from '../images/image-input.ts';
import type { Backend } from '../runtime/contracts.ts';
import type { EvaluatorRuntime } from '../runtime/evaluator-runtime.ts';
import type { ImageTextReading } from '../runtime/evaluators/ocr-evaluator.ts';
import { type ImageCheck, type ImageScorers, type ResponseCheck, type Scorers, scoredCheck } from './pipeline.ts';
import type { ResolvedPolicy } from './policy.ts';

/** The response's score: a generative guard's P(safe) with its categories, else the reward. */
function scoreResponse(runtime: EvaluatorRuntime, text: string): ReturnType<Scorers['response']> {
  return runtime.models.reward.entry.kind === 'guard-generative' ? runtime.reward.assess(text) : runtime.reward.score(text);
}

/** One image's scorers — or those of an image that could not be fetched (`GuardError`): its checks then fail, and are `unknown` for the policy to decide. */
function imageScorers(runtime: EvaluatorRuntime, image: ImageSource | GuardError): ImageScorers {
  const { ocr } = runtime;
  if (image instanceof GuardError) return { image: () => Promise.reject(image), ...(ocr ? { imageText: () => Promise.reject(image) } : {}) };
  return {
    image: () => runtime.clip.imageScore(image),
    ...(ocr
      ? {
          imageText: async () => {
            const reading = await ocr.read(image);
            if (!reading.text.trim()) return { text: '', lines: [], score: null };
            const { score } = await runtime.reward.score(reading.text, 'request');
            return { text: reading.text, lines: reading.lines, score };
          },
        }
      : {}),
  };
}

/** The scorers of one call about its images (each judged on its own). */
export function runtimeScorers(runtime: EvaluatorRuntime, images: readonly (ImageSource | GuardError)[]): Scorers {
  return { images: images.map((image) => imageScorers(runtime, image)), response: (text) => scoreResponse(runtime, text) };
}

const notString = (where: string, what: string, value: unknown) =>
  typeof value === 'string' ? null : new GuardError('INPUT_INVALID', `${where}: ${what} must be a string, got ${typeof value}.`);

/**
 * ETA's checks one at a time (`guard.checks`). Unlike evaluate(), a check that cannot
 * run throws its GuardError: a lone score has no decision to fall back on.
 */
export class SingleChecks {
  readonly #runtime: EvaluatorRuntime;
  readonly #policy: ResolvedPolicy;

  constructor(runtime: EvaluatorRuntime, policy: ResolvedPolicy) {
    this.#runtime = runtime;
    this.#policy = policy;
  }

  /** ETA's pre-generation check: cosine(image, unsafe description) against the threshold. */
  image(image: ImageInput, options: { signal?: AbortSignal } = {}): Promise<ImageCheck & { timings: { decodeMs: number; embedMs: number } }> {
    return this.#runtime.calls.run('checks.image()', async (signal) => {
      const started = performance.now();
      const threshold = this.#policy.thresholds.image;
      const { score, cached, timings } = await this.#runtime.clip.imageScore(await this.#runtime.fetchImage(image, signal));
      return { ...scoredCheck(score, threshold, 'at-or-above'), cached, ms: performance.now() - started, timings };
    }, options.signal);
  }

  /** ETA's post-generation check: the reward of the answer alone against the threshold. */
  response(response: string, options: { signal?: AbortSignal } = {}): Promise<ResponseCheck> {
    const invalid = notString('checks.response()', 'response', response);
    if (invalid) return Promise.reject(invalid);
    return this.#runtime.calls.run('checks.response()', async () => {
      const started = performance.now();
      const threshold = this.#policy.thresholds.reward;
      const { score, codes, categories } = await scoreResponse(this.#runtime, response);
      return { ...scoredCheck(score, threshold, 'at-or-below'), ...(codes ? { codes, categories: categories ?? [] } : {}), ms: performance.now() - started };
    }, options.signal);
  }

  /** Reads the text in an image (PP-OCRv4): lines with confidence and boxes, timings, backend. */
  imageText(image: ImageInput, options: { signal?: AbortSignal } = {}): Promise<ImageTextReading & { backend: Backend }> {
    const { ocr, models } = this.#runtime;
    if (!ocr) {
      const why = models.imageText.reason ?? `imageText: "${models.imageText.mode}"`;
      return Promise.reject(new GuardError('OPTIONS_INVALID', `Image text is not active (${why}); create the guard with imageText: 'on' or 'auto'.`));
    }
    return this.#runtime.calls.run('checks.imageText()', async (signal) => ({ ...(await ocr.read(await this.#runtime.fetchImage(image, signal))), backend: ocr.backend ?? 'wasm' }), options.signal);
  }

  /** cosine(image, text) with the guard's CLIP (deep alignment's per-sentence image term). */
  similarity(image: ImageInput, text: string, options: { signal?: AbortSignal } = {}): Promise<number> {
    const invalid = notString('checks.similarity()', 'text', text);
    if (invalid) return Promise.reject(invalid);
    return this.#runtime.calls.run('checks.similarity()', async (signal) => (await this.#runtime.clip.textImageScore(await this.#runtime.fetchImage(image, signal), text)).score, options.signal);
  }
}
