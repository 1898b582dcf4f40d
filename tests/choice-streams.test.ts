// The choices of one streamed request: any number of them, interleaved in any order and
// chunking, cut at their stop strings here or finished by the server.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Completion, cutAtStop } from '../src/generators/types.ts';
import { ChoiceStreams, type StreamChunk } from '../src/generators/remote/choice-streams.ts';

const finishReason = (finish: string) => (finish === 'length' ? 'length' : 'eos');
const token = fc.stringMatching(/^[a-z .\n]{1,4}$/);
const choiceArb = fc.record({ tokens: fc.array(token, { maxLength: 12 }), finish: fc.constantFrom('stop', 'length') });

/** Every choice's deltas then its finish, merged in an order given by `picks`, a few choices a chunk. */
function chunksOf(choices: { tokens: string[]; finish: string }[], picks: number[], together: number[]): StreamChunk[] {
  const queues = choices.map((c, index) => [...c.tokens.map((t) => ({ index, delta: { content: t } })), { index, delta: {}, finish_reason: c.finish }]);
  const events: NonNullable<StreamChunk['choices']>[number][] = [];
  let p = 0;
  while (queues.some((q) => q.length)) {
    const open = queues.filter((q) => q.length);
    events.push(open[(picks[p++ % Math.max(1, picks.length)] ?? 0) % open.length]!.shift()!);
  }
  const chunks: StreamChunk[] = [];
  for (let i = 0, t = 0; i < events.length; t++) {
    const size = 1 + ((together[t % Math.max(1, together.length)] ?? 0) % 3);
    chunks.push({ choices: events.slice(i, i + size) });
    i += size;
  }
  return chunks;
}

describe('ChoiceStreams', () => {
  it('gives each choice its text cut at its first stop string, "stop" when cut short and the server\'s finish when the model ended there, in any interleaving', () => {
    fc.assert(
      fc.property(
        fc.array(choiceArb, { minLength: 1, maxLength: 4 }),
        fc.constantFrom<string[] | null>(['.'], ['. ', '.\n'], null),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
        (choices, stop, picks, together) => {
          const streamed = choices.map(() => '');
          const completed: (Completion | undefined)[] = choices.map(() => undefined);
          const streams = new ChoiceStreams({
            n: choices.length,
            stop,
            finishReason,
            url: 'http://x',
            onToken: (index, delta) => (streamed[index] += delta),
            onComplete: (index, completion) => {
              expect(completed[index]).toBeUndefined(); // once each
              completed[index] = completion;
            },
          });
          // Read as the generator does: stop once every choice is complete.
          for (const chunk of chunksOf(choices, picks, together)) if (streams.push(chunk)) break;
          const result = streams.end();
          choices.forEach((c, j) => {
            const whole = c.tokens.join('');
            const cut = stop ? cutAtStop(whole, stop) : null;
            expect(result[j]!.text).toBe(cut ?? whole);
            expect(streamed[j]).toBe(cut ?? whole);
            expect(result[j]!.finishReason).toBe(cut === null || cut === whole ? finishReason(c.finish) : 'stop');
            expect(completed[j]).toEqual(result[j]);
          });
          expect(streams.cutShort).toBe(result.some((r, j) => r.finishReason === 'stop' && choices[j]!.tokens.join('') !== r.text));
        },
      ),
    );
  });

  it('a stream that ends with a choice unfinished is malformed; a choice index past n is refused', () => {
    const streams = new ChoiceStreams({ n: 2, stop: null, finishReason, url: 'http://x' });
    streams.push({ choices: [{ index: 0, delta: { content: 'a' }, finish_reason: 'stop' }, { index: 1, delta: { content: 'b' } }] });
    expect(() => streams.end()).toThrow(expect.objectContaining({ code: 'GENERATOR_STREAM_MALFORMED' }));
    expect(() => new ChoiceStreams({ n: 1, stop: null, finishReason, url: 'http://x' }).push({ choices: [{ index: 1, delta: { content: 'a' } }] })).toThrow(
      expect.objectContaining({ code: 'GENERATOR_STREAM_MALFORMED' }),
    );
  });

  it("one choice the server finished itself counts its tokens by the server's usage", () => {
    const streams = new ChoiceStreams({ n: 1, stop: null, finishReason, url: 'http://x' });
    streams.push({ choices: [{ delta: { content: 'Hello' } }] });
    streams.push({ choices: [{ delta: {}, finish_reason: 'stop' }] });
    streams.push({ choices: [], usage: { completion_tokens: 3 } });
    expect(streams.end()).toEqual([{ text: 'Hello', finishReason: 'eos', tokens: 3 }]);
  });
});
