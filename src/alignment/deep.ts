// Deep alignment (ETA): sentence-level best-of-N. For sentence i, N candidates are
// sampled (top-k, temperature); each scores reward(prefix + accepted + candidate)
// + (α/i)·CLIP(image, candidate) — the CLIP term for the whole round, and only when i > 1
// and no candidate of the round ended with EOS; otherwise the round is ranked by reward
// alone (the reference's accept_check, DripNowhy/ETA generate/base_class.py). The best
// is appended; stop at EOS or the total token cap.
import { GuardError, abortedError } from '../errors.ts';
import type { ChatInput, Completion, GenerateRequest, Generator } from '../generators/types.ts';
import type { DeepConfig } from './config.ts';
import { MicroBatch } from '../concurrency/micro-batch.ts';
import { sentenceEnd } from './sentence-end.ts';

export interface DeepScorers {
  /** Reward of each full answer text, under `instruction` when given (else the guard's). */
  reward(texts: string[], instruction?: string): Promise<number[]>;
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

/** A complete candidate with its reward, and its CLIP score while the round may use one. */
interface Scored {
  whole: Completion;
  reward: number;
  clip: Promise<number> | null;
}

export interface DeepResult {
  text: string;
  sentences: DeepSentence[];
  tokens: number;
  stoppedBy: 'eos' | 'max-tokens' | 'empty' | 'max-requests';
  /** Requests sent to the VLM. */
  requests: number;
}

/**
 * What the VLM is asked to stop at: the marks themselves (the token rule), or a mark followed
 * by white space (the sentence rule: "3.5" does not stop it; an abbreviation is continued).
 */
function stopStrings(config: DeepConfig): string[] {
  return config.sentenceRule === 'token' ? config.sentenceEnd : config.sentenceEnd.flatMap((mark) => [`${mark} `, `${mark}\n`]);
}

/**
 * A candidate as the sentence rule keeps it: stopped at ". ", it ends at the mark — the white
 * space is left to the next sentence, which a model writes as part of its next word (a prefix
 * ending in a space makes it write a second one).
 */
function atMark(candidate: Completion, config: DeepConfig): Completion {
  const stoppedAt = config.sentenceRule === 'sentence' && candidate.finishReason === 'stop' && stopStrings(config).some((stop) => candidate.text.endsWith(stop));
  return stoppedAt ? { ...candidate, text: candidate.text.slice(0, -1) } : candidate;
}

/** Whether a candidate stopped at a mark that ends no sentence ("e.g."): under the sentence rule it goes on. */
const stoppedMidSentence = (candidate: Completion, config: DeepConfig) =>
  config.sentenceRule === 'sentence' &&
  candidate.finishReason === 'stop' &&
  config.sentenceEnd.some((mark) => candidate.text.endsWith(mark)) &&
  sentenceEnd(candidate.text, config.sentenceEnd, 'sentence', 0, true) < 0;

/**
 * Whether round `index` is scored with the CLIP term: from the second sentence on, and only
 * when no candidate of the round ended (EOS) — one rule for the whole round, so reward-only
 * and reward+CLIP scores are never ranked against each other (accept_check: `sentence_idx > 1
 * and not check_end(candidate_list)`; a candidate cut by the token cap has not ended).
 */
export function roundUsesClip(index: number, round: readonly Pick<Completion, 'finishReason'>[]): boolean {
  return index > 1 && !round.some((candidate) => candidate.finishReason === 'eos');
}

/** reward + (weight / index)·CLIP, or the reward alone when the round has no CLIP term (accept_check's `alpha` is the weight, 1 there). */
export function scoreCandidate(index: number, reward: number, clip: number | null, weight = 1): number {
  return clip === null ? reward : reward + (weight / index) * clip;
}

interface Round {
  generator: Generator;
  round: GenerateRequest;
  /** The sentence's 1-based index. */
  index: number;
  answerSoFar: string;
  scorers: DeepScorers;
  config: DeepConfig;
  /** Requests sent so far, against config.maxRequests (continuations count too). */
  budget: { requests: number };
  signal?: AbortSignal;
}

/**
 * One round: N candidates sampled and scored. Each candidate is scored as soon as it is
 * complete (a stop after an abbreviation goes on first), in one batched run per model for the
 * candidates complete at the same time.
 */
async function runRound(round: Round): Promise<DeepCandidate[]> {
  // A round that fails (its sampling, or one candidate's continuation or scores) stops the
  // work its other candidates still have: continuation requests (paid for) and scoring.
  const stop = new AbortController();
  try {
    return await roundOf(round, round.signal ? AbortSignal.any([round.signal, stop.signal]) : stop.signal);
  } catch (error) {
    stop.abort(error);
    throw error;
  }
}

async function roundOf({ generator, round, index, answerSoFar, scorers, config, budget }: Round, signal: AbortSignal): Promise<DeepCandidate[]> {
  const rewardBatch = new MicroBatch<string, number>((texts) => scorers.reward(texts, config.rewardInstruction));
  const clipBatch = new MicroBatch<string, number>((texts) => scorers.clip(texts));
  const wholeSentence = async (sample: Completion): Promise<Completion> => {
    let whole = atMark(sample, config);
    // Under the sentence rule a candidate stopped at an abbreviation ("e.g. ") goes on, a request at a time, within the budget.
    while (whole.tokens < round.sampling.maxTokens && stoppedMidSentence(whole, config) && budget.requests + 1 <= config.maxRequests) {
      budget.requests++;
      const more = await generator.generate(
        { ...round, assistantPrefix: round.assistantPrefix + whole.text, sampling: { ...round.sampling, maxTokens: round.sampling.maxTokens - whole.tokens } },
        { signal },
      );
      whole = atMark({ text: whole.text + more.text, finishReason: more.finishReason, tokens: whole.tokens + more.tokens }, config);
    }
    return whole;
  };
  let ended = false;
  const scoring = new Map<number, Promise<Scored>>();
  const score = (j: number, sample: Completion) => {
    if (scoring.has(j)) return;
    const scored = (async (): Promise<Scored> => {
      const whole = await wholeSentence(sample);
      signal.throwIfAborted(); // the round failed while this candidate was being continued
      ended ||= whole.finishReason === 'eos';
      // A round with an ended candidate is ranked by reward alone: CLIP is asked only while none has.
      const clip = index > 1 && !ended ? clipBatch.add(whole.text) : null;
      clip?.catch(() => undefined); // read only if the round keeps its CLIP term
      return { whole, reward: await rewardBatch.add(answerSoFar + whole.text), clip };
    })();
    scored.catch(() => undefined); // a failed candidate fails the round below, through Promise.all
    scoring.set(j, scored);
  };
  const samples = await generator.sample(round, config.candidates, { signal, onCandidate: score });
  // Generators that report none (or not all) as they complete: all are known, so CLIP is not asked for a round that ended.
  ended ||= samples.some((sample) => sample.finishReason === 'eos');
  samples.forEach((sample, j) => score(j, sample));
  const scored = await Promise.all(samples.map((_, j) => scoring.get(j)!));
  const withClip = roundUsesClip(index, scored.map((s) => s.whole));
  const clips = withClip ? await Promise.all(scored.map((s) => s.clip ?? clipBatch.add(s.whole.text))) : null;
  return scored.map(({ whole, reward }, j): DeepCandidate => {
    const clip = clips ? clips[j]! : null;
    return { text: whole.text, finishReason: whole.finishReason, tokens: whole.tokens, reward, clip, score: scoreCandidate(index, reward, clip, config.clipWeight) };
  });
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
  const budget = { requests: 0 };
  const cost = generator.requestsFor?.(config.candidates) ?? 1;
  const sentences: DeepSentence[] = [];
  const done = (stoppedBy: DeepResult['stoppedBy']): DeepResult => ({ text: config.prefix + accepted, sentences, tokens, stoppedBy, requests: budget.requests });
  // An aligned answer needs at least one round: a budget that cannot pay for one is refused before anything is sent.
  if (cost > config.maxRequests) {
    throw new GuardError(
      'OPTIONS_INVALID',
      `alignment.deep.maxRequests is ${config.maxRequests}, but one round of ${config.candidates} candidates takes ${cost} requests to ${generator.id}: raise maxRequests or lower candidates.`,
      { maxRequests: String(config.maxRequests), requestsPerRound: String(cost) },
    );
  }
  for (let index = 1; ; index++) {
    // Each sentence is a new round of sampling and scoring: an abort stops before the next.
    if (options.signal?.aborted) throw abortedError('Deep alignment');
    if (budget.requests + cost > config.maxRequests) return done('max-requests');
    budget.requests += cost;
    const answerSoFar = config.prefix + accepted;
    // An answer already partly shown (`opening`) is continued after what the app has.
    const round: GenerateRequest = {
      ...input,
      assistantPrefix: (options.opening ?? '') + answerSoFar,
      sampling: { maxTokens: Math.min(config.sentenceMaxTokens, config.maxTotalTokens - tokens), temperature: config.temperature, topK: config.topK, stop: stopStrings(config) },
    };
    const candidates = await runRound({ generator, round, index, answerSoFar, scorers, config, budget, ...(options.signal ? { signal: options.signal } : {}) });
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
