// Windows cover every token of a long text, overlap as asked, and end at the text's end.
import { describe, expect, it } from 'vitest';
import { windowSize, windowSpans } from '../src/runtime/text-windows.ts';

describe('windowSpans', () => {
  it('one window for a text that fits', () => {
    expect(windowSpans(0, 10, 5)).toEqual([[0, 0]]);
    expect(windowSpans(10, 10, 5)).toEqual([[0, 10]]);
  });

  it('covers every token of a long text, half-overlapping, the last window ending at the end', () => {
    const spans = windowSpans(25, 10, 5);
    expect(spans).toEqual([[0, 10], [5, 15], [10, 20], [15, 25]]);
    const spansOdd = windowSpans(23, 10, 5);
    expect(spansOdd.at(-1)).toEqual([13, 23]);
    for (const [length, size, stride] of [[1000, 100, 50], [1001, 97, 33], [300, 64, 64], [65, 64, 1]] as const) {
      const covered = new Set<number>();
      for (const [a, b] of windowSpans(length, size, stride)) {
        expect(b - a).toBeLessThanOrEqual(size);
        for (let i = a; i < b; i++) covered.add(i);
      }
      expect(covered.size).toBe(length);
    }
  });

  it('refuses a window or stride below one token', () => {
    expect(() => windowSpans(10, 0, 1)).toThrow(RangeError);
    expect(() => windowSpans(10, 4, 0)).toThrow(RangeError);
  });
});

describe('windowSize', () => {
  it('leaves room for the framing, and never exceeds it when asked for more', () => {
    expect(windowSize(512, 40, undefined)).toBe(464);
    expect(windowSize(512, 40, 128)).toBe(128);
    expect(windowSize(512, 40, 4096)).toBe(464);
    expect(windowSize(16, 40, undefined)).toBe(1);
  });
});
