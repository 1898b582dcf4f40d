// Word recall of OCR output against the expected text: the share of expected words
// (case-folded, punctuation stripped) found among the words read.

export const words = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}']+/gu) ?? [];

export function wordRecall(expected: string, read: string): number {
  const want = words(expected);
  if (want.length === 0) return 1;
  const got = new Map<string, number>();
  for (const w of words(read)) got.set(w, (got.get(w) ?? 0) + 1);
  let found = 0;
  for (const w of want) {
    const left = got.get(w) ?? 0;
    if (left > 0) {
      found++;
      got.set(w, left - 1);
    }
  }
  return found / want.length;
}
