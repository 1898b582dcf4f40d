// Preference pairs from aligned answers (chosen = aligned, rejected = vanilla; deep
// alignment adds best-vs-worst candidate pairs per sentence), and their export as
// JSONL in the prompt/chosen/rejected layout DPO trainers read (TRL and kin).
import type { DeepSentence } from '../alignment/deep.ts';

export interface PreferencePair {
  id: string;
  createdAt: string;
  /** response: the whole answer; sentence: one deep-alignment step. */
  kind: 'response' | 'sentence';
  prompt: string;
  system?: string;
  chosen: string;
  rejected: string;
  /** SHA-256 (hex) of each image as exported (its data URL's bytes), in the order shown. */
  imageSha256s: string[];
  scores: { chosen: number | null; rejected: number | null; image: number | null };
  models: { clip: string; reward: string; generator: string };
  policy: { mode: string; thresholds: { image: number; reward: number } };
}

/** What the pairs are made from: a respond() result that was aligned, and its context. */
export interface AlignedAnswer {
  prompt: string;
  system?: string;
  imageSha256s: string[];
  vanilla: string;
  text: string;
  modeUsed: 'shallow' | 'deep';
  vanillaReward: number | null;
  alignedReward: number | null;
  imageScore: number | null;
  deep?: { sentences: DeepSentence[] };
  models: PreferencePair['models'];
  thresholds: { image: number; reward: number };
  prefix: string;
}

export function pairsFromAnswer(answer: AlignedAnswer, now = new Date(), newId: () => string = () => crypto.randomUUID()): PreferencePair[] {
  const common = {
    createdAt: now.toISOString(),
    prompt: answer.prompt,
    ...(answer.system ? { system: answer.system } : {}),
    imageSha256s: answer.imageSha256s,
    models: answer.models,
    policy: { mode: answer.modeUsed, thresholds: answer.thresholds },
  };
  const pairs: PreferencePair[] = [];
  if (answer.text !== answer.vanilla) {
    pairs.push({
      ...common,
      id: newId(),
      kind: 'response',
      chosen: answer.text,
      rejected: answer.vanilla,
      scores: { chosen: answer.alignedReward, rejected: answer.vanillaReward, image: answer.imageScore },
    });
  }
  // Deep alignment: per sentence, the chosen candidate against the lowest-scoring one,
  // both continuing the same accepted answer.
  let context = answer.prefix;
  for (const sentence of answer.deep?.sentences ?? []) {
    const best = sentence.candidates[sentence.chosen]!;
    const worst = sentence.candidates.reduce((w, c) => (c.score < w.score ? c : w), best);
    if (worst.text !== best.text) {
      pairs.push({
        ...common,
        id: newId(),
        kind: 'sentence',
        chosen: context + best.text,
        rejected: context + worst.text,
        scores: { chosen: best.score, rejected: worst.score, image: answer.imageScore },
      });
    }
    context += best.text;
  }
  return pairs;
}

/**
 * One JSON object a line: `prompt`, `chosen`, `rejected`, `images` (["sha256:…"] or
 * data URLs) and `metadata` (kind, scores, models, policy, time).
 */
export function toJsonl(pairs: readonly PreferencePair[], imageUrls?: ReadonlyMap<string, string>): string {
  return pairs
    .map((pair) =>
      JSON.stringify({
        prompt: pair.system ? `${pair.system}\n\n${pair.prompt}` : pair.prompt,
        chosen: pair.chosen,
        rejected: pair.rejected,
        images: pair.imageSha256s.map((sha) => imageUrls?.get(sha) ?? `sha256:${sha}`),
        metadata: { id: pair.id, kind: pair.kind, createdAt: pair.createdAt, scores: pair.scores, models: pair.models, policy: pair.policy },
      }),
    )
    .map((line) => `${line}\n`)
    .join('');
}
