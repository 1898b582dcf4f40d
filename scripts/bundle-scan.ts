// Finds code that evaluates strings in JavaScript text: the global `eval` (called directly
// or indirectly, `(0, eval)(s)`) and `new Function(…)`. Method calls such as `model.eval()`,
// names such as `evaluate` or `retrieval`, and CSP words like 'unsafe-eval' are not it.
const PATTERN = /(?<![\w$.-])eval(?![\w$-])|\bnew\s+Function\s*\(/g;

export function evalSites(text: string): { index: number; excerpt: string }[] {
  return [...text.matchAll(PATTERN)].map((m) => ({ index: m.index, excerpt: text.slice(Math.max(0, m.index - 60), m.index + 40).replace(/\s+/g, ' ') }));
}
