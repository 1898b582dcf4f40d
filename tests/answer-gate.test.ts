// The answer gate, over any chunking of any answer: images that settle the call open it
// (every unit released as it comes, nothing judged); otherwise a unit is released only
// once all its text was judged to pass, and nothing after a withholding judgement ever is.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EtaOutcome } from '../src/eta/pipeline.ts';
import { AnswerGate, GATE_DEFAULTS, type GateLimits } from '../src/respond/answer-gate.ts';

const UNSAFE = 'BOMB';
const outcome = (decision: 'pass' | 'align', read = '') => ({ decision, reason: decision, responseCheck: { score: read.length } }) as EtaOutcome;

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

/** Small limits, so that answers of a few sentences cross them: the context covers a word cut at a window's end. */
const limitsArb = fc.record({
  contextChars: fc.integer({ min: UNSAFE.length - 1, max: 30 }),
  windowChars: fc.integer({ min: 1, max: 20 }),
  keepChars: fc.integer({ min: 0, max: 60 }),
});

async function run(units: string[], images: Images, opts: { yieldBetween: boolean; whole?: boolean[]; limits?: GateLimits }) {
  const released: number[] = [];
  const judged: string[] = [];
  let withheld = 0;
  const gate = new AnswerGate({
    imagesSettle: imagesFor(images),
    judge: async (text) => {
      judged.push(text);
      await Promise.resolve();
      return outcome(text.includes(UNSAFE) ? 'align' : 'pass', text);
    },
    sentenceEnds: ['.'],
    limits: opts.limits ?? GATE_DEFAULTS,
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
  it('for any answer, chunking, image verdict, tool-call units and limits: released units come in order, once each, and never carry withheld text; each judgement reads a bounded piece', async () => {
    await fc.assert(
      fc.asyncProperty(answers, fc.constantFrom<Images>('settle', 'judge', 'reference', 'fails'), fc.boolean(), fc.array(fc.boolean()), limitsArb, async ({ text, units }, images, yieldBetween, whole, limits) => {
        const { released, judged, withheld, result, shown } = await run(units, images, { yieldBetween, whole, limits });
        expect(released).toEqual(released.map((_, i) => i)); // a prefix of the units, in order
        // The answer is kept up to keepChars, whatever the mode.
        expect(result.kept).toBe(text.slice(0, limits.keepChars));
        expect(result.keptWhole).toBe(text.length <= limits.keepChars);
        if (images === 'settle') {
          expect(released.length).toBe(units.length);
          // Sentences that ended before the verdict may have been scored; none of it applies.
          expect(result.sentencesChecked).toBe(0);
          expect(result.outcome).toBeNull();
          expect(result.mode).toBe('pass-through');
          expect(result.releasedChars).toBe(text.length);
          return;
        }
        // Not settled (including an image verdict that failed): judged, fail closed.
        expect(result.mode).toBe('judged');
        expect(shown).not.toContain(UNSAFE);
        expect(result.releasedChars).toBe(shown.length);
        expect(text.startsWith(shown)).toBe(true);
        // Each judgement reads at most the context and one window: its cost does not grow with the answer.
        for (const read of judged) expect(read.length).toBeLessThanOrEqual(limits.contextChars + limits.windowChars);
        // A unit marked whole (a tool call) goes out only with an answer that passed whole.
        if (released.some((i) => whole[i])) expect(released.length).toBe(units.length);
        if (text.includes(UNSAFE)) {
          // However the windows cut it, the unsafe word is read whole in one judgement (its context covers the cut).
          expect(result.withheld).toBe(true);
          expect(withheld).toBe(1);
          expect(result.outcome?.decision).toBe('align');
        } else {
          expect(released.length).toBe(units.length);
          expect(result.outcome?.decision).toBe('pass');
          // The least safe judgement is the answer's (scores here: shorter reads score lower).
          expect(result.outcome?.responseCheck.score).toBe(Math.min(...judged.map((r) => r.length)));
        }
      }),
      { numRuns: 400 },
    );
  });

  it('a reader that waits for room() runs a bounded way ahead of what was released (two windows and two units: not the answer), whatever the chunking and judge pace', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.constantFrom('A cat sits. ', 'The sky is blue and wide. ', 'It rains', ' on the hills'), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 4, max: 30 }),
        fc.constantFrom<Images>('judge', 'reference'),
        async (units, windowChars, images) => {
          let pushed = 0;
          let released = 0;
          let ahead = 0;
          const gate = new AnswerGate({
            imagesSettle: imagesFor(images),
            judge: async (text) => {
              await new Promise((r) => setTimeout(r, 0)); // a judge slower than the reader
              return outcome('pass', text);
            },
            sentenceEnds: ['.'],
            limits: { contextChars: 10, windowChars, keepChars: 0 },
          });
          for (const text of units) {
            gate.push({ text, release: () => (released += text.length) });
            pushed += text.length;
            ahead = Math.max(ahead, pushed - released);
            await gate.room();
          }
          await gate.finish();
          expect(released).toBe(pushed);
          // A unit is released only whole, so one ending just past a judged piece waits for the next one.
          expect(ahead).toBeLessThanOrEqual(2 * windowChars + 2 * Math.max(...units.map((u) => u.length)));
        },
      ),
      { numRuns: 100 },
    );
  });

  it('once open, a unit is released within push (unbuffered); before the image verdict nothing is', async () => {
    let settle: (open: boolean) => void = () => undefined;
    const released: string[] = [];
    const gate = new AnswerGate({ imagesSettle: new Promise((r) => (settle = r)), judge: () => Promise.reject(new Error('never judged')), sentenceEnds: ['.'], limits: GATE_DEFAULTS });
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

  it('a sentence that ends before the image verdict is scored meanwhile: once the verdict (unsafe) is in, it is released without waiting for its own check', async () => {
    let verdict: (open: boolean) => void = () => undefined;
    const images = new Promise<boolean>((r) => (verdict = r));
    const asked: string[] = [];
    let scored: (outcome: EtaOutcome) => void = () => undefined;
    const released: string[] = [];
    const gate = new AnswerGate({
      imagesSettle: images,
      judge: (text) => {
        asked.push(text);
        return new Promise((r) => (scored = r));
      },
      sentenceEnds: ['.'],
      limits: GATE_DEFAULTS,
    });
    gate.push({ text: 'Sure.', release: () => released.push('Sure.') });
    gate.push({ text: ' Then', release: () => released.push(' Then') });
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual(['Sure.']); // under way before the verdict
    scored(outcome('pass', 'Sure.'));
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual([]); // nothing before the verdict
    verdict(false);
    await new Promise((r) => setTimeout(r, 0));
    expect(released).toEqual(['Sure.']);
    const finishing = gate.finish();
    await new Promise((r) => setTimeout(r, 0));
    expect(asked).toEqual(['Sure.', 'Sure. Then']);
    scored(outcome('pass', 'Sure. Then'));
    expect((await finishing).sentencesChecked).toBe(2);
    expect(released).toEqual(['Sure.', ' Then']);
  });

  it('a judge that fails is a failed answer, not a pass: nothing more is released', async () => {
    const released: string[] = [];
    const gate = new AnswerGate({ imagesSettle: Promise.resolve(false), judge: () => Promise.reject(new Error('reward worker died')), sentenceEnds: ['.'], limits: GATE_DEFAULTS });
    gate.push({ text: 'One. Two.', release: () => released.push('x') });
    await expect(gate.finish()).rejects.toThrow('reward worker died');
    expect(released).toEqual([]);
  });
});
