// A remote VLM behind an OpenAI-compatible API. Streams /v1/chat/completions over SSE;
// continues a partial assistant message the way the server supports it.
import * as v from 'valibot';
import { GuardError, abortedError } from '../../errors.ts';
import { parseOption } from '../../validation.ts';
import { type Completion, type FinishReason, type GenerateOptions, type GenerateRequest, type Generator, type SampleOptions, sampleConcurrently } from '../types.ts';
import { type ChoiceStreamsOptions, ChoiceStreams, type StreamChoice, type StreamChunk } from './choice-streams.ts';
import { CHATML_TEMPLATE, renderContinuationPrompt } from './chat-template.ts';
import { type RetryOptions, postWithRetry } from './http.ts';
import { jsonBody } from './json-body.ts';
import { imageList } from '../../images/image-input.ts';
import { imagePayload, imageToUrl, imageUrlValue } from '../../images/image-url.ts';
import { readSseJson } from './sse.ts';

/**
 * How the server continues a partial assistant message:
 * - `continue-final-message`: vLLM — chat request ending in the assistant message, with
 *   `continue_final_message: true, add_generation_prompt: false`.
 * - `completions`: raw `/v1/completions` with the prompt rendered by `chatTemplate`
 *   (llama.cpp server, Ollama's OpenAI endpoint). An image goes in llama.cpp's prompt
 *   object `{ prompt_string, multimodal_data: [base64] }`, marked by `imageMarker`.
 * - `none`: no continuation: alignment is unavailable (GENERATOR_UNSUPPORTED).
 */
export const CONTINUATION_MODES = ['continue-final-message', 'completions', 'none'] as const;
export type ContinuationMode = (typeof CONTINUATION_MODES)[number];

/** The remote adapter's defaults (vLLM's capabilities; retries and timeouts), each overridable. */
export const REMOTE_DEFAULTS = {
  capabilities: { continuation: 'continue-final-message' as ContinuationMode, n: true, topK: true, stopReason: false },
  /** llama.cpp's media marker, where the image goes in a rendered prompt. */
  imageMarker: '<__media__>',
  timeouts: { firstByteMs: 60_000, idleMs: 30_000 },
  retry: { maxRetries: 3, baseDelayMs: 500, maxDelayMs: 8000 },
};

const Ms = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3_600_000));
const d = REMOTE_DEFAULTS;
export const RemoteGeneratorOptionsSchema = v.strictObject({
  /** e.g. `http://127.0.0.1:8000/v1` (absolute). */
  baseUrl: v.pipe(v.string(), v.url('must be an absolute URL')),
  /** The model to ask for; left out, the server's own (vLLM and llama.cpp serve one model). */
  model: v.optional(v.pipe(v.string(), v.nonEmpty())),
  apiKey: v.optional(v.string()),
  headers: v.optional(v.record(v.string(), v.string())),
  capabilities: v.optional(
    v.strictObject({
      /** How the server continues a partial assistant message (see ContinuationMode). */
      continuation: v.optional(v.picklist(CONTINUATION_MODES), d.capabilities.continuation),
      /** Several samples per request (`n`); else samples are requested concurrently. */
      n: v.optional(v.boolean(), d.capabilities.n),
      /** Accepts `top_k` (vLLM, llama.cpp, Ollama do; OpenAI does not). */
      topK: v.optional(v.boolean(), d.capabilities.topK),
      /** Reports which stop string ended a choice (vLLM's `stop_reason`), so `stop` can be sent to the server; else stop strings are applied here. */
      stopReason: v.optional(v.boolean(), d.capabilities.stopReason),
    }),
    {},
  ),
  /** Jinja chat template for `completions` continuation (default ChatML). */
  chatTemplate: v.optional(v.pipe(v.string(), v.nonEmpty()), CHATML_TEMPLATE),
  imageMarker: v.optional(v.pipe(v.string(), v.nonEmpty()), d.imageMarker),
  timeouts: v.optional(v.strictObject({ firstByteMs: v.optional(Ms, d.timeouts.firstByteMs), idleMs: v.optional(Ms, d.timeouts.idleMs) }), {}),
  retry: v.optional(
    v.strictObject({
      maxRetries: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(20)), d.retry.maxRetries),
      baseDelayMs: v.optional(v.pipe(v.number(), v.minValue(0)), d.retry.baseDelayMs),
      maxDelayMs: v.optional(v.pipe(v.number(), v.minValue(0)), d.retry.maxDelayMs),
    }),
    {},
  ),
  fetch: v.optional(v.custom<typeof fetch>((f) => typeof f === 'function', 'must be a fetch function')),
});

export type RemoteGeneratorOptions = v.InferInput<typeof RemoteGeneratorOptionsSchema>;
export type RemoteCapabilities = Required<NonNullable<RemoteGeneratorOptions['capabilities']>>;
type Resolved = v.InferOutput<typeof RemoteGeneratorOptionsSchema>;

export class RemoteGenerator implements Generator {
  readonly id: string;
  readonly capabilities: RemoteCapabilities;
  readonly #options: Resolved & { baseUrl: string };
  readonly #retry: RetryOptions;
  readonly #firstByteMs: number;
  readonly #idleMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: RemoteGeneratorOptions) {
    const o = parseOption(RemoteGeneratorOptionsSchema, options, 'RemoteGenerator options');
    this.#options = { ...o, baseUrl: new URL(o.baseUrl).href.replace(/\/+$/, '') };
    this.capabilities = o.capabilities;
    this.#retry = o.retry;
    this.#firstByteMs = o.timeouts.firstByteMs;
    this.#idleMs = o.timeouts.idleMs;
    this.#fetch = o.fetch ?? globalThis.fetch.bind(globalThis);
    this.id = `remote:${this.#options.baseUrl} ${o.model ?? '(server model)'}`;
  }

  /** One request with `n`, or n concurrent ones where the server has no `n`. */
  requestsFor(n: number): number {
    return this.capabilities.n ? 1 : n;
  }

  async generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<Completion> {
    const { onToken } = options;
    const [completion] = await this.#stream(request, 1, { ...(options.signal ? { signal: options.signal } : {}), ...(onToken ? { onToken: (_: number, delta: string) => onToken(delta) } : {}) });
    return completion!;
  }

  /**
   * `n` samples from one streamed request (vLLM's `n`), or from n concurrent ones where the
   * server has none. Each is complete at its stop string or finish (`onCandidate` hears of it
   * then), and the request ends once all are.
   */
  async sample(request: GenerateRequest, n: number, options: SampleOptions = {}): Promise<Completion[]> {
    if (!Number.isInteger(n) || n < 1) throw new GuardError('INPUT_INVALID', `sample: n must be a whole number ≥ 1, got ${n}.`);
    if (!this.capabilities.n && n > 1) {
      return sampleConcurrently(n, () => this.generate(request, options.signal ? { signal: options.signal } : {}), options.onCandidate);
    }
    const { onCandidate } = options;
    return this.#stream(request, n, { ...(options.signal ? { signal: options.signal } : {}), ...(onCandidate ? { onComplete: onCandidate } : {}) });
  }

  async #stream(
    request: GenerateRequest,
    n: number,
    options: { signal?: AbortSignal } & Pick<ChoiceStreamsOptions, 'onToken' | 'onComplete'>,
  ): Promise<Completion[]> {
    const { url, body } = await this.#build(request, n);
    const response = await this.#post(url, { ...body, stream: true, stream_options: { include_usage: true } }, options.signal);
    const choices = new ChoiceStreams({
      n,
      stop: this.#sendsStop ? null : (request.sampling.stop ?? null),
      finishReason: (finish, stopReason) => this.#finishReason(finish, stopReason),
      url,
      ...(options.onToken ? { onToken: options.onToken } : {}),
      ...(options.onComplete ? { onComplete: options.onComplete } : {}),
    });
    try {
      for await (const chunk of readSseJson<StreamChunk>(response, { url, idleTimeoutMs: this.#idleMs, ...(options.signal ? { signal: options.signal } : {}) })) {
        // Every choice complete and one cut here: the server would go on generating what nobody reads.
        if (choices.push(chunk) && choices.cutShort) break;
      }
    } catch (error) {
      if (options.signal?.aborted) throw abortedError(`Generation from ${url}`);
      throw error;
    }
    return choices.end();
  }

  get #sendsStop(): boolean {
    return this.capabilities.stopReason;
  }

  #finishReason(finish: string, stopReason: StreamChoice['stop_reason']): FinishReason {
    if (finish === 'length') return 'length';
    // With stop strings sent, vLLM names the one that matched; null means EOS.
    return this.#sendsStop && typeof stopReason === 'string' ? 'stop' : 'eos';
  }

  async #post(url: string, body: unknown, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { ...this.#options.headers };
    if (this.#options.apiKey) headers.authorization = `Bearer ${this.#options.apiKey}`;
    return postWithRetry({ url, headers, body: jsonBody(body), signal, firstByteTimeoutMs: this.#firstByteMs, retry: this.#retry, fetch: this.#fetch });
  }

  async #build(request: GenerateRequest, n: number): Promise<{ url: string; body: Record<string, unknown> }> {
    const { sampling } = request;
    const common: Record<string, unknown> = {
      ...(this.#options.model !== undefined ? { model: this.#options.model } : {}),
      max_tokens: sampling.maxTokens,
      temperature: sampling.temperature,
      ...(n > 1 ? { n } : {}),
      ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
      ...(this.capabilities.topK && sampling.topK !== undefined ? { top_k: sampling.topK } : {}),
      ...(this.#sendsStop && sampling.stop?.length ? { stop: sampling.stop, include_stop_str_in_output: true } : {}),
    };
    const images = request.image === undefined ? [] : await Promise.all(imageList(request.image).map(imageToUrl));
    const prefix = request.assistantPrefix ?? '';
    if (prefix && this.capabilities.continuation === 'none') {
      throw new GuardError('GENERATOR_UNSUPPORTED', `${this.id} cannot continue a partial assistant message (capabilities.continuation is "none"), which alignment needs.`);
    }
    if (prefix && this.capabilities.continuation === 'completions') {
      const markers = images.length ? images.map(() => this.#options.imageMarker).join('\n') : undefined;
      const prompt = renderContinuationPrompt(this.#options.chatTemplate, { system: request.system, user: request.prompt, imageMarker: markers }, prefix);
      // llama.cpp takes media in a raw prompt as { prompt_string, multimodal_data: [base64, …] }, one marker each.
      const payloads = images.map(imagePayload);
      const body = images.length && payloads.every((payload) => payload !== null)
        ? { prompt: { prompt_string: prompt, multimodal_data: payloads } }
        : { prompt };
      return { url: `${this.#options.baseUrl}/completions`, body: { ...common, ...body } };
    }
    const userContent = images.length
      ? [...images.map((url) => ({ type: 'image_url', image_url: { url: imageUrlValue(url) } })), { type: 'text', text: request.prompt }]
      : request.prompt;
    const messages: { role: string; content: unknown }[] = [
      ...(request.system ? [{ role: 'system', content: request.system }] : []),
      { role: 'user', content: userContent },
      ...(prefix ? [{ role: 'assistant', content: prefix }] : []),
    ];
    const continuation = prefix ? { continue_final_message: true, add_generation_prompt: false } : {};
    return { url: `${this.#options.baseUrl}/chat/completions`, body: { ...common, messages, ...continuation } };
  }
}
