// vlm-guard/ai-sdk: ETA as an AI SDK language-model middleware (wrapLanguageModel). Calls
// whose prompt shows an image are evaluated — every image; the answer's text, reasoning and
// tool calls (src/answers: the one view of an answer every integration judges) —
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
import type { DecisionRule } from '../eta/policy.ts';
import type { Guard } from '../guard.ts';
import { type Continuation, LanguageModelGenerator } from './model-generator.ts';
import { type PromptView, StreamedAnswer, contentFields, promptView } from '../answers/ai-sdk-content.ts';
import { judgedText } from '../answers/answer-view.ts';

/** The note put first when the model cannot continue a partial answer (continuation `regenerate`). */
export const SAFETY_NOTE = 'The previous answer to this request was judged unsafe for the image shown. Answer helpfully and harmlessly; refuse any harmful part.';

export interface VlmGuardMiddlewareOptions {
  guard: Guard | Promise<Guard>;
  /** Alignment of unsafe answers (default shallow; deep needs continuation `continue`). */
  mode?: 'shallow' | 'deep';
  /** When to align (default: the guard's policy.rule): `eta` both unsafe, `response` the answer alone. */
  rule?: DecisionRule;
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
  /** The model's own answer, as judged (its reasoning, text and tool calls). */
  vanilla: string;
  /** What the app received instead, when aligned: the aligned answer, or the fallback when that too was judged unsafe. */
  alignedText?: string;
  /** True when the aligned answer was still judged unsafe and the app got `alignment.fallback` instead. */
  fallback?: boolean;
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
  // A guard that fails to load (e.g. created on a server: ENVIRONMENT_UNSUPPORTED) fails each
  // call with its GuardError; until the first call it must not count as an unhandled rejection.
  Promise.resolve(options.guard).catch(() => undefined);
  const mode = options.mode ?? 'shallow';
  const asked = options.continuation ?? { kind: 'regenerate' };
  const continuation: Continuation = asked.kind === 'continue' ? { kind: 'continue', ...(asked.providerOptions ? { providerOptions: asked.providerOptions } : {}) } : { kind: 'regenerate', note: asked.note ?? SAFETY_NOTE };
  if (mode === 'deep' && continuation.kind !== 'continue') {
    throw new GuardError('GENERATOR_UNSUPPORTED', 'vlmGuardMiddleware: deep alignment continues partial answers sentence by sentence; it needs continuation { kind: "continue" } (a provider that continues a final assistant turn).', {});
  }

  /** Judges an answer once (guard.respond with the answer given); the text to ship when ETA says to align. */
  async function judge(view: PromptView, answer: string, model: LanguageModelV3, params: LanguageModelV3CallOptions): Promise<VlmGuardDecision> {
    const guard = await options.guard;
    const signal = params.abortSignal;
    // The app's call, without its streaming: alignment asks the model for whole answers.
    const generator = new LanguageModelGenerator(model, params, continuation);
    const result = await guard.respond(
      { image: view.images, prompt: view.prompt, ...(view.system ? { system: view.system } : {}) },
      { ...(signal ? { signal } : {}), ...(options.rule ? { rule: options.rule } : {}), generator, mode, answer },
    );
    const base = {
      vanilla: answer,
      reason: result.reason,
      response: { score: result.responseCheck.score, verdict: result.responseCheck.verdict },
      images: result.images.map((i) => ({ score: i.image.score, verdict: i.verdict })),
      mode,
    };
    if (result.decision === 'pass') return { ...base, decision: 'pass', aligned: false };
    return { ...base, decision: 'align', aligned: true, alignedText: result.text, fallback: result.fallback === true };
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
      const decision = decided(await judge(view, judgedText(contentFields(result.content)), model, params));
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
      const answer = new StreamedAnswer();
      const reader = stream.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        answer.add(value);
      }
      const decision = decided(await judge(view, judgedText(answer.fields), model, params));
      const out = decision.aligned ? alignedParts(parts, decision.alignedText ?? '') : parts;
      return { ...rest, stream: replay(out, decision) };
    },
  };
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
