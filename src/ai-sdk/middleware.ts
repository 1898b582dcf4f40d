// vlm-guard/ai-sdk: ETA as an AI SDK language-model middleware (wrapLanguageModel). Calls
// whose prompt shows an image are evaluated — every image, the answer's text and tool calls —
// and, when ETA's rule says so, aligned through the same model. The answer is judged whole
// before the app sees any of it (streams included: they are read to the end, then replayed);
// a pass reaches the app as the model produced it, and the decision rides along in
// providerMetadata.vlmGuard (the vanilla answer always kept there).
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Middleware,
  LanguageModelV3StreamPart,
  SharedV3ProviderMetadata,
  SharedV3ProviderOptions,
} from '@ai-sdk/provider';
import { GuardError } from '../errors.ts';
import type { Guard } from '../guard.ts';
import { type Continuation, LanguageModelGenerator } from './model-generator.ts';
import { type PromptView, judgedText, promptView } from './prompt.ts';

/** The note put first when the model cannot continue a partial answer (continuation `regenerate`). */
export const SAFETY_NOTE = 'The previous answer to this request was judged unsafe for the image shown. Answer helpfully and harmlessly; refuse any harmful part.';

export interface VlmGuardMiddlewareOptions {
  guard: Guard | Promise<Guard>;
  /** Alignment of unsafe answers (default shallow; deep needs continuation `continue`). */
  mode?: 'shallow' | 'deep';
  /**
   * How the model continues the safety prefix (default `{ kind: 'regenerate' }`: any provider).
   * `{ kind: 'continue', providerOptions }` for servers that continue a final assistant turn,
   * e.g. vLLM through @ai-sdk/openai-compatible:
   * `{ kind: 'continue', providerOptions: { <provider name>: { continue_final_message: true, add_generation_prompt: false } } }`.
   */
  continuation?: { kind: 'continue'; providerOptions?: SharedV3ProviderOptions } | { kind: 'regenerate'; note?: string };
  /** Called with each decision. */
  onDecision?: (decision: VlmGuardDecision) => void;
}

/** What providerMetadata.vlmGuard holds. */
export interface VlmGuardDecision {
  decision: 'pass' | 'align';
  /** Whether the app received an aligned answer instead of the model's. */
  aligned: boolean;
  /** The model's own answer, as judged (its text and tool calls). */
  vanilla: string;
  /** The aligned answer, when there is one. */
  alignedText?: string;
  reason: string;
  response: { score: number | null; verdict: string };
  images: { score: number | null; verdict: string }[];
  mode: 'shallow' | 'deep';
}

/** providerMetadata values are JSON: the decision as such. */
const asMetadata = (decision: VlmGuardDecision) => JSON.parse(JSON.stringify(decision)) as SharedV3ProviderMetadata[string];

function withDecision(metadata: SharedV3ProviderMetadata | undefined, decision: VlmGuardDecision): SharedV3ProviderMetadata {
  return { ...metadata, vlmGuard: asMetadata(decision) };
}

export function vlmGuardMiddleware(options: VlmGuardMiddlewareOptions): LanguageModelV3Middleware {
  const mode = options.mode ?? 'shallow';
  const asked = options.continuation ?? { kind: 'regenerate' };
  const continuation: Continuation = asked.kind === 'continue' ? { kind: 'continue', ...(asked.providerOptions ? { providerOptions: asked.providerOptions } : {}) } : { kind: 'regenerate', note: asked.note ?? SAFETY_NOTE };
  if (mode === 'deep' && continuation.kind !== 'continue') {
    throw new GuardError('GENERATOR_UNSUPPORTED', 'vlmGuardMiddleware: deep alignment continues partial answers sentence by sentence; it needs continuation { kind: "continue" } (a provider that continues a final assistant turn).', {});
  }

  /** Judges an answer; the aligned text when ETA says to align, with the decision. */
  async function judge(view: PromptView, answer: string, model: LanguageModelV3, params: LanguageModelV3CallOptions): Promise<VlmGuardDecision> {
    const guard = await options.guard;
    const signal = params.abortSignal;
    const call = signal ? { signal } : {};
    const evaluation = await guard.evaluate({ image: view.images, prompt: view.prompt, response: answer }, call);
    const base = {
      vanilla: answer,
      reason: evaluation.reason,
      response: { score: evaluation.responseCheck.score, verdict: evaluation.responseCheck.verdict },
      images: evaluation.images.map((i) => ({ score: i.image.score, verdict: i.verdict })),
      mode,
    };
    if (evaluation.decision === 'pass') return { ...base, decision: 'pass', aligned: false };
    // The app's call, without its streaming: alignment asks the model for whole answers.
    const generator = new LanguageModelGenerator(model, params, continuation);
    const result = await guard.respond({ image: view.images, prompt: view.prompt, ...(view.system ? { system: view.system } : {}) }, { ...call, generator, mode, answer });
    return { ...base, decision: 'align', aligned: result.text !== answer, alignedText: result.text, reason: result.reason };
  }

  const decided = (decision: VlmGuardDecision) => {
    options.onDecision?.(decision);
    return decision;
  };

  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate, params, model }) {
      const view = promptView(params.prompt);
      if (view.images.length === 0) return doGenerate();
      const result = await doGenerate();
      const decision = decided(await judge(view, judgedText(result.content), model, params));
      const providerMetadata = withDecision(result.providerMetadata, decision);
      if (!decision.aligned) return { ...result, providerMetadata };
      const content: LanguageModelV3Content[] = [{ type: 'text', text: decision.alignedText ?? '' }];
      return { ...result, content, finishReason: { unified: 'stop', raw: undefined }, providerMetadata };
    },
    async wrapStream({ doStream, params, model }) {
      const view = promptView(params.prompt);
      if (view.images.length === 0) return doStream();
      const { stream, ...rest } = await doStream();
      // Read to the end before anything goes on: no token reaches the app unjudged.
      const parts: LanguageModelV3StreamPart[] = [];
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
      }
      const decision = decided(await judge(view, streamedAnswer(parts), model, params));
      const out = decision.aligned ? alignedParts(parts, decision.alignedText ?? '') : parts;
      return { ...rest, stream: replay(out, decision) };
    },
  };
}

/** A stream's answer as the app would read it: the text blocks and every tool call. */
function streamedAnswer(parts: readonly LanguageModelV3StreamPart[]): string {
  const content: LanguageModelV3Content[] = [];
  const texts = new Map<string, { type: 'text'; text: string }>();
  /** The text block of an id, made where it first appears (a delta may come without its start). */
  const block = (id: string) => {
    let found = texts.get(id);
    if (!found) {
      found = { type: 'text', text: '' };
      texts.set(id, found);
      content.push(found);
    }
    return found;
  };
  for (const part of parts) {
    if (part.type === 'text-start') block(part.id);
    else if (part.type === 'text-delta') block(part.id).text += part.delta;
    else if (part.type === 'tool-call') content.push(part);
  }
  return judgedText(content);
}

/** The aligned answer as stream parts: the stream's own framing (start, metadata, usage), one text block, finish 'stop'. */
function alignedParts(parts: readonly LanguageModelV3StreamPart[], text: string): LanguageModelV3StreamPart[] {
  const keep = parts.filter((p) => p.type === 'stream-start' || p.type === 'response-metadata');
  const finish = parts.find((p) => p.type === 'finish');
  const id = 'vlm-guard-aligned';
  return [
    ...keep,
    { type: 'text-start', id },
    { type: 'text-delta', id, delta: text },
    { type: 'text-end', id },
    {
      type: 'finish',
      finishReason: { unified: 'stop', raw: undefined },
      usage: finish?.type === 'finish' ? finish.usage : { inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: undefined, text: undefined, reasoning: undefined } },
    },
  ];
}

/** The parts again, the decision added to the finish part's providerMetadata. */
function replay(parts: readonly LanguageModelV3StreamPart[], decision: VlmGuardDecision): ReadableStream<LanguageModelV3StreamPart> {
  return new ReadableStream({
    start(controller) {
      for (const part of parts) controller.enqueue(part.type === 'finish' ? { ...part, providerMetadata: withDecision(part.providerMetadata, decision) } : part);
      controller.close();
    },
  });
}
