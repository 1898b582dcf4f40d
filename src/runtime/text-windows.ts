// Long texts are judged whole, in overlapping windows of tokens: a model reads at most
// so many tokens, and an unsafe sentence past that limit must not go unread. Each
// window is framed like a whole text (instruction, chat template, end tokens), and the
// text's score is its most unsafe window's.

export interface WindowOptions {
  /** Content tokens per window; default: as many as the model takes once the framing is counted. */
  tokens?: number;
  /** Tokens between window starts; default: half a window (each token is read twice). */
  stride?: number;
  /** More windows than this and the text is not scored (its check is `unknown`): a bound on work. */
  maxWindows: number;
}

/** The defaults: windows as large as the model takes, half-overlapping, at most 32 per text. */
export const WINDOW_DEFAULTS = { maxWindows: 32 } as const;

/**
 * [start, end) token spans covering 0..length: windows of `size` every `stride`, the last
 * one ending at `length` (so the end of the text is always read with full context).
 */
export function windowSpans(length: number, size: number, stride: number): [number, number][] {
  if (size < 1 || stride < 1) throw new RangeError(`window size ${size} and stride ${stride} must be at least 1`);
  if (length <= size) return [[0, length]];
  const spans: [number, number][] = [];
  for (let start = 0; start + size < length; start += stride) spans.push([start, start + size]);
  spans.push([length - size, length]);
  return spans;
}

/** A window size that fits the model: the asked one, at most what is left after the framing. */
export function windowSize(maxTokens: number, framingTokens: number, asked: number | undefined): number {
  // A few tokens of slack: a window's text may tokenize a little longer once framed.
  const room = Math.max(1, maxTokens - framingTokens - 8);
  return asked === undefined ? room : Math.max(1, Math.min(asked, room));
}
