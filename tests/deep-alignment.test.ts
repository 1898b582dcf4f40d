// ETA's sentence-level best-of-N on scripted candidates and scores.
import { describe, expect, it } from 'vitest';
import { ALIGNMENT_DEFAULTS, type DeepConfig } from '../src/alignment/config.ts';
import { type DeepScorers, alignDeep, roundUsesClip, scoreCandidate } from '../src/alignment/deep.ts';
import type { Completion, GenerateRequest, Generator } from '../src/generators/types.ts';

const CONFIG: DeepConfig = { ...ALIGNMENT_DEFAULTS.deep, prefix: 'As an AI assistant' };

/** A generator that replays scripted candidate lists, one list per sentence, and records requests. */
function scripted(rounds: Completion[][]): Generator & { requests: { request: GenerateRequest; n: number }[] } {
  const requests: { request: GenerateRequest; n: number }[] = [];
  return {
    id: 'scripted',
    requests,
    generate: () => Promise.reject(new Error('not used')),
    sample: async (request, n) => {
      requests.push({ request, n });
      const round = rounds[Math.min(requests.length - 1, rounds.length - 1)]!;
      return round.slice(0, n);
    },
  };
}

const c = (text: string, finishReason: Completion['finishReason'] = 'stop', tokens = 5): Completion => ({ text, finishReason, tokens });

/** Reward = the number in "[r=…]" in the latest sentence; CLIP = the number in "[c=…]". */
const tagged = (tag: string) => (text: string) => Number(new RegExp(`\\[${tag}=(-?[\\d.]+)\\]`).exec(text.slice(text.lastIndexOf('|')))?.[1] ?? 0);
function scorers(): DeepScorers & { clipCalls: string[][] } {
  const clipCalls: string[][] = [];
  return {
    clipCalls,
    reward: async (texts) => texts.map(tagged('r')),
    clip: async (texts) => {
      clipCalls.push(texts);
      return texts.map(tagged('c'));
    },
  };
}

describe('deep alignment', () => {
  // The reference's accept_check (DripNowhy/ETA generate/base_class.py): `if (sentence_idx > 1) and
  // (not check_end(candidate_list))` → (alpha / sentence_idx)·clip + reward for every candidate,
  // else the rewards alone; check_end is "any candidate's last token is EOS"; alpha = 1.
  it('decides the CLIP term per round, as accept_check does: i > 1 and no candidate of the round ended', () => {
    const r = (...reasons: Completion['finishReason'][]) => reasons.map((finishReason) => ({ finishReason }));
    expect(roundUsesClip(1, r('stop', 'stop'))).toBe(false);
    expect(roundUsesClip(2, r('stop', 'length'))).toBe(true); // cut by the token cap: not ended
    expect(roundUsesClip(2, r('stop', 'eos', 'stop'))).toBe(false); // one ended: the whole round by reward
    expect(roundUsesClip(3, r('eos'))).toBe(false);
    expect(scoreCandidate(1, 0.4, null)).toBe(0.4);
    expect(scoreCandidate(2, 0.4, 0.3)).toBeCloseTo(0.55);
    expect(scoreCandidate(3, 0.4, 0.3)).toBeCloseTo(0.5);
    expect(scoreCandidate(2, 0.4, 0.3, 2)).toBeCloseTo(0.7); // alpha
  });

  it('a round with one ended candidate is ranked by reward alone for every candidate (never reward+CLIP against reward)', async () => {
    // i = 2: A has not ended (reward 0.5, CLIP 0.4 → 0.7 with the term), B ended (reward 0.6).
    // A per-candidate rule would rank 0.7 against 0.6 and pick A; accept_check ranks 0.5 against 0.6: B.
    const generator = scripted([[c('|[r=1] first.')], [c('|[r=0.5][c=0.4] Aa.'), c('|[r=0.6][c=0.9] Bb.', 'eos')]]);
    const s = scorers();
    const result = await alignDeep(generator, { prompt: 'q' }, s, CONFIG);
    expect(result.sentences[1]!.chosen).toBe(1);
    expect(result.sentences[1]!.candidates.map((x) => x.clip)).toEqual([null, null]);
    expect(s.clipCalls).toEqual([]);
    expect(result.stoppedBy).toBe('eos');
  });

  it('scores each candidate as soon as it is complete, batching those complete together; a late EOS still ranks the round by reward alone', async () => {
    const events: string[] = [];
    // Round 2 streams: A and B complete together, C later (and ended: EOS).
    const generator: Generator = {
      id: 'streaming',
      generate: () => Promise.reject(new Error('not used')),
      sample: async (_request, _n, options) => {
        const round = events.filter((e) => e.startsWith('sample')).length + 1;
        events.push(`sample ${round}`);
        if (round === 1) return [c('|[r=1] first.')];
        const out = [c('|[r=0.2][c=0.9] Aa.'), c('|[r=0.3][c=0.9] Bb.'), c('|[r=0.4][c=0] Cc.', 'eos')];
        options?.onCandidate?.(0, out[0]!);
        options?.onCandidate?.(1, out[1]!);
        await new Promise((r) => setTimeout(r, 20));
        events.push('C complete');
        options?.onCandidate?.(2, out[2]!);
        return out;
      },
    };
    const s: DeepScorers = {
      reward: async (texts) => (events.push(`reward ${texts.map((t) => t.slice(t.lastIndexOf('|'))).join(' + ')}`), texts.map(tagged('r'))),
      clip: async (texts) => (events.push(`clip ${texts.join(' + ')}`), texts.map(tagged('c'))),
    };
    const result = await alignDeep(generator, { prompt: 'q' }, s, CONFIG);
    expect(events).toEqual([
      'sample 1',
      'reward |[r=1] first.',
      'sample 2',
      'clip |[r=0.2][c=0.9] Aa. + |[r=0.3][c=0.9] Bb.', // asked while no candidate had ended, unused once C did
      'reward |[r=0.2][c=0.9] Aa. + |[r=0.3][c=0.9] Bb.',
      'C complete',
      'reward |[r=0.4][c=0] Cc.',
    ]);
    expect(result.sentences[1]!.candidates.map((x) => x.clip)).toEqual([null, null, null]);
    expect(result.sentences[1]!.chosen).toBe(2);
  });

  it('a round where none ended scores every candidate with the CLIP term, weighted by clipWeight', async () => {
    const generator = scripted([[c('|[r=1] first.')], [c('|[r=0.5][c=0.4] Aa.'), c('|[r=0.6][c=0.1] Bb.', 'length')], [c('|[r=1] end.', 'eos')]]);
    const s = scorers();
    const result = await alignDeep(generator, { prompt: 'q' }, s, { ...CONFIG, clipWeight: 2 });
    expect(s.clipCalls).toEqual([['|[r=0.5][c=0.4] Aa.', '|[r=0.6][c=0.1] Bb.']]);
    expect(result.sentences[1]!.candidates.map((x) => x.score)).toEqual([expect.closeTo(0.9), expect.closeTo(0.7)]);
    expect(result.sentences[1]!.chosen).toBe(0);
  });

  it('scores candidates under the deep instruction when one is set (else the guard\'s)', async () => {
    const seen: (string | undefined)[] = [];
    const s = scorers();
    const reward: DeepScorers['reward'] = async (texts, instruction) => (seen.push(instruction), texts.map(tagged('r')));
    await alignDeep(scripted([[c('|[r=1] x.', 'eos')]]), { prompt: 'q' }, { ...s, reward }, CONFIG);
    await alignDeep(scripted([[c('|[r=1] x.', 'eos')]]), { prompt: 'q' }, { ...s, reward }, { ...CONFIG, rewardInstruction: 'Rate this.' });
    expect(seen).toEqual([undefined, 'Rate this.']);
  });

  it('asks for N = 5 candidates in one call with top-k 5, temperature 1.5, 70-token sentences ending at "."', async () => {
    const generator = scripted([[c('|[r=1] Aa.', 'eos')]]);
    await alignDeep(generator, { prompt: 'q' }, scorers(), CONFIG);
    expect(generator.requests[0]!.n).toBe(5);
    // The sentence rule: a '.' followed by white space (so "3.5" does not stop a sentence).
    expect(generator.requests[0]!.request.sampling).toEqual({ maxTokens: 70, temperature: 1.5, topK: 5, stop: ['. ', '.\n'] });
    expect(generator.requests[0]!.request.assistantPrefix).toBe('As an AI assistant');
  });

  it('appends the highest-scoring candidate and continues from it', async () => {
    const generator = scripted([
      [c('|[r=0.1] bad.'), c('|[r=0.9] good.'), c('|[r=0.5] ok.')],
      [c('|[r=0.2] end.', 'eos'), c('|[r=0.3] better end.', 'eos')],
    ]);
    const s = scorers();
    const result = await alignDeep(generator, { prompt: 'q' }, s, CONFIG);
    expect(result.sentences[0]!.chosen).toBe(1);
    expect(generator.requests[1]!.request.assistantPrefix).toBe('As an AI assistant|[r=0.9] good.');
    expect(result.text).toBe('As an AI assistant|[r=0.9] good.|[r=0.3] better end.');
    expect(result.stoppedBy).toBe('eos');
    expect(s.clipCalls).toEqual([]); // i = 1, then only EOS candidates
  });

  it('scores reward on prefix + accepted + candidate, CLIP on the candidate alone', async () => {
    const seen: string[][] = [];
    const generator = scripted([[c('|[r=1] one.')], [c('|[r=1][c=0.5] two.'), c('|[r=1] three.')], [c('|[r=1] end.', 'eos')]]);
    const s = scorers();
    await alignDeep(generator, { prompt: 'q' }, { ...s, reward: async (t) => (seen.push(t), t.map(tagged('r'))) }, CONFIG);
    expect(seen[1]).toEqual(['As an AI assistant|[r=1] one.|[r=1][c=0.5] two.', 'As an AI assistant|[r=1] one.|[r=1] three.']);
    expect(s.clipCalls).toEqual([['|[r=1][c=0.5] two.', '|[r=1] three.']]);
  });

  it('weights CLIP by 1/i: the same CLIP lead wins at i = 2 but not at i = 3', async () => {
    // Candidate A: reward 0.5, CLIP 0.9; candidate B: reward 0.8, CLIP 0.2.
    // i = 2: A = 0.5 + 0.45 = 0.95 > B = 0.9.   i = 3: A = 0.8 < B = 0.867.
    const pair = [c('|[r=0.5][c=0.9] Aa.'), c('|[r=0.8][c=0.2] Bb.')];
    const generator = scripted([[c('|[r=1] first.')], pair, pair, [c('|[r=1] end.', 'eos')]]);
    const result = await alignDeep(generator, { prompt: 'q' }, scorers(), CONFIG);
    expect(result.sentences[1]!.chosen).toBe(0);
    expect(result.sentences[1]!.candidates[0]!.score).toBeCloseTo(0.95);
    expect(result.sentences[2]!.chosen).toBe(1);
    expect(result.sentences[2]!.candidates[0]!.score).toBeCloseTo(0.8);
  });

  it('stops at 1025 tokens in total, shrinking the last sentence to fit', async () => {
    const generator: Generator & { caps: number[] } = {
      id: 'endless',
      caps: [],
      generate: () => Promise.reject(new Error('not used')),
      sample: async (request, n) => {
        generator.caps.push(request.sampling.maxTokens);
        return Array.from({ length: n }, () => c('|[r=1] more', 'length', request.sampling.maxTokens));
      },
    };
    const result = await alignDeep(generator, { prompt: 'q' }, scorers(), CONFIG);
    expect(result.tokens).toBe(1025);
    expect(result.stoppedBy).toBe('max-tokens');
    expect(generator.caps.slice(0, 14).every((cap) => cap === 70)).toBe(true);
    expect(generator.caps.at(-1)).toBe(1025 - 14 * 70);
    expect(result.sentences).toHaveLength(15);
  });

  it('every number is configurable', async () => {
    const generator = scripted([[c('|[r=1] x.', 'eos')]]);
    await alignDeep(generator, { prompt: 'q' }, scorers(), { ...CONFIG, candidates: 3, topK: 7, temperature: 0.7, sentenceMaxTokens: 20, sentenceEnd: ['.', '!'], sentenceRule: 'token', prefix: '' });
    expect(generator.requests[0]!.n).toBe(3);
    expect(generator.requests[0]!.request.sampling).toEqual({ maxTokens: 20, temperature: 0.7, topK: 7, stop: ['.', '!'] }); // the reference's token rule
    expect(generator.requests[0]!.request.assistantPrefix).toBe('');
  });

  it('stops within its request budget: a server that ends a sentence every token cannot draw a hundred requests', async () => {
    // One token per sentence: without a budget, 1025 rounds.
    const chatty = (n: boolean): Generator & { rounds: number } => {
      const g = {
        id: 'chatty',
        rounds: 0,
        generate: () => Promise.reject(new Error('not used')),
        sample: async (_request: GenerateRequest, count: number) => {
          g.rounds++;
          return Array.from({ length: count }, () => c('|[r=1] a.', 'stop', 1));
        },
        requestsFor: (count: number) => (n ? 1 : count),
      };
      return g;
    };
    const withN = chatty(true);
    const one = await alignDeep(withN, { prompt: 'q' }, scorers(), CONFIG);
    expect(one).toMatchObject({ stoppedBy: 'max-requests', requests: 64 });
    expect(withN.rounds).toBe(64);
    const withoutN = chatty(false);
    const five = await alignDeep(withoutN, { prompt: 'q' }, scorers(), { ...CONFIG, maxRequests: 20 });
    expect(five).toMatchObject({ stoppedBy: 'max-requests', requests: 20 });
    expect(withoutN.rounds).toBe(4); // 5 requests a round (no n): 4 rounds fit in 20
  });

  it('holds the budget for the first round too: one that cannot pay for a round is refused before anything is sent', async () => {
    const perCandidate = { ...scripted([[c('|[r=1] a.', 'eos')]]), requestsFor: (count: number) => count };
    await expect(alignDeep(perCandidate, { prompt: 'q' }, scorers(), { ...CONFIG, maxRequests: 4 })).rejects.toMatchObject({ code: 'OPTIONS_INVALID' });
    expect(perCandidate.requests).toEqual([]);
    const exact = await alignDeep(perCandidate, { prompt: 'q' }, scorers(), { ...CONFIG, maxRequests: 5 });
    expect(exact).toMatchObject({ stoppedBy: 'eos', requests: 5 });
  });

  it('under the sentence rule a candidate stopped at an abbreviation goes on until its sentence ends (one request each, within the budget)', async () => {
    const continued: string[] = [];
    const generator = {
      ...scripted([[c('|[r=1] Use a mask, e.g. ', 'stop', 6), c('|[r=0.5] Stop. ', 'stop', 2)], [c(' |[r=1] end.', 'eos')]]),
      generate: async (request: GenerateRequest) => {
        continued.push(request.assistantPrefix!);
        return c(' a respirator. ', 'stop', 3);
      },
    };
    const result = await alignDeep(generator, { prompt: 'q' }, scorers(), CONFIG);
    // The space after a mark is left to what follows (the model writes it with its next word).
    expect(continued).toEqual(['As an AI assistant|[r=1] Use a mask, e.g.']);
    expect(result.sentences[0]!.candidates.map((x) => x.text)).toEqual(['|[r=1] Use a mask, e.g. a respirator.', '|[r=0.5] Stop.']);
    expect(result.sentences[0]!.candidates[0]!.tokens).toBe(9);
    expect(result.text).toBe('As an AI assistant|[r=1] Use a mask, e.g. a respirator. |[r=1] end.');
    expect(result.requests).toBe(3);
    // The reference's token rule takes "e.g." as the sentence's end.
    const token = scripted([[c('|[r=1] Use a mask, e.g.', 'stop')], [c('|[r=1] end.', 'eos')]]);
    const asReference = await alignDeep({ ...token, generate: () => Promise.reject(new Error('not continued')) }, { prompt: 'q' }, scorers(), { ...CONFIG, sentenceRule: 'token' });
    expect(asReference.sentences).toHaveLength(2);
  });

  it('a round whose sampling fails stops the work its reported candidates started: the continuation request is aborted, nothing more is scored', async () => {
    const continuations: AbortSignal[] = [];
    const rewarded: string[] = [];
    const generator: Generator = {
      id: 'fails-mid-round',
      // Candidate 0 is complete but stopped at an abbreviation (it needs a continuation), then the request fails.
      sample: async (_request, _n, options) => {
        options?.onCandidate?.(0, c('|[r=1] Use a mask, e.g. ', 'stop', 6));
        await new Promise((resolve) => setTimeout(resolve, 5));
        throw new Error('upstream reset');
      },
      generate: (_request, options) =>
        new Promise((_resolve, reject) => {
          continuations.push(options!.signal!);
          options!.signal!.addEventListener('abort', () => reject(new Error('aborted')));
        }),
    };
    const counting: DeepScorers = { ...scorers(), reward: async (texts) => (rewarded.push(...texts), texts.map(() => 1)) };
    await expect(alignDeep(generator, { prompt: 'q' }, counting, CONFIG)).rejects.toThrow('upstream reset');
    expect(continuations).toHaveLength(1);
    expect(continuations[0]!.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(rewarded).toEqual([]);
  });

  it('stops instead of looping when the best candidate adds nothing', async () => {
    const result = await alignDeep(scripted([[c('', 'stop', 0)]]), { prompt: 'q' }, scorers(), CONFIG);
    expect(result.stoppedBy).toBe('empty');
  });
});
