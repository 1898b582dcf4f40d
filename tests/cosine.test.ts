import { describe, expect, it } from 'vitest';
import { cosineSimilarity } from '../src/runtime/evaluators/cosine.ts';

describe('cosineSimilarity', () => {
  it('normalises unnormalised embeddings', () => {
    expect(cosineSimilarity([3, 0], [10, 0])).toBeCloseTo(1);
    expect(cosineSimilarity([1, 0], [0, 2])).toBeCloseTo(0);
    expect(cosineSimilarity([1, 1], [1, 0])).toBeCloseTo(Math.SQRT1_2);
  });

  it('rejects mismatched or zero embeddings', () => {
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
    expect(() => cosineSimilarity([0, 0], [1, 2])).toThrow(RangeError);
  });
});
