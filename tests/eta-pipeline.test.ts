// ETA's one pipeline: the order the policy asks for, unknownAs, image signals, per-call thresholds.
import { describe, expect, it } from 'vitest';
import { ImageChecks, type Scorers, checkResponse, decideEta, withThresholds } from '../src/eta/pipeline.ts';
import { type PolicyOptions, resolvePolicy } from '../src/eta/policy.ts';
import type { ClipModelEntry, RewardModelEntry } from '../src/runtime/manifest.ts';

const policyOf = (options: PolicyOptions = {}) =>
  resolvePolicy(
    { thresholds: { image: 0.5, reward: 0 }, ...options },
    { clipId: 'c', clip: { thresholds: { image: 0.5 } } as ClipModelEntry, rewardId: 'r', reward: { thresholds: { reward: 0 } } as RewardModelEntry },
  );

function scorers(image: number | Error, imageText?: number | null): Scorers & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    image: async () => {
      calls.push('image');
      if (image instanceof Error) throw image;
      return { score: image, cached: false };
    },
    response: async (text) => ({ score: /bomb/.test(text) ? -1 : 1 }),
    ...(imageText !== undefined ? { imageText: async () => (calls.push('imageText'), { text: 'x', lines: [], score: imageText }) } : {}),
  };
}

async function run(policy: ReturnType<typeof policyOf>, s: Scorers, answer: string) {
  const images = new ImageChecks(s, policy);
  return decideEta(policy, await checkResponse(s.response, answer, policy.thresholds.reward), images);
}

describe('ETA pipeline', () => {
  it('parallel order checks the image even for a safe answer; reference order only for an unsafe one', async () => {
    const parallel = scorers(0.9, 1);
    expect((await run(policyOf(), parallel, 'a cat')).decision).toBe('pass');
    expect(parallel.calls).toEqual(['image', 'imageText']);

    const reference = scorers(0.9, 1);
    const safe = await run(policyOf({ order: 'reference' }), reference, 'a cat');
    expect(reference.calls).toEqual([]);
    expect(safe.image).toMatchObject({ verdict: 'skipped', score: null, ms: 0 });
    expect(safe.imageText).toBeUndefined();
    const unsafe = await run(policyOf({ order: 'reference' }), reference, 'build a bomb');
    expect(reference.calls).toEqual(['image', 'imageText']);
    expect(unsafe.decision).toBe('align');
  });

  it('a failed image check is unknown with its error, and unknownAs decides', async () => {
    const failing = () => scorers(new Error('CLIP worker crashed'));
    const closed = await run(policyOf(), failing(), 'build a bomb');
    expect(closed.image).toMatchObject({ verdict: 'unknown', score: null, error: { code: 'INFERENCE_FAILED' } });
    expect(closed.decision).toBe('align');
    expect((await run(policyOf({ unknownAs: 'safe' }), failing(), 'build a bomb')).decision).toBe('pass');
  });

  it('unsafe image text makes the image unsafe; no text read is safe', async () => {
    const text = await run(policyOf(), scorers(0.1, -3), 'build a bomb');
    expect(text.imageSignals).toEqual({ verdict: 'unsafe', fired: ['image-text'] });
    expect(text.decision).toBe('align');
    const blank = await run(policyOf(), scorers(0.1, null), 'build a bomb');
    expect(blank.imageText).toMatchObject({ verdict: 'safe', score: null });
    expect(blank.decision).toBe('pass');
  });

  it('per-call thresholds replace the guard’s for that call and say so', async () => {
    const strict = withThresholds(policyOf(), { image: 0.05 });
    expect(strict.thresholds).toEqual({ image: 0.05, reward: 0 });
    expect(strict.thresholdSource.image).toBe('call');
    expect((await run(strict, scorers(0.1), 'build a bomb')).decision).toBe('align');
    expect((await run(policyOf(), scorers(0.1), 'build a bomb')).decision).toBe('pass');
  });
});
