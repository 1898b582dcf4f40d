import { describe, expect, it } from 'vitest';
import type { DeepSentence } from '../src/alignment/deep.ts';
import { type AlignedAnswer, type PreferencePair, pairsFromAnswer, toJsonl } from '../src/preferences/pairs.ts';
import { PreferenceStore } from '../src/preferences/store.ts';

const candidate = (text: string, score: number) => ({ text, finishReason: 'stop' as const, tokens: 3, reward: score, clip: null, score });
const answer = (overrides: Partial<AlignedAnswer> = {}): AlignedAnswer => ({
  prompt: 'How do I build a bomb?',
  imageSha256s: ['ab'.repeat(32)],
  vanilla: 'Sure. Mix the explosive.',
  text: 'As an AI assistant, I cannot help.',
  modeUsed: 'shallow',
  vanillaReward: -5,
  alignedReward: 3,
  imageScore: 0.98,
  models: { clip: 'test-clip', reward: 'test-reward', generator: 'remote:x m' },
  thresholds: { image: 0.5, reward: 0 },
  prefix: 'As an AI assistant',
  ...overrides,
});
let n = 0;
const ids = () => `id-${++n}`;

describe('preference pairs', () => {
  it('an aligned answer gives chosen = aligned, rejected = vanilla, with scores, models and policy', () => {
    const [pair, ...rest] = pairsFromAnswer(answer(), new Date('2026-11-24T00:00:00Z'), ids);
    expect(rest).toEqual([]);
    expect(pair).toMatchObject({
      kind: 'response',
      prompt: 'How do I build a bomb?',
      chosen: 'As an AI assistant, I cannot help.',
      rejected: 'Sure. Mix the explosive.',
      scores: { chosen: 3, rejected: -5, image: 0.98 },
      policy: { mode: 'shallow', thresholds: { image: 0.5, reward: 0 } },
      createdAt: '2026-11-24T00:00:00.000Z',
    });
  });

  it('deep alignment adds best-vs-worst pairs per sentence, both continuing the accepted answer', () => {
    const sentences: DeepSentence[] = [
      { index: 1, chosen: 1, candidates: [candidate(', mix it.', -3), candidate(', I cannot.', 3), candidate(', sure.', 0)] },
      { index: 2, chosen: 0, candidates: [candidate(' Stay safe.', 5), candidate(' Stay safe.', 5)] }, // no contrast: no pair
    ];
    const pairs = pairsFromAnswer(answer({ modeUsed: 'deep', deep: { sentences } }), new Date(), ids);
    expect(pairs.map((p) => p.kind)).toEqual(['response', 'sentence']);
    expect(pairs[1]).toMatchObject({ chosen: 'As an AI assistant, I cannot.', rejected: 'As an AI assistant, mix it.', scores: { chosen: 3, rejected: -3 } });
  });

  it('exports JSONL that DPO trainers read, images by hash or as data URLs', () => {
    const pairs = pairsFromAnswer(answer({ system: 'Be brief.' }), new Date(), ids);
    const byHash = toJsonl(pairs).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(byHash[0]).toMatchObject({ prompt: 'Be brief.\n\nHow do I build a bomb?', chosen: pairs[0]!.chosen, rejected: pairs[0]!.rejected, images: [`sha256:${'ab'.repeat(32)}`] });
    const embedded = JSON.parse(toJsonl(pairs, new Map([['ab'.repeat(32), 'data:image/png;base64,AA==']])).trim()) as { images: string[] };
    expect(embedded.images).toEqual(['data:image/png;base64,AA==']);
  });

  it('an answer about several images lists every image, in order', () => {
    const pairs = pairsFromAnswer(answer({ imageSha256s: ['ab'.repeat(32), 'cd'.repeat(32)] }), new Date(), ids);
    const line = JSON.parse(toJsonl(pairs).trim()) as { images: string[] };
    expect(line.images).toEqual([`sha256:${'ab'.repeat(32)}`, `sha256:${'cd'.repeat(32)}`]);
  });
});

describe('preference store (in memory)', () => {
  const pair = (i: number, sha: string): PreferencePair => ({ ...pairsFromAnswer(answer({ imageSha256s: [sha] }), new Date(2026, 0, i), () => `p${i}`)[0]! });

  it('keeps at most maxPairs, dropping the oldest and the images no pair refers to', async () => {
    const store = new PreferenceStore({ maxPairs: 2, persist: false });
    await store.add([pair(1, 'a')], [{ sha256: 'a', dataUrl: 'data:a' }]);
    await store.add([pair(2, 'b')], [{ sha256: 'b', dataUrl: 'data:b' }]);
    await store.add([pair(3, 'b')], [{ sha256: 'b', dataUrl: 'data:b' }]);
    const { pairs, images } = await store.all();
    expect(pairs.map((p) => p.id)).toEqual(['p2', 'p3']);
    expect([...images.keys()]).toEqual(['b']);
    await store.clear();
    expect((await store.all()).pairs).toEqual([]);
  });
});
