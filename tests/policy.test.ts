import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { findModel, parseManifest } from '../src/runtime/manifest.ts';
import { ETA_DEFAULTS } from '../src/eta/defaults.ts';
import { resolvePolicy } from '../src/eta/policy.ts';

const manifest = parseManifest(JSON.parse(readFileSync('models/manifest.json', 'utf8')), 'models/manifest.json');
const models = {
  clipId: 'test-clip',
  clip: findModel(manifest, 'test-clip', 'clip'),
  rewardId: 'test-reward',
  reward: findModel(manifest, 'test-reward', 'reward'),
};

describe('policy resolution', () => {
  it('takes per-model thresholds from the manifest by default', () => {
    const policy = resolvePolicy(undefined, models);
    expect(policy.thresholds).toEqual({ image: 0.5, reward: 0 });
    expect(policy.thresholdSource).toEqual({ image: 'manifest (test-clip)', reward: 'manifest (test-reward)' });
    expect(policy).toMatchObject({ preset: 'manifest', unknownAs: 'unsafe', order: 'parallel' });
  });

  it('has an eta-paper preset with the paper thresholds 0.16 / 0.06', () => {
    expect(ETA_DEFAULTS.paperThresholds).toEqual({ image: 0.16, reward: 0.06 });
    expect(resolvePolicy('eta-paper', models).thresholds).toEqual({ image: 0.16, reward: 0.06 });
  });

  it('lets any number be overridden and records where each came from', () => {
    const policy = resolvePolicy({ preset: 'eta-paper', thresholds: { reward: -1 }, unknownAs: 'safe', order: 'reference' }, models);
    expect(policy.thresholds).toEqual({ image: 0.16, reward: -1 });
    expect(policy.thresholdSource).toEqual({ image: 'preset eta-paper', reward: 'override' });
    expect(policy.unknownAs).toBe('safe');
    expect(policy.order).toBe('reference');
  });
});
