// Alignment parameters (docs/method.md, ETA), each overridable per guard and per request.
import type { SentenceRule } from './sentence-end.ts';

export interface ShallowConfig {
  /** Placed right after the assistant turn starts; stays in the output. */
  prefix: string;
  maxTokens: number;
  temperature: number;
}

export interface DeepConfig {
  /** Start the answer with the shallow prefix (ETA applies both). */
  prefix: string;
  /** N candidates per sentence. */
  candidates: number;
  topK: number;
  temperature: number;
  /** A sentence ends after this many new tokens at the latest. */
  sentenceMaxTokens: number;
  /** End marks: a sentence ends at one of these, as `sentenceRule` says. */
  sentenceEnd: string[];
  /**
   * `sentence` (default): at a mark followed by white space that closes no abbreviation ("3.5",
   * "e.g." go on); `token`: the reference's rule, at the first token containing a mark (eta-paper).
   * The answer gate splits streamed answers by the same rule.
   */
  sentenceRule: SentenceRule;
  /** Stop once the answer has this many tokens. */
  maxTotalTokens: number;
  /** α in reward + (α/i)·CLIP (the reference's accept_check: 1). */
  clipWeight: number;
  /**
   * The instruction candidates are scored under (the user turn before the answer); default:
   * the guard's reward instruction. The eta-paper preset sets the reference's (its deep
   * scoring calls from_token_to_reward with that function's default prompt, not --rm_prompt).
   */
  rewardInstruction?: string;
  /**
   * Stop once this many requests went to the VLM (ours, not the method's: a server that
   * ends sentences every token or two would otherwise draw one round per sentence up to
   * the token cap — over a hundred requests for one answer).
   */
  maxRequests: number;
}

export interface AlignmentConfig {
  /** The vanilla answer: greedy, ≤ 1024 new tokens. */
  vanilla: { maxTokens: number; temperature: number };
  shallow: ShallowConfig;
  deep: DeepConfig;
  /** `auto` mode goes deep when both scores are this far past their thresholds. */
  autoDeep: { imageMargin: number; rewardMargin: number };
  /**
   * What the app gets when the aligned answer is itself judged unsafe (or unknown, counted
   * unsafe): a fixed refusal in our words, never the model's text (the method stops at the
   * aligned text; we check it once more before it ships).
   */
  fallback: string;
}

export const ETA_SAFETY_PREFIX = 'As an AI assistant';

export const ALIGNMENT_DEFAULTS: AlignmentConfig = {
  vanilla: { maxTokens: 1024, temperature: 0 },
  shallow: { prefix: ETA_SAFETY_PREFIX, maxTokens: 1024, temperature: 0 },
  deep: {
    prefix: ETA_SAFETY_PREFIX,
    candidates: 5,
    topK: 5,
    temperature: 1.5,
    sentenceMaxTokens: 70,
    sentenceEnd: ['.'],
    sentenceRule: 'sentence',
    maxTotalTokens: 1025,
    clipWeight: 1,
    maxRequests: 64,
  },
  autoDeep: { imageMargin: 0.05, rewardMargin: 0.5 },
  fallback: "I can't help with this request. If there is something else about the image you'd like to know, I'm happy to help.",
};

type DeepPartial<T> = { [K in keyof T]?: T[K] extends unknown[] ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K] };
/** One call's overrides (validated by AlignmentOverridesSchema: a key given holds a value). */
export type AlignmentOverrides = DeepPartial<AlignmentConfig>;

export function mergeAlignment(base: AlignmentConfig, ...overrides: (AlignmentOverrides | undefined)[]): AlignmentConfig {
  return overrides.reduce<AlignmentConfig>(
    (acc, o) => ({
      vanilla: { ...acc.vanilla, ...o?.vanilla },
      shallow: { ...acc.shallow, ...o?.shallow },
      deep: { ...acc.deep, ...o?.deep },
      autoDeep: { ...acc.autoDeep, ...o?.autoDeep },
      fallback: o?.fallback ?? acc.fallback,
    }),
    base,
  );
}
