// vlm-guard/ai-sdk: ETA as an AI SDK language-model middleware (wrapLanguageModel). Calls
// whose prompt shows an image are evaluated — every image; the answer's text, reasoning and
// tool calls (src/answers: the one view of an answer every integration judges) —
// and, when ETA's rule says so, aligned through the same model. A stream passes the answer
// gate (src/respond/answer-gate.ts): with safe images its parts flow as the model sends
// them; otherwise sentence by sentence once judged, and an aligned part continues what was
// released. A whole answer (generate) is judged before the app sees it. The decision rides
// along in providerMetadata.vlmGuard on the finish (the vanilla answer always kept there).
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3Middleware,
  SharedV3ProviderMetadata,
  SharedV3ProviderOptions,
} from '@ai-sdk/provider';
import { GuardError } from '../errors.ts';
import type { DecisionRule } from '../eta/policy.ts';
import type { Guard } from '../guard.ts';
import { type Continuation, LanguageModelGenerator } from './model-generator.ts';
import { type PromptView, contentFields, promptView, showsImage } from '../answers/ai-sdk-content.ts';
import { yieldToPage } from '../concurrency/yield-to-page.ts';
import type { AnswerStream, RespondMode } from '../respond/respond.ts';
import { PartsAnswer } from './parts-answer.ts';
import { judgedText } from '../answers/answer-view.ts';

/** The note put first when the model cannot continue a partial answer (continuation `regenerate`). */
export const SAFETY_NOTE = 'The previous answer to this request was judged unsafe for the image shown. Answer helpfully and harmlessly; refuse any harmful part.';

export interface VlmGuardMiddlewareOptions {
  guard: Guard | Promise<Guard>;
  /** Alignment of unsafe answers (default: the guard's — shallow, or deep under the eta-paper preset; deep needs continuation `continue`). */
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
  /** The alignment mode asked for. */
  mode: RespondMode;
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
  const asked = options.continuation ?? { kind: 'regenerate' };
  const continuation: Continuation = asked.kind === 'continue' ? { kind: 'continue', ...(asked.providerOptions ? { providerOptions: asked.providerOptions } : {}) } : { kind: 'regenerate', note: asked.note ?? SAFETY_NOTE };
  /** Deep alignment continues partial answers sentence by sentence: refused (at once, or per call for the guard's own default) without `continue`. */
  const checkMode = (mode: RespondMode, whose: string): RespondMode => {
    if (mode === 'deep' && continuation.kind !== 'continue') {
      throw new GuardError('GENERATOR_UNSUPPORTED', `vlmGuardMiddleware: ${whose} is deep alignment, which continues partial answers sentence by sentence; it needs continuation { kind: "continue" } (a provider that continues a final assistant turn), or pass mode: 'shallow'.`, {});
    }
    return mode;
  };
  if (options.mode) checkMode(options.mode, 'mode');

  /**
   * Judges an answer once (guard.respond with the answer given: whole, or a stream through
   * the gate); `appended` is the aligned part that follows what the app already received.
   */
  async function judge(
    view: PromptView,
    answer: string | AnswerStream,
    model: LanguageModelV3,
    params: LanguageModelV3CallOptions,
    onAligned?: (delta: string) => void,
  ): Promise<{ decision: VlmGuardDecision; appended: string }> {
    const guard = await options.guard;
    const mode = options.mode ?? checkMode(guard.info.mode, "the guard's mode (the eta-paper preset's default)");
    const signal = params.abortSignal;
    // The app's call, without its streaming: alignment asks the model for whole answers.
    const generator = new LanguageModelGenerator(model, params, continuation);
    const result = await guard.respond(
      { image: view.images, prompt: view.prompt, ...(view.system ? { system: view.system } : {}) },
      {
        ...(signal ? { signal } : {}),
        ...(options.rule ? { rule: options.rule } : {}),
        generator,
        mode,
        answer,
        ...(onAligned ? { onToken: (delta: string, { phase }: { phase: string }) => phase === 'aligned' && onAligned(delta) } : {}),
      },
    );
    const base = {
      vanilla: result.vanilla,
      reason: result.reason,
      response: { score: result.responseCheck.score, verdict: result.responseCheck.verdict },
      images: result.images.map((i) => ({ score: i.image.score, verdict: i.verdict })),
      mode,
    };
    if (result.decision === 'pass') return { decision: { ...base, decision: 'pass', aligned: false }, appended: '' };
    return {
      decision: { ...base, decision: 'align', aligned: true, alignedText: result.text, fallback: result.fallback === true },
      appended: result.text.slice(result.gate.released.length),
    };
  }

  /** Our stop signal per stream call (transformParams → wrapStream), and the app's own. */
  const streams = new WeakMap<LanguageModelV3CallOptions, { stop: AbortController; appSignal: AbortSignal | undefined }>();

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
      const decision = decided((await judge(view, judgedText(contentFields(result.content)), model, params)).decision);
      const providerMetadata = withDecision(result.providerMetadata, decision);
      if (!decision.aligned) return { ...result, providerMetadata };
      const content: LanguageModelV3Content[] = [{ type: 'text', text: decision.alignedText ?? '' }];
      return { ...result, content, finishReason: { unified: 'stop', raw: undefined }, providerMetadata };
    },
    async transformParams({ type, params }) {
      // A stream with images gets a signal of ours beside the app's: a withheld sentence stops the model.
      if (type !== 'stream' || !showsImage(params.prompt)) return params;
      const stop = new AbortController();
      const transformed = { ...params, abortSignal: params.abortSignal ? AbortSignal.any([params.abortSignal, stop.signal]) : stop.signal };
      streams.set(transformed, { stop, appSignal: params.abortSignal });
      return transformed;
    },
    async wrapStream({ doStream, params, model }) {
      if (!showsImage(params.prompt)) return doStream();
      // The app's own signal for the guard and the alignment; ours stops only the model's stream.
      const ours = streams.get(params);
      const appParams = ours ? { ...params, abortSignal: ours.appSignal } : params;
      // The model starts at once; its parts wait in the gate while a guard still loads.
      const upstream = Promise.resolve(doStream());
      const answer = new PartsAnswer(
        upstream.then((r) => r.stream),
        () => ours?.stop.abort(),
      );
      // The guard starts with the call (the image checks beside the model's stream), in the task
      // after this one: the provider encodes and sends the request here (base64 of each image: tens
      // of ms for a photo), and the guard's part (the images copied out, the checks started) never
      // lengthens it, as in fetch protection. The gate hands the model's parts to the app as they
      // pass; the aligned part streams as it passes (it continues the message's text).
      let streamed = '';
      const judged = yieldToPage().then(() =>
        judge(promptView(params.prompt), answer, model, appParams, (delta) => {
          streamed += delta;
          answer.continueText(delta);
        }),
      );
      judged.then(
        ({ decision, appended }) => {
          const metadata = asMetadata(decided(decision));
          if (decision.aligned) answer.aligned(appended.startsWith(streamed) ? appended.slice(streamed.length) : '', metadata);
          else answer.pass(metadata);
        },
        (error: unknown) => {
          // Not judged (a guard that cannot load, a failed check): the model stops and the app gets the error.
          ours?.stop.abort();
          answer.fail(error);
        },
      );
      const result = await upstream.catch((error: unknown) => {
        ours?.stop.abort();
        judged.catch(() => undefined);
        throw error;
      });
      return { ...result, stream: answer.readable };
    },
  };
}
