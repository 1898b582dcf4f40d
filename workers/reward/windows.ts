// A text as the windows the reward model reads (src/runtime/text-windows.ts): its
// content tokens cut into overlapping spans, each decoded back to text so the scorer
// frames it like a whole answer. A text longer than the bound is refused (TOO_LONG):
// its check is then `unknown`, never `safe`.
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { GuardError } from '../../src/errors.ts';
import { type WindowOptions, windowSize, windowSpans } from '../../src/runtime/text-windows.ts';

export interface Windowing {
  /** Content tokens per window, once the framing is counted. */
  size: number;
  stride: number;
  maxWindows: number;
}

/** The windowing of a scorer whose framing alone takes `framingTokens` of the model's `maxTokens`. */
export function windowing(options: WindowOptions, maxTokens: number, framingTokens: number): Windowing {
  const size = windowSize(maxTokens, framingTokens, options.tokens);
  return { size, stride: Math.max(1, Math.min(size, options.stride ?? Math.ceil(size / 2))), maxWindows: options.maxWindows };
}

export function textWindows(tokenizer: PreTrainedTokenizer, text: string, w: Windowing): string[] {
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  const spans = windowSpans(ids.length, w.size, w.stride);
  if (spans.length === 1) return [text];
  if (spans.length > w.maxWindows) {
    throw new GuardError('TOO_LONG', `The text is ${ids.length} tokens: ${spans.length} windows of ${w.size}, over the limit of ${w.maxWindows} (reward.window.maxWindows). It is not scored, so its check is unknown.`, { tokens: String(ids.length) });
  }
  return spans.map(([start, end]) => tokenizer.decode(ids.slice(start, end), { skip_special_tokens: true }));
}

/** Scores every window of every text in one go; each text gets its most unsafe window (the lowest score) and that window's index. */
export async function scoreWindows<T extends { score: number }>(
  texts: string[],
  windowsOf: (text: string) => string[],
  score: (windows: string[]) => Promise<T[]>,
): Promise<T[]> {
  const perText = texts.map(windowsOf);
  const scored = await score(perText.flat());
  let at = 0;
  return perText.map((windows) => {
    const mine = scored.slice(at, (at += windows.length));
    return mine.reduce((worst, s) => (s.score < worst.score ? s : worst));
  });
}
