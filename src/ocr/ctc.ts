// CTC greedy decoding of PP-OCR recognition output ([steps, classes] probabilities):
// best class per step, collapse repeats, drop blanks (class 0). Class i > 0 is
// dictionary[i − 1]; the class after the dictionary is a space (use_space_char).

export function ctcGreedyDecode(
  probabilities: Float32Array,
  steps: number,
  classes: number,
  dictionary: readonly string[],
): { text: string; confidence: number } {
  let text = '';
  let confidence = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = -Infinity;
    const row = t * classes;
    for (let c = 0; c < classes; c++) {
      const p = probabilities[row + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    if (best !== 0 && best !== previous) {
      text += best - 1 < dictionary.length ? dictionary[best - 1]! : ' ';
      confidence += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : confidence / kept };
}
