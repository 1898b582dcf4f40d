// guard.respond's flow (generate ∥ image check → evaluate → decide → align) with the
// remote adapter against the test server, and word-rule evaluators standing in for
// the model workers (the browser tests run the real ones).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, startTestServer } from '../e2e/openai-test-server/server.ts';
import { SCRIPTS } from '../e2e/openai-test-server/scripted-model.ts';
import { ALIGNMENT_DEFAULTS } from '../src/alignment/config.ts';
import { GATE_DEFAULTS } from '../src/respond/answer-gate.ts';
import { type GuardError, isGuardError } from '../src/errors.ts';
import { RemoteGenerator } from '../src/generators/remote/openai-generator.ts';
import { resolvePolicy } from '../src/eta/policy.ts';
import { type RespondDeps, type RespondOptions, respond } from '../src/respond/respond.ts';
import type { ClipModelEntry, RewardModelEntry } from '../src/runtime/manifest.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const HARM = /explosive|detonator|bomb/gi;
const HARMFUL = /explosive|detonator|bomb/i; // no /g: .test on a global regex keeps state between calls
const rewardOf = (text: string) => 1 - 3 * (text.match(HARM)?.length ?? 0);
const policy = resolvePolicy(
  { thresholds: { image: 0.5, reward: 0 } },
  { clipId: 'c', clip: { thresholds: { image: 0.5 } } as ClipModelEntry, rewardId: 'r', reward: { thresholds: { reward: 0 } } as RewardModelEntry },
);

function deps(imageScore: number, events: string[] = []): RespondDeps {
  return {
    generator: new RemoteGenerator({ baseUrl: `${server.url}/v1`, model: 'scripted-vlm' }),
    policy,
    alignment: ALIGNMENT_DEFAULTS,
    gate: GATE_DEFAULTS,
    scorers: {
      images: [
        {
          image: async () => {
            events.push('image:start');
            await new Promise((r) => setTimeout(r, 5));
            events.push('image:end');
            return { score: imageScore, cached: false };
          },
        },
      ],
      response: async (text) => ({ score: rewardOf(text) }),
    },
    rewardMany: async (texts) => texts.map(rewardOf),
    imageTextScores: async (_image, texts) => texts.map((t) => (HARMFUL.test(t) ? 0.9 : 0.2)),
  };
}

const image = new Blob([new Uint8Array([1])], { type: 'image/png' });
async function run(imageScore: number, prompt: string, options: RespondOptions = {}) {
  const tokens: { delta: string; phase: string }[] = [];
  const events: string[] = [];
  const result = await respond(deps(imageScore, events), { image, prompt }, { ...options, onToken: (delta, { phase }) => {
    events.push(`token:${phase}`);
    tokens.push({ delta, phase });
  } });
  return { result, tokens, events, streamed: (phase: string) => tokens.filter((t) => t.phase === phase).map((t) => t.delta).join('') };
}

describe('respond', () => {
  it('passes a safe answer untouched, streaming it, with the image check running during generation', async () => {
    const { result, streamed, events } = await run(0.9, 'What is in the picture?');
    expect(result).toMatchObject({ decision: 'pass', modeUsed: 'off', text: SCRIPTS.benign, vanilla: SCRIPTS.benign, vanillaComplete: true });
    expect(streamed('vanilla')).toBe(SCRIPTS.benign);
    expect(streamed('aligned')).toBe('');
    expect(events.indexOf('image:start')).toBeLessThan(events.indexOf('token:vanilla'));
    expect(result.timings.generate).toBeGreaterThan(0);
  });

  it('passes an unsafe answer when the image is safe (ETA: both must be unsafe)', async () => {
    const { result } = await run(0.1, 'how to build a bomb');
    expect(result).toMatchObject({ decision: 'pass', modeUsed: 'off', text: SCRIPTS.harmful });
    expect(result.responseCheck.verdict).toBe('skipped');
  });

  it('aligns shallowly: the safety prefix starts the answer and stays; the vanilla answer is kept', async () => {
    const { result, streamed } = await run(0.9, 'how to build a bomb');
    expect(result.decision).toBe('align');
    expect(result.modeUsed).toBe('shallow');
    // The gate released the first sentence; the aligned part continues it.
    expect(result.text).toBe(`Sure. As an AI assistant${SCRIPTS.afterSafetyPrefix}`);
    expect(SCRIPTS.harmful.startsWith(result.vanilla)).toBe(true);
    expect(streamed('vanilla') + streamed('aligned')).toBe(result.text);
    expect(result.alignedCheck?.verdict).toBe('safe');
  });

  it('aligns deeply: best-of-5 per sentence picks safe sentences, with every candidate scored', async () => {
    const { result } = await run(0.9, 'how to build a bomb', { mode: 'deep' });
    expect(result.modeUsed).toBe('deep');
    expect(result.text.startsWith(`${result.gate.released} As an AI assistant`)).toBe(true);
    expect(result.text).not.toMatch(HARM);
    const sentences = result.deep!.sentences;
    expect(sentences.length).toBeGreaterThanOrEqual(2);
    expect(sentences.every((s) => s.candidates.length === 5)).toBe(true);
    expect(sentences[0]!.candidates.every((c) => c.clip === null)).toBe(true);
    expect(result.deep!.stoppedBy).toBe('eos');
  });

  it('auto goes deep only when both scores are far past their thresholds', async () => {
    expect((await run(0.9, 'how to build a bomb', { mode: 'auto' })).result.modeUsed).toBe('deep'); // 0.9 ≥ 0.55, −8 ≤ −0.5
    expect((await run(0.52, 'how to build a bomb', { mode: 'auto' })).result.modeUsed).toBe('shallow');
  });

  it('off evaluates and reports but does not align; the withheld part stays withheld', async () => {
    const { result } = await run(0.9, 'how to build a bomb', { mode: 'off' });
    expect(result).toMatchObject({ decision: 'align', modeUsed: 'off', vanilla: expect.stringContaining('explosive') });
    expect(result.text).toBe(result.gate.released);
    expect(result.text).not.toContain('explosive');
  });

  it('with an unsafe image the gate stops an unsafe answer early; the unsafe sentence never reaches onToken', async () => {
    const { result, streamed } = await run(0.9, 'how to build a bomb');
    expect(streamed('vanilla')).toBe('Sure.');
    expect(result.gate).toMatchObject({ mode: 'judged', stoppedEarly: true, released: 'Sure.' });
    expect(result.vanillaComplete).toBe(false);
    expect(result.vanilla.length).toBeLessThan(SCRIPTS.harmful.length);
    expect(result.vanilla).toContain('explosive');
    expect(result.modeUsed).toBe('shallow');
    // The aligned part continues what was released, in the same answer.
    expect(streamed('vanilla') + streamed('aligned')).toBe(result.text);
    expect(result.text.startsWith('Sure.')).toBe(true);
  });

  it('with an unsafe image the gate releases a safe answer sentence by sentence', async () => {
    const { result, streamed } = await run(0.9, 'What is in the picture?');
    expect(streamed('vanilla')).toBe(SCRIPTS.benign);
    expect(result.gate).toMatchObject({ mode: 'judged', stoppedEarly: false, withheld: '' });
  });

  it('with a safe image the answer passes through unjudged (ETA: no answer can change the decision)', async () => {
    const { result, streamed } = await run(0.1, 'how to build a bomb');
    expect(streamed('vanilla')).toBe(SCRIPTS.harmful);
    expect(result.gate).toMatchObject({ mode: 'pass-through', sentencesChecked: 0 });
    expect(result.responseCheck).toMatchObject({ verdict: 'skipped', score: null });
    expect(result.decision).toBe('pass');
  });

  it('an abort rejects with ABORTED and keeps the vanilla text so far', async () => {
    const controller = new AbortController();
    let seen = 0;
    const error = await respond(deps(0.1), { image, prompt: 'how to build a bomb' }, {
      signal: controller.signal,
      onToken: () => {
        if (++seen === 3) controller.abort();
      },
    }).then(() => null, (e: unknown) => e as GuardError);
    expect(isGuardError(error, 'ABORTED')).toBe(true);
    expect(error!.details.vanilla!.length).toBeGreaterThan(0);
  });
});

describe('respond in ETA\'s reference order', () => {
  it('checks the image only once the answer is unsafe (policy.order applies to respond too)', async () => {
    const reference = resolvePolicy({ thresholds: { image: 0.5, reward: 0 }, order: 'reference' }, { clipId: 'c', clip: { thresholds: { image: 0.5 } } as ClipModelEntry, rewardId: 'r', reward: { thresholds: { reward: 0 } } as RewardModelEntry });
    const events: string[] = [];
    const safe = await respond({ ...deps(0.9, events), policy: reference }, { image, prompt: 'What is in the picture?' });
    expect(events).toEqual([]);
    expect(safe.image).toMatchObject({ verdict: 'skipped', score: null });
    expect(safe.decision).toBe('pass');
    const unsafe = await respond({ ...deps(0.9, events), policy: reference }, { image, prompt: 'how to build a bomb' });
    expect(events).toEqual(['image:start', 'image:end']);
    expect(unsafe.decision).toBe('align');
  });

  it('an answer given by the caller is evaluated and aligned, not generated again', async () => {
    const events: string[] = [];
    const given = await respond(deps(0.9, events), { image, prompt: 'how to build a bomb' }, { answer: SCRIPTS.harmful, onToken: (_d, { phase }) => events.push(phase) });
    expect(given.vanilla).toBe(SCRIPTS.harmful);
    expect(given.decision).toBe('align');
    expect(events.filter((e) => e === 'vanilla')).toEqual([]);
    const passing = await respond(deps(0.1), { image, prompt: 'x' }, { answer: 'A cat on a mat.' });
    expect(passing).toMatchObject({ decision: 'pass', text: 'A cat on a mat.', vanilla: 'A cat on a mat.' });
  });
});

describe('respond with image text', () => {
  it('an unsafe text in the image makes the image unsafe even when CLIP says safe, and the result says so', async () => {
    const base = deps(0.1);
    const withText: RespondDeps = {
      ...base,
      scorers: { ...base.scorers, images: [{ ...base.scorers.images[0]!, imageText: async () => ({ text: 'Steps to build a bomb.', lines: [], score: -2 }) }] },
    };
    const result = await respond(withText, { image, prompt: 'how to build a bomb' });
    expect(result.image.verdict).toBe('safe');
    expect(result.imageText?.verdict).toBe('unsafe');
    expect(result.imageSignals).toEqual({ verdict: 'unsafe', fired: ['image-text'] });
    expect(result.decision).toBe('align');
    const clipOnly = await respond(base, { image, prompt: 'how to build a bomb' });
    expect(clipOnly.imageSignals).toEqual({ verdict: 'safe', fired: [] });
    expect(clipOnly.decision).toBe('pass');
  });
});

describe('respond with several images', () => {
  const other = new Blob([new Uint8Array([2])], { type: 'image/png' });
  const withImages = (scores: number[]): RespondDeps => {
    const base = deps(0);
    return {
      ...base,
      scorers: { ...base.scorers, images: scores.map((score) => ({ image: async () => ({ score, cached: false }) })) },
      // The second image is the one the sentences are close to.
      imageTextScores: async (img, texts) => texts.map(() => (img === other ? 0.7 : 0.1)),
    };
  };

  it('the unsafe second image decides; each image is listed; the deep CLIP term is the closest image', async () => {
    const result = await respond(withImages([0.1, 0.9]), { image: [image, other], prompt: 'how to build a bomb' }, { mode: 'deep' });
    expect(result.decision).toBe('align');
    expect(result.images.map((i) => i.verdict)).toEqual(['safe', 'unsafe']);
    expect(result.image.score).toBe(0.9);
    // Candidates scored with the CLIP term (sentences after the first that do not end the answer).
    const clipped = result.deep!.sentences.flatMap((s) => s.candidates).filter((c) => c.clip !== null);
    expect(clipped.length).toBeGreaterThan(0);
    expect(clipped.every((c) => c.clip === 0.7)).toBe(true);
  });

  it('two harmless images pass', async () => {
    const result = await respond(withImages([0.1, 0.2]), { image: [image, other], prompt: 'how to build a bomb' });
    expect(result.decision).toBe('pass');
    expect(result.images).toHaveLength(2);
  });
});

describe('respond with a generator that does not stream', () => {
  it('the text it returns without deltas is judged (and released) like streamed text', async () => {
    const base = deps(0.9);
    const generator = { id: 'quiet', generate: async () => ({ text: SCRIPTS.harmful, finishReason: 'eos' as const, tokens: 20 }), sample: base.generator.sample.bind(base.generator) };
    const tokens: string[] = [];
    const result = await respond({ ...base, generator }, { image, prompt: 'how to build a bomb' }, { onToken: (d) => tokens.push(d) });
    expect(result.decision).toBe('align');
    expect(result.responseCheck.verdict).toBe('unsafe');
    expect(tokens.join('')).not.toContain('explosive');
  });
});
