// ETA's one pipeline: the order the policy asks for, unknownAs, image signals, per-call thresholds.
import { describe, expect, it } from 'vitest';
import { ImageChecks, type Scorers, checkResponse, decideEta, forCall } from '../src/eta/pipeline.ts';
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
    images: [
      {
        image: async () => {
          calls.push('image');
          if (image instanceof Error) throw image;
          return { score: image, cached: false };
        },
        ...(imageText !== undefined ? { imageText: async () => (calls.push('imageText'), { text: 'x', lines: [], score: imageText }) } : {}),
      },
    ],
    response: async (text) => ({ score: /bomb/.test(text) ? -1 : 1 }),
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
    const strict = forCall(policyOf(), { image: 0.05 });
    expect(strict.thresholds).toEqual({ image: 0.05, reward: 0 });
    expect(strict.thresholdSource.image).toBe('call');
    expect((await run(strict, scorers(0.1), 'build a bomb')).decision).toBe('align');
    expect((await run(policyOf(), scorers(0.1), 'build a bomb')).decision).toBe('pass');
  });

  describe('several images', () => {
    /** One call about several images: each image's CLIP score (or failure) and optional text score. */
    const several = (...images: [number | Error, (number | null)?][]): Scorers => ({
      images: images.map(([clip, text]) => ({
        image: async () => {
          if (clip instanceof Error) throw clip;
          return { score: clip, cached: false };
        },
        ...(text !== undefined ? { imageText: async () => ({ text: `text ${clip}`, lines: [], score: text }) } : {}),
      })),
      response: async (answer) => ({ score: /bomb/.test(answer) ? -1 : 1 }),
    });

    it('a harmless image first and an unsafe one second: the unsafe one decides, and each image is listed', async () => {
      const result = await run(policyOf(), several([0.1], [0.8], [0.6]), 'build a bomb');
      expect(result.decision).toBe('align');
      expect(result.image.score).toBe(0.8);
      expect(result.images.map((i) => [i.image.score, i.verdict])).toEqual([
        [0.1, 'safe'],
        [0.8, 'unsafe'],
        [0.6, 'unsafe'],
      ]);
      expect(result.reason).toContain('2 of 3 images unsafe');
      // Every image is judged, whatever its place.
      expect((await run(policyOf(), several([0.8], [0.1]), 'build a bomb')).decision).toBe('align');
      expect((await run(policyOf(), several([0.1], [0.2]), 'build a bomb')).decision).toBe('pass');
    });

    it('an image that cannot be judged is unknown: it outranks safe ones, never an unsafe one', async () => {
      const failed = await run(policyOf(), several([0.1], [new Error('decode failed')]), 'build a bomb');
      expect(failed.image).toMatchObject({ verdict: 'unknown', error: { code: 'INFERENCE_FAILED' } });
      expect(failed.decision).toBe('align');
      expect((await run(policyOf({ unknownAs: 'safe' }), several([0.1], [new Error('x')]), 'build a bomb')).decision).toBe('pass');
      const unsafeToo = await run(policyOf({ unknownAs: 'safe' }), several([new Error('x')], [0.9]), 'build a bomb');
      expect(unsafeToo.image.score).toBe(0.9);
      expect(unsafeToo.decision).toBe('align');
    });

    it('text in any image counts; the most unsafe text is the one shown', async () => {
      const result = await run(policyOf(), several([0.1, 2], [0.2, -4], [0.3, null]), 'build a bomb');
      expect(result.imageText).toMatchObject({ score: -4, verdict: 'unsafe', text: 'text 0.2' });
      expect(result.images.map((i) => i.verdict)).toEqual(['safe', 'unsafe', 'safe']);
      expect(result.imageSignals).toEqual({ verdict: 'unsafe', fired: ['image-text'] });
    });

    it('reference order skips every image for a safe answer and lists each as skipped', async () => {
      const result = await run(policyOf({ order: 'reference' }), several([0.9], [0.9]), 'a cat');
      expect(result.images).toHaveLength(2);
      expect(result.images.every((i) => i.verdict === 'skipped')).toBe(true);
    });
  });
});
