// Runs a guard over a labelled set in the page (the eval CLI's Chromium page and the
// demo's calibration both use it): each image's scores, verdicts and CLIP risk
// categories, and with a generator the answer before and after alignment.
import type { Verdict } from '../eta/decision.ts';
import { type CheckError, asGuardError } from '../errors.ts';
import type { Generator } from '../generators/types.ts';
import type { Guard } from '../guard.ts';
import type { RiskCategory } from '../risk-categories.ts';
import type { EvalItem } from './labels.ts';

export interface EvalRecord {
  file: string;
  label: 'unsafe' | 'safe';
  category?: string;
  /** CLIP: cosine(image, unsafe description). */
  image: { score: number | null; verdict: Verdict };
  /** The text read from the image, scored as a request (when OCR is on). */
  imageText?: { text: string; score: number | null; verdict: Verdict };
  /** The guard's pre-generation image verdict (CLIP and image text combined). */
  imageVerdict: Verdict;
  /** Reward of the set's response, when it has one; `label`: the response's own label, when given. */
  response?: { score: number | null; verdict: Verdict; label?: 'unsafe' | 'safe' };
  /** CLIP risk categories flagged. */
  riskFlagged: RiskCategory[];
  /** With a generator and a question: is the answer unsafe (reward model) before and after alignment? */
  generation?: { modeUsed: 'off' | 'shallow' | 'deep'; vanillaUnsafe: boolean | null; finalUnsafe: boolean | null; vanilla: string; text: string };
  error?: CheckError;
  ms: number;
}

export interface RunOptions {
  /** The image bytes of a listed file. */
  loadImage(file: string): Promise<Blob>;
  /** Generates answers to the questions (unsafe-response rate before/after alignment). */
  generator?: Generator;
  alignment?: 'shallow' | 'deep';
  onRecord?(record: EvalRecord, done: number, total: number): void;
  signal?: AbortSignal;
}

const unsafeOf = (verdict: Verdict | undefined) => (verdict === 'unsafe' ? true : verdict === 'safe' ? false : null);

async function evaluateItem(guard: Guard, item: EvalItem, options: RunOptions): Promise<EvalRecord> {
  const started = performance.now();
  const base = { file: item.file, label: item.label, ...(item.category ? { category: item.category } : {}) } as const;
  try {
    const image = await options.loadImage(item.file);
    const result = await guard.evaluate(
      { image, response: item.response ?? '', ...(item.question ? { prompt: item.question } : {}) },
      { riskReport: 'clip' },
    );
    const record: EvalRecord = {
      ...base,
      image: { score: result.image.score, verdict: result.image.verdict },
      ...(result.imageText ? { imageText: { text: result.imageText.text, score: result.imageText.score, verdict: result.imageText.verdict } } : {}),
      imageVerdict: result.imageSignals.verdict,
      ...(item.response !== undefined
        ? { response: { score: result.responseCheck.score, verdict: result.responseCheck.verdict, ...(item.response_label ? { label: item.response_label } : {}) } }
        : {}),
      riskFlagged: result.risk?.clip?.flagged ?? [],
      ms: 0,
    };
    if (options.generator && item.question) {
      const answer = await guard.respond(
        { image, prompt: item.question },
        { generator: options.generator, mode: options.alignment ?? 'shallow', riskReport: 'off', ...(options.signal ? { signal: options.signal } : {}) },
      );
      record.generation = {
        modeUsed: answer.modeUsed,
        vanillaUnsafe: unsafeOf(answer.responseCheck.verdict),
        finalUnsafe: unsafeOf((answer.alignedCheck ?? answer.responseCheck).verdict),
        vanilla: answer.vanilla,
        text: answer.text,
      };
    }
    return { ...record, ms: performance.now() - started };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    const e = asGuardError(error, 'INFERENCE_FAILED', `evaluating ${item.file}`);
    return {
      ...base,
      image: { score: null, verdict: 'unknown' },
      imageVerdict: 'unknown',
      riskFlagged: [],
      error: { code: e.code, message: e.message },
      ms: performance.now() - started,
    };
  }
}

/** One item at a time (the workers are busy with each); a failing item is recorded, not thrown. */
export async function runEvaluation(guard: Guard, items: readonly EvalItem[], options: RunOptions): Promise<EvalRecord[]> {
  const records: EvalRecord[] = [];
  for (const item of items) {
    if (options.signal?.aborted) throw asGuardError(options.signal.reason, 'ABORTED', 'evaluation aborted');
    const record = await evaluateItem(guard, item, options);
    records.push(record);
    options.onRecord?.(record, records.length, items.length);
  }
  return records;
}
