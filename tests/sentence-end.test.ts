// Where a sentence ends: the reference's token rule (the first '.') and ours (a '.' followed by
// white space that closes no abbreviation), for deep alignment and the answer gate alike.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sentenceEnd } from '../src/alignment/sentence-end.ts';
import { SentenceGate } from '../src/respond/sentence-gate.ts';

const MARKS = ['.'];

describe('sentenceEnd', () => {
  it('the sentence rule: not inside "3.5", "e.g.", "U.S.", an initial or a URL; after closing quotes; at the text\'s end only when it is complete', () => {
    const first = (text: string, complete = false) => {
      const end = sentenceEnd(text, MARKS, 'sentence', 0, complete);
      return end < 0 ? null : text.slice(0, end);
    };
    expect(first('It costs 3.5 dollars. Then more')).toBe('It costs 3.5 dollars.');
    expect(first('Wear a mask, e.g. a respirator. Then')).toBe('Wear a mask, e.g. a respirator.');
    expect(first('Ask Dr. Smith and J. Doe at example.com today. Then')).toBe('Ask Dr. Smith and J. Doe at example.com today.');
    expect(first('The U.S. Army said "no." Then')).toBe('The U.S. Army said "no."');
    expect(first('It is done.')).toBeNull(); // more may follow
    expect(first('It is done.', true)).toBe('It is done.');
    expect(first('Line one.\nLine two')).toBe('Line one.');
  });

  it('the token rule is the reference\'s: the first mark, wherever it is', () => {
    expect(sentenceEnd('It costs 3.5 dollars.', MARKS, 'token')).toBe('It costs 3.'.length);
    expect(sentenceEnd('Say e.g. this', MARKS, 'token')).toBe('Say e.'.length);
  });
});

describe('SentenceGate', () => {
  it('finds the same sentences however the text is streamed', () => {
    const text = 'It costs 3.5 dollars, e.g. at Dr. Smith\'s. Then "stop." Next one. Last';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), (sizes) => {
        const gate = new SentenceGate(MARKS);
        const out: string[] = [];
        for (let at = 0, i = 0; at < text.length; i++) out.push(...gate.push(text.slice(at, (at += sizes[i % sizes.length]!))));
        out.push(gate.flush());
        expect(out).toEqual(['It costs 3.5 dollars, e.g. at Dr. Smith\'s.', ' Then "stop."', ' Next one.', ' Last']);
      }),
    );
  });
});
