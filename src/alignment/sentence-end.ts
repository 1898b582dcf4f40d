// Where a sentence ends, for deep alignment's sentences and the answer gate's. Two rules:
// `token` is the reference's (DripNowhy/ETA generate/eta_generation.py: a candidate sentence
// ends at the first '.' token, id 29889 in LLaMA's vocabulary) — the first end mark, even the
// one inside "3.5" or "e.g."; `sentence` (ours, the default) ends a sentence only at an end
// mark followed by white space (after any closing quotes or brackets) that does not close an
// abbreviation or an initial.

export type SentenceRule = 'sentence' | 'token';

/** Words that end with '.' without ending a sentence (compared lower case, without the dot). */
const ABBREVIATIONS = new Set(['e.g', 'i.e', 'etc', 'vs', 'cf', 'al', 'approx', 'dr', 'mr', 'mrs', 'ms', 'prof', 'st', 'jr', 'sr', 'fig', 'figs', 'eq', 'vol', 'pp', 'inc', 'ltd', 'u.s', 'u.k']);
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '»']);
const SPACE = /\s/;

/** The word before position `at` (letters, digits and inner dots). */
function wordBefore(text: string, at: number): string {
  let start = at;
  while (start > 0 && /[\p{L}\p{N}.]/u.test(text[start - 1]!)) start--;
  return text.slice(start, at);
}

/** Whether the '.' at `at` closes an abbreviation ("e.g.") or an initial ("J.") rather than a sentence. */
function abbreviated(text: string, at: number, mark: string): boolean {
  if (mark !== '.') return false;
  const word = wordBefore(text, at);
  return ABBREVIATIONS.has(word.toLowerCase()) || /^\p{Lu}$/u.test(word);
}

/**
 * Where the first sentence of `text` at or after `from` ends (the index just after its end
 * mark and any closers), or -1 when none is known yet. Under `sentence` a mark at the very end
 * of the text ends a sentence only when the text is `complete` (more may follow otherwise).
 */
export function sentenceEnd(text: string, marks: readonly string[], rule: SentenceRule, from = 0, complete = false): number {
  let best = -1;
  for (const mark of marks) {
    for (let at = text.indexOf(mark, from); at >= 0; at = text.indexOf(mark, at + 1)) {
      let end = at + mark.length;
      if (best >= 0 && end >= best) break;
      if (rule === 'token') {
        best = end;
        break;
      }
      while (end < text.length && CLOSERS.has(text[end]!)) end++;
      const atTextEnd = end === text.length;
      if ((atTextEnd ? complete : SPACE.test(text[end]!)) && !abbreviated(text, at, mark)) {
        best = end;
        break;
      }
    }
  }
  return best;
}
