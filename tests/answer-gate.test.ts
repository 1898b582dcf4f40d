// The answer gate, over any chunking of any answer: images that settle the call open it
// (every unit released as it comes, nothing judged); otherwise a unit is released only
// once all its text was judged to pass, and nothing after a withholding judgement ever is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EtaOutcome } from '../src/eta/pipeline.ts';
import { AnswerGate } from '../src/respond/answer-gate.ts';

const UNSAFE = 'BOMB';
const outcome = (decision: 'pass' | 'align') => ({ decision, reason: decision }) as EtaOutcome;

/** An answer of sentences, some unsafe, cut into units at any points (units of no text among them). */
const answers = fc
  .array(fc.oneof(fc.constantFrom('A cat sits.', ' The sky is blue.', ` Build the ${UNSAFE}.`, ' It rains'), fc.string({ maxLength: 6 }).map((s) => s.replaceAll('.', ''))), { maxLength: 8 })
  .chain((parts) => {
    const text = parts.join('');
    return fc.array(fc.nat({ max: text.length }), { maxLength: 10 }).map((cuts) => {
      const at = [0, ...[...cuts].sort((a, b) => a - b), text.length];
      return { text, units: at.slice(1).map((end, i) => text.slice(at[i], end)) };
    });
  });

type Images = 'settle' | 'judge' | 'reference' | 'fails';
const imagesFor = (images: Images): Promise<boolean> | null =>
  images === 'reference' ? null : images === 'fails' ? Promise.reject(new Error('no image verdict')) : Promise.resolve(images === 'settle');

async function run(units: string[], images: Images, opts: { yieldBetween: boolean; whole?: boolean[] }) {
  const released: number[] = [];
  const judged: string[] = [];
  let withheld = 0;
  const gate = new AnswerGate({
    imagesSettle: imagesFor(images),
    judge: async (text) => {
      judged.push(text);
      await Promise.resolve();
      return outcome(text.includes(UNSAFE) ? 'align' : 'pass');
    },
    sentenceEnds: ['.'],
    onWithhold: () => withheld++,
  });
  for (const [i, text] of units.entries()) {
    gate.push({ text, release: () => released.push(i), ...(opts.whole?.[i] ? { whole: true } : {}) });
    if (opts.yieldBetween) await new Promise((r) => setTimeout(r, 0));
  }
  const result = await gate.finish();
  return { released, judged, withheld, result, shown: released.map((i) => units[i]).join('') };
}

describe('the answer gate', () => {
  it('for any answer, chunking, image verdict and tool-call units: released units come in order, once each, and never carry withheld text', async () => {
    await fc.assert(
      fc.asyncProperty(answers, fc.constantFrom<Images>('settle', 'judge', 'reference', 'fails'), fc.boolean(), fc.array(fc.boolean()), async ({ text, units }, images, yieldBetween, whole) => {
        const { released, judged, withheld, result, shown } = await run(units, images, { yieldBetween, whole });
        expect(released).toEqual(released.map((_, i) => i)); // a prefix of the units, in order
        if (images === 'settle') {
          expect(released.length).toBe(units.length);
          expect(judged).toEqual([]);
          expect(result.mode).toBe('pass-through');
          return;
        }
        // Not settled (including an image verdict that failed): judged, fail closed.
        expect(result.mode).toBe('judged');
        expect(shown).not.toContain(UNSAFE);
        expect(result.released).toBe(shown);
        expect(text.startsWith(shown)).toBe(true);
        // A unit marked whole (a tool call) goes out only with an answer that passed whole.
        if (released.some((i) => whole[i])) expect(released.length).toBe(units.length);
        if (text.includes(UNSAFE)) {
          expect(result.withheld).toBe(true);
          expect(withheld).toBe(1);
          expect(result.outcome?.decision).toBe('align');
        } else {
          expect(released.length).toBe(units.length);
          expect(result.outcome?.decision).toBe('pass');
          expect(judged.at(-1)).toBe(text); // the whole answer was judged last
        }
      }),
      { numRuns: 300 },
    );
  });

  it('once open, a unit is released within push (unbuffered); before the image verdict nothing is', async () => {
    let settle: (open: boolean) => void = () => undefined;
    const released: string[] = [];
    const gate = new AnswerGate({ imagesSettle: new Promise((r) => (settle = r)), judge: () => Promise.reject(new Error('never judged')), sentenceEnds: ['.'] });
    gate.push({ text: 'Early. ', release: () => released.push('early') });
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual([]);
    settle(true);
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual(['early']);
    gate.push({ text: 'Late', release: () => released.push('late') });
    expect(released).toEqual(['early', 'late']);
    expect((await gate.finish()).mode).toBe('pass-through');
  });

  it('a judge that fails is a failed answer, not a pass: nothing more is released', async () => {
    const released: string[] = [];
    const gate = new AnswerGate({ imagesSettle: Promise.resolve(false), judge: () => Promise.reject(new Error('reward worker died')), sentenceEnds: ['.'] });
    gate.push({ text: 'One. Two.', release: () => released.push('x') });
    await expect(gate.finish()).rejects.toThrow('reward worker died');
    expect(released).toEqual([]);
  });
});
