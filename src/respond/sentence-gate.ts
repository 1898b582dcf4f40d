// Holds streamed text back until a sentence is finished, so the gate can judge it before
// anyone sees it. A sentence that does not end (a code block, a list without stops) is
// cut at `maxChars` — window by window — so text is never held, or searched, without bound.
// Where a sentence ends is sentence-end.ts's rule (by default: not at the '.' of "3.5" or "e.g.").
import { type SentenceRule, sentenceEnd } from '../alignment/sentence-end.ts';

/** Characters searched again before where the last search stopped: a mark, its closers and the space after them may straddle it. */
const RESEARCH_CHARS = 8;

export class SentenceGate {
  #pending = '';
  /** How far #pending was searched for an end mark already (marks straddling it are searched again). */
  #searched = 0;
  readonly #ends: readonly string[];
  readonly #rule: SentenceRule;
  readonly #maxChars: number;
  readonly #longestEnd: number;

  constructor(sentenceEnds: readonly string[], maxChars = Number.POSITIVE_INFINITY, rule: SentenceRule = 'sentence') {
    this.#ends = sentenceEnds;
    this.#rule = rule;
    this.#maxChars = maxChars;
    this.#longestEnd = Math.max(0, ...sentenceEnds.map((end) => end.length));
  }

  /** Adds streamed text; returns the sentences it completed (each with its end mark) or cut. */
  push(delta: string): string[] {
    this.#pending += delta;
    const finished: string[] = [];
    for (;;) {
      const end = this.#firstEnd();
      const cut = end < 0 ? this.#cut() : end;
      if (cut < 0) return finished;
      finished.push(this.#pending.slice(0, cut));
      this.#pending = this.#pending.slice(cut);
      this.#searched = 0;
    }
  }

  /** Takes what is left after the last finished sentence (the text has ended). */
  flush(): string {
    const rest = this.#pending;
    this.#pending = '';
    this.#searched = 0;
    return rest;
  }

  /** What is left after the last finished sentence. */
  get pending(): string {
    return this.#pending;
  }

  #firstEnd(): number {
    const from = Math.max(0, this.#searched - this.#longestEnd - RESEARCH_CHARS);
    const end = sentenceEnd(this.#pending, this.#ends, this.#rule, from);
    this.#searched = this.#pending.length;
    return end > this.#maxChars ? this.#cut() : end;
  }

  /** Past `maxChars` without an end: a window ends at the last space within it (or at the limit). */
  #cut(): number {
    if (this.#pending.length < this.#maxChars) return -1;
    const space = this.#pending.lastIndexOf(' ', this.#maxChars - 1);
    return space > 0 ? space + 1 : this.#maxChars;
  }
}
