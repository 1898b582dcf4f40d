// The build's "no code from strings" check finds eval and new Function, and nothing else.
import { describe, expect, it } from 'vitest';
import { evalSites } from '../scripts/bundle-scan.ts';

describe('evalSites', () => {
  it('finds eval( and new Function(', () => {
    expect(evalSites('const f = new Function("a", "return a"); eval ("1"); x=(0,eval)(s)').map((s) => s.index)).toEqual([10, 41, 58]);
  });

  it('ignores methods and longer names', () => {
    expect(evalSites("model.eval(); guard.evaluate(x); retrieval(q); $eval(1); evalSites(t); const Function = 1; csp = \"'wasm-unsafe-eval'\"")).toEqual([]);
  });
});
