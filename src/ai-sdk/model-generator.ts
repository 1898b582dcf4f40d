// The app's own AI SDK model as the guard's generator: alignment goes through the model
// (and provider) that produced the answer, with the app's call as it was — its images,
// messages, tools and settings — plus what alignment adds.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3FinishReason, LanguageModelV3GenerateResult, SharedV3ProviderOptions } from '@ai-sdk/provider';
import { GuardError } from '../errors.ts';
import { type Completion, type FinishReason, type GenerateOptions, type GenerateRequest, type Generator, type SampleOptions, cutAtStop, estimateTokens, sampleConcurrently } from '../generators/types.ts';
import { withAssistantPrefix, withSystemNote } from './prompt.ts';

/**
 * How the model continues an answer that must start with the safety prefix:
 * - `continue`: an assistant turn holding the prefix goes last and the model continues it
 *   (with `providerOptions` the provider needs for that, e.g. vLLM's continue_final_message);
 *   deep alignment needs this.
 * - `regenerate`: a safety note as the first system message, the answer asked to begin with
 *   the prefix and generated anew (any provider; shallow alignment only).
 */
export type Continuation = { kind: 'continue'; providerOptions?: SharedV3ProviderOptions } | { kind: 'regenerate'; note: string };

/**
 * The AI SDK says `stop` both for the model's own end and for a stop sequence, so stop
 * sequences are never handed to the provider: a stream is cut here at the first one (and
 * the rest not generated), and a `stop` finish is then the model's own end (EOS).
 */
const finishOf = (unified: LanguageModelV3FinishReason['unified']): FinishReason => (unified === 'length' ? 'length' : 'eos');

/** What one generation gave: the raw text, why it ended, the token count when the provider said it. */
interface Generated {
  text: string;
  finishReason: FinishReason;
  tokens: number | undefined;
}

function mergeProviderOptions(a: SharedV3ProviderOptions | undefined, b: SharedV3ProviderOptions | undefined): SharedV3ProviderOptions | undefined {
  if (!a || !b) return a ?? b;
  const merged: SharedV3ProviderOptions = { ...a };
  for (const [provider, options] of Object.entries(b)) merged[provider] = { ...a[provider], ...options };
  return merged;
}

export class LanguageModelGenerator implements Generator {
  readonly id: string;
  readonly #model: LanguageModelV3;
  readonly #params: LanguageModelV3CallOptions;
  readonly #continuation: Continuation;

  constructor(model: LanguageModelV3, params: LanguageModelV3CallOptions, continuation: Continuation) {
    this.#model = model;
    this.#params = params;
    this.#continuation = continuation;
    this.id = `ai-sdk:${model.provider} ${model.modelId}`;
  }

  /** The app's call with this request's prefix and sampling (its prompt text and images are the app's); a request with stop strings of its own sends no stop sequences (see finishOf). */
  #call(request: GenerateRequest, signal: AbortSignal | undefined): LanguageModelV3CallOptions {
    const { sampling } = request;
    const app: LanguageModelV3CallOptions = { ...this.#params };
    if (sampling.stop?.length) delete app.stopSequences;
    let params: LanguageModelV3CallOptions = {
      ...app,
      maxOutputTokens: sampling.maxTokens,
      temperature: sampling.temperature,
      ...(sampling.topK !== undefined ? { topK: sampling.topK } : {}),
      ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      ...(signal ? { abortSignal: signal } : {}),
    };
    const prefix = request.assistantPrefix;
    if (prefix === undefined || prefix === '') return params;
    if (this.#continuation.kind === 'continue') {
      params = withAssistantPrefix(params, prefix);
      const providerOptions = mergeProviderOptions(params.providerOptions, this.#continuation.providerOptions);
      return providerOptions ? { ...params, providerOptions } : params;
    }
    return withSystemNote(params, `${this.#continuation.note} Begin your answer with "${prefix}".`);
  }

  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<Completion> {
    const stop = request.sampling.stop ?? [];
    const generated = stop.length ? await this.#streamToStop(request, stop, options.signal) : await this.#whole(request, options.signal);
    let { text } = generated;
    // Regenerated: the model was asked to begin with the prefix; the continuation is what follows it.
    const prefix = request.assistantPrefix ?? '';
    if (this.#continuation.kind === 'regenerate' && prefix) text = text.trimStart().startsWith(prefix) ? text.trimStart().slice(prefix.length) : ` ${text.trimStart()}`;
    options.onToken?.(text);
    const { tokens } = generated;
    return { text, finishReason: generated.finishReason, tokens: tokens ?? estimateTokens(text), ...(tokens === undefined ? { tokensEstimated: true } : {}) };
  }

  async #whole(request: GenerateRequest, signal: AbortSignal | undefined): Promise<Generated> {
    const result: LanguageModelV3GenerateResult = await this.#model.doGenerate(this.#call(request, signal));
    const text = result.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    return { text, finishReason: finishOf(result.finishReason.unified), tokens: result.usage.outputTokens.total };
  }

  /** Streams until the first stop string (the text ends right after it; the model is stopped) or the model's own finish. */
  async #streamToStop(request: GenerateRequest, stop: readonly string[], signal: AbortSignal | undefined): Promise<Generated> {
    const local = new AbortController();
    const { stream } = await this.#model.doStream(this.#call(request, signal ? AbortSignal.any([signal, local.signal]) : local.signal));
    const reader = stream.getReader();
    let text = '';
    try {
      for (;;) {
        const { done, value: part } = await reader.read();
        if (done) throw new GuardError('GENERATOR_STREAM_MALFORMED', `${this.id}: the stream ended without a finish part.`);
        if (part.type === 'error') throw part.error instanceof Error ? part.error : new GuardError('INFERENCE_FAILED', `${this.id}: ${String(part.error)}`);
        if (part.type === 'finish') return { text, finishReason: finishOf(part.finishReason.unified), tokens: part.usage.outputTokens.total };
        if (part.type !== 'text-delta') continue;
        const cut = cutAtStop(text + part.delta, stop);
        if (cut !== null) return { text: cut, finishReason: 'stop', tokens: undefined };
        text += part.delta;
      }
    } finally {
      local.abort(); // the rest is not wanted: stop the model generating it
      reader.cancel().catch(() => undefined);
    }
  }

  /** `n` samples, requested concurrently (a provider has no common way to ask for several at once). */
  sample(request: GenerateRequest, n: number, { signal, onCandidate }: SampleOptions = {}): Promise<Completion[]> {
    return sampleConcurrently(n, () => this.generate(request, signal ? { signal } : {}), onCandidate);
  }

  requestsFor(n: number): number {
    return n;
  }
}
