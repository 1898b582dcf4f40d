// Holds streamed text back until a sentence is finished, so the streaming guard can
// score it before anyone sees it.

export class SentenceGate {
  #pending = '';
  readonly #ends: readonly string[];

  constructor(sentenceEnds: readonly string[]) {
    this.#ends = sentenceEnds;
  }

  /** Adds streamed text; returns the sentences it completed (each with its end mark). */
  push(delta: string): string[] {
    this.#pending += delta;
    const finished: string[] = [];
    for (;;) {
      const end = this.#firstEnd();
      if (end < 0) return finished;
      finished.push(this.#pending.slice(0, end));
      this.#pending = this.#pending.slice(end);
    }
  }

  /** What is left after the last finished sentence. */
  get pending(): string {
    return this.#pending;
  }

  #firstEnd(): number {
    let end = -1;
    for (const mark of this.#ends) {
      const at = this.#pending.indexOf(mark);
      if (at >= 0 && (end < 0 || at + mark.length < end)) end = at + mark.length;
    }
    return end;
  }
}
