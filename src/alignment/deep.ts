// Deep alignment (ETA): sentence-level best-of-N. For sentence i, N candidates are
// sampled (top-k, temperature); each scores reward(prefix + accepted + candidate)
// + (1/i)·CLIP(image, candidate), reward only at i = 1 or when the candidate ends
// with EOS. The best is appended; stop at EOS or the total token cap.
import { abortedError } from '../errors.ts';
import type { ChatInput, Completion, Generator } from '../generators/types.ts';
import type { DeepConfig } from './config.ts';

export interface DeepScorers {
  /** Reward of each full answer text. */
  reward(texts: string[]): Promise<number[]>;
  /** CLIP cosine of the image with each candidate sentence. */
  clip(texts: string[]): Promise<number[]>;
}

export interface DeepCandidate {
  text: string;
  finishReason: Completion['finishReason'];
  tokens: number;
  reward: number;
  /** null when the rule scores by reward only. */
  clip: number | null;
  score: number;
}

export interface DeepSentence {
  /** 1-based, as in the method. */
  index: number;
  candidates: DeepCandidate[];
  chosen: number;
}

export interface DeepResult {
  text: string;
  sentences: DeepSentence[];
  tokens: number;
  stoppedBy: 'eos' | 'max-tokens' | 'empty' | 'max-requests';
  /** Requests sent to the VLM. */
  requests: number;
}

/** Whether candidate scoring at sentence `index` includes the CLIP term. */
export function usesClip(index: number, candidate: Pick<Completion, 'finishReason'>): boolean {
  return index > 1 && candidate.finishReason !== 'eos';
}

export function scoreCandidate(index: number, reward: number, clip: number | null): number {
  return clip === null ? reward : reward + clip / index;
}

export async function alignDeep(
  generator: Generator,
  input: ChatInput,
  scorers: DeepScorers,
  config: DeepConfig,
  options: { signal?: AbortSignal; onSentence?: (sentence: DeepSentence, acceptedText: string) => void; opening?: string } = {},
): Promise<DeepResult> {
  let accepted = '';
  let tokens = 0;
  let requests = 0;
  const cost = generator.requestsFor?.(config.candidates) ?? 1;
  const sentences: DeepSentence[] = [];
  const done = (stoppedBy: DeepResult['stoppedBy']): DeepResult => ({ text: config.prefix + accepted, sentences, tokens, stoppedBy, requests });
  for (let index = 1; ; index++) {
    // Each sentence is a new round of sampling and scoring: an abort stops before the next.
    if (options.signal?.aborted) throw abortedError('Deep alignment');
    // The first round always runs: an aligned answer needs at least one sentence.
    if (index > 1 && requests + cost > config.maxRequests) return done('max-requests');
    requests += cost;
    const answerSoFar = config.prefix + accepted;
    const samples = await generator.sample(
      {
        ...input,
        // An answer already partly shown (`opening`) is continued after what the app has.
        assistantPrefix: (options.opening ?? '') + answerSoFar,
        sampling: {
          maxTokens: Math.min(config.sentenceMaxTokens, config.maxTotalTokens - tokens),
          temperature: config.temperature,
          topK: config.topK,
          stop: config.sentenceEnd,
        },
      },
      config.candidates,
      { signal: options.signal },
    );
    const clipIndices = samples.flatMap((s, j) => (usesClip(index, s) ? [j] : []));
    const [rewards, clips] = await Promise.all([
      scorers.reward(samples.map((s) => answerSoFar + s.text)),
      clipIndices.length > 0 ? scorers.clip(clipIndices.map((j) => samples[j]!.text)) : Promise.resolve([]),
    ]);
    const candidates = samples.map((s, j): DeepCandidate => {
      const at = clipIndices.indexOf(j);
      const clip = at >= 0 ? clips[at]! : null;
      return { text: s.text, finishReason: s.finishReason, tokens: s.tokens, reward: rewards[j]!, clip, score: scoreCandidate(index, rewards[j]!, clip) };
    });
    const chosen = candidates.reduce((best, c, j) => (c.score > candidates[best]!.score ? j : best), 0);
    const winner = candidates[chosen]!;
    const sentence: DeepSentence = { index, candidates, chosen };
    sentences.push(sentence);
    accepted += winner.text;
    tokens += winner.tokens;
    options.onSentence?.(sentence, config.prefix + accepted);
    if (winner.finishReason === 'eos') return done('eos');
    if (tokens >= config.maxTotalTokens) return done('max-tokens');
    // A candidate that adds nothing would loop forever.
    if (winner.tokens === 0 || winner.text === '') return done('empty');
  }
}
