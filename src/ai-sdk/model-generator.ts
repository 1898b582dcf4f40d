// The app's own AI SDK model as the guard's generator: alignment goes through the model
// (and provider) that produced the answer, with the app's call as it was — its images,
// messages, tools and settings — plus what alignment adds.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3GenerateResult, SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { Completion, FinishReason, GenerateOptions, GenerateRequest, Generator } from '../generators/types.ts';
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

function finishOf(result: LanguageModelV3GenerateResult): FinishReason {
  const reason = result.finishReason.unified;
  return reason === 'length' ? 'length' : 'eos';
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

  /** The app's call with this request's prefix and sampling (its prompt text and images are the app's). */
  #call(request: GenerateRequest, signal: AbortSignal | undefined): LanguageModelV3CallOptions {
    const { sampling } = request;
    let params: LanguageModelV3CallOptions = {
      ...this.#params,
      maxOutputTokens: sampling.maxTokens,
      temperature: sampling.temperature,
      ...(sampling.topK !== undefined ? { topK: sampling.topK } : {}),
      ...(sampling.stop ? { stopSequences: sampling.stop } : {}),
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
    const result = await this.#model.doGenerate(this.#call(request, options.signal));
    let text = result.content.flatMap((c) => (c.type === 'text' ? [c.text] : [])).join('');
    // Regenerated: the model was asked to begin with the prefix; the continuation is what follows it.
    const prefix = request.assistantPrefix ?? '';
    if (this.#continuation.kind === 'regenerate' && prefix) text = text.trimStart().startsWith(prefix) ? text.trimStart().slice(prefix.length) : ` ${text.trimStart()}`;
    options.onToken?.(text);
    const tokens = result.usage.outputTokens.total;
    return { text, finishReason: finishOf(result), tokens: tokens ?? text.length, ...(tokens === undefined ? { tokensEstimated: true } : {}) };
  }

  /** `n` samples, requested concurrently (a provider has no common way to ask for several at once). */
  sample(request: GenerateRequest, n: number, options: { signal?: AbortSignal } = {}): Promise<Completion[]> {
    return Promise.all(Array.from({ length: n }, () => this.generate(request, options)));
  }

  requestsFor(n: number): number {
    return n;
  }
}
