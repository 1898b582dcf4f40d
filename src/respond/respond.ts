// guard.respond: generate the vanilla answer (streamed) while CLIP checks the image,
// evaluate, decide by ETA's rule, and align when needed. Plain TypeScript over
// injected evaluators, so it runs (and is tested) without a browser.
import { type AlignmentConfig, type AlignmentOverrides, mergeAlignment } from '../alignment/config.ts';
import { type DeepResult, type DeepSentence, alignDeep } from '../alignment/deep.ts';
import { alignShallow } from '../alignment/shallow.ts';
import { GuardError, isGuardError } from '../errors.ts';
import type { ChatInput, Generator } from '../generators/types.ts';
import { type ImageInput, type ImageInputs, closestOverImages } from '../images/image-input.ts';
import { countsAsUnsafe } from '../eta/decision.ts';
import { type EtaOutcome, type ImageCheck, ImageChecks, type ResponseCheck, type Scorers, checkResponse, decideEta, imageTextsOf } from '../eta/pipeline.ts';
import type { ResolvedPolicy } from '../eta/policy.ts';
import type { RiskReport } from '../risk/assess.ts';
import type { RiskAwareAlignment } from '../risk/config.ts';
import { type JudgeResult, riskSummary } from '../risk/judge.ts';
import type { RiskPrompts } from '../risk/prompts.ts';
import { namedRisks, riskAwareAlignment } from '../risk/risk-aware.ts';
import { SentenceGate } from './sentence-gate.ts';

export type RespondMode = 'off' | 'shallow' | 'deep' | 'auto';
export type TokenPhase = 'vanilla' | 'aligned';

export interface RespondDeps {
  generator: Generator;
  policy: ResolvedPolicy;
  alignment: AlignmentConfig;
  /** This call's scorers (one per image of the call); the pipeline turns them into checks. */
  scorers: Scorers;
  rewardMany(texts: string[]): Promise<number[]>;
  imageTextScores(image: ImageInput, texts: string[]): Promise<number[]>;
  /** Starts the risk report (when asked for); its CLIP part waits for the image's text. Never rejects but on abort. */
  assessRisks?(imageText: Promise<string | undefined>): Promise<RiskReport | undefined>;
  /** Risk-aware alignment: how the risks found reach the alignment request. */
  riskAware?: { mode: RiskAwareAlignment; prompts: RiskPrompts };
  /** DREAM's judge: an answer's risk awareness, 0–10. Never rejects but on abort. */
  judge?(response: string, risks: string): Promise<JudgeResult>;
}

export interface RespondInput extends ChatInput {
  /** One image or several: every one is judged, and the VLM is shown them all. */
  image: ImageInputs;
}

export interface RespondOptions {
  /** off: evaluate and report only; auto: shallow, deep when both scores are far past their thresholds. */
  mode?: RespondMode;
  /** Streamed text; `phase` says whether it belongs to the vanilla or the aligned answer. */
  onToken?: (delta: string, info: { phase: TokenPhase }) => void;
  signal?: AbortSignal;
  /** Score each finished sentence while streaming; stop an unsafe answer early. Sentences reach onToken only once scored safe. */
  streamingGuard?: boolean;
  alignment?: AlignmentOverrides;
  /**
   * The answer, when it already exists (e.g. the page's own request produced it): it is
   * evaluated and, when ETA says so, aligned through the generator; nothing is generated
   * for the vanilla answer and it is not streamed again.
   */
  answer?: string;
}

/** ETA's outcome (the same shape as evaluate's: decision, reason, each check, image signals) and the answers. */
export interface RespondResult extends EtaOutcome {
  /** What to show: the aligned answer, or the vanilla one. */
  text: string;
  /** The vanilla answer as generated (possibly cut short by the streaming guard). Always kept. */
  vanilla: string;
  vanillaComplete: boolean;
  /** The alignment that produced `text`; `off` when the vanilla answer stands. */
  modeUsed: 'off' | 'shallow' | 'deep';
  modeRequested: RespondMode;
  /** The aligned answer's own check (it is judged before it ships). */
  alignedCheck?: ResponseCheck;
  /** The aligned answer as the model gave it (kept even when the fallback shipped instead). */
  alignedText?: string;
  /** True when the aligned answer was still unsafe (or unknown, counted unsafe) and `text` is `alignment.fallback`. */
  fallback?: boolean;
  deep?: { sentences: DeepSentence[]; tokens: number; stoppedBy: DeepResult['stoppedBy']; requests: number };
  streamingGuard?: { stoppedEarly: boolean; sentencesChecked: number; withheld: string };
  /** The risk report (riskReport option). */
  risk?: RiskReport;
  /** Risk-aware alignment: the risks named in the alignment request, and how. */
  riskAware?: { mode: Exclude<RiskAwareAlignment, 'off'>; risks: string };
  /** Risk-awareness scores (0–10) of the vanilla and the aligned answer (risk.judge option). */
  judge?: { vanilla: JudgeResult; aligned?: JudgeResult };
  policy: ResolvedPolicy;
  generator: string;
  /** Milliseconds of the call's stages; each check's own time is its `ms`. */
  timings: { generate: number; align: number; risk?: number; judge?: number; total: number };
}

function chooseAlignment(mode: RespondMode, image: ImageCheck, response: ResponseCheck, config: AlignmentConfig): 'off' | 'shallow' | 'deep' {
  if (mode !== 'auto') return mode;
  const farPast =
    image.score !== null &&
    response.score !== null &&
    image.score >= image.threshold + config.autoDeep.imageMargin &&
    response.score <= response.threshold - config.autoDeep.rewardMargin;
  return farPast ? 'deep' : 'shallow';
}

export async function respond(deps: RespondDeps, input: RespondInput, options: RespondOptions = {}): Promise<RespondResult> {
  const started = performance.now();
  const mode = options.mode ?? 'shallow';
  const alignment = mergeAlignment(deps.alignment, options.alignment);
  const { policy } = deps;
  const emit = (delta: string, phase: TokenPhase) => {
    if (delta) options.onToken?.(delta, { phase });
  };
  const chat: ChatInput = { prompt: input.prompt, image: input.image, ...(input.system ? { system: input.system } : {}) };

  // In parallel order the image checks run while the answer is generated (they do not
  // depend on it); in ETA's reference order they start only for an unsafe answer.
  const images = new ImageChecks(deps.scorers, policy);
  const scoreText = (text: string) => checkResponse(deps.scorers.response, text, policy.thresholds.reward);

  // The vanilla answer; with the streaming guard, each finished sentence is scored first.
  const generation = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, generation.signal]) : generation.signal;
  const gate = options.streamingGuard ? new SentenceGate(alignment.deep.sentenceEnd) : null;
  let vanilla = '';
  let released = '';
  let sentencesChecked = 0;
  let stoppedEarly = false;
  /** The outcome that withheld a sentence: once the gate withholds, the decision is `align`. */
  let withheldBy: EtaOutcome | null = null;
  let gateQueue = Promise.resolve();
  const onVanillaToken = (delta: string) => {
    vanilla += delta;
    if (!gate) return emit(delta, 'vanilla');
    for (const sentence of gate.push(delta)) {
      gateQueue = gateQueue.then(async () => {
        if (stoppedEarly) return;
        const soFar = released + sentence;
        const check = await scoreText(soFar);
        sentencesChecked++;
        const judged = await decideEta(policy, check, images);
        if (judged.decision === 'align') {
          withheldBy = judged;
          stoppedEarly = true;
          generation.abort();
          return;
        }
        released = soFar;
        emit(sentence, 'vanilla');
      });
    }
  };

  const tGenerate = performance.now();
  let vanillaComplete = true;
  const generating =
    options.answer !== undefined
      ? Promise.resolve({ text: options.answer })
      : deps.generator.generate(
          { ...chat, sampling: { maxTokens: alignment.vanilla.maxTokens, temperature: alignment.vanilla.temperature } },
          { onToken: onVanillaToken, signal },
        );
  // The risk report starts once the answer is under way: a local VLM serves its calls in
  // order, so the answer comes first; a remote one runs them side by side.
  let imageTextRead: (text: string | undefined) => void = () => undefined;
  const riskReport = deps.assessRisks?.(new Promise((resolve) => (imageTextRead = resolve)));
  riskReport?.catch(() => undefined); // awaited below; an early failure must not go unobserved
  try {
    const completion = await generating;
    vanilla = completion.text; // authoritative: the streamed deltas are only for display
  } catch (error) {
    if (!(stoppedEarly && isGuardError(error, 'ABORTED') && !options.signal?.aborted)) {
      imageTextRead(undefined);
      throw withVanilla(error, vanilla);
    }
    vanillaComplete = false;
  }
  await gateQueue;
  if (stoppedEarly) vanillaComplete = false;
  const generateMs = performance.now() - tGenerate;

  // Withheld text never comes back: the outcome that withheld it stands (a re-score of the
  // whole text cannot turn it into a pass).
  const outcome = withheldBy !== null ? withheldOutcome(withheldBy) : await decideEta(policy, await scoreText(vanilla), images);
  const { decision, reason, image, imageText, imageSignals, responseCheck } = outcome;
  imageTextRead(imageTextsOf(outcome));
  const modeUsed = decision === 'align' ? chooseAlignment(mode, image, responseCheck, alignment) : 'off';
  if (gate && modeUsed === 'off' && !stoppedEarly && options.answer === undefined) emit(vanilla.slice(released.length), 'vanilla');

  const tAlign = performance.now();
  // Report-only (mode off) after the gate withheld: what was released, never the withheld sentence.
  let text = stoppedEarly ? released : vanilla;
  let deep: RespondResult['deep'];
  let riskAware: RespondResult['riskAware'];
  if (modeUsed !== 'off') {
    try {
      // Risk-aware alignment names the risks found; it waits for the report.
      const report = deps.riskAware && deps.riskAware.mode !== 'off' ? await riskReport : undefined;
      const risks = report ? namedRisks(report) : null;
      const aware = riskAwareAlignment(deps.riskAware, risks, chat, alignment);
      riskAware = aware.named;
      ({ text, deep } = await align(deps, { ...aware.chat, image: input.image }, modeUsed, aware.alignment, { signal: options.signal }));
      // An abort that came with the last piece still ends the call as aborted.
      if (options.signal?.aborted) throw new GuardError('ABORTED', 'The alignment was aborted.');
    } catch (error) {
      throw withVanilla(error, vanilla);
    }
  }
  // The aligned answer is judged before it ships; one still unsafe (or unknown, counted
  // unsafe) becomes the fixed fallback. Its tokens reach onToken only after that check.
  const [alignedCheck, risk] = await Promise.all([modeUsed === 'off' ? undefined : scoreText(text), riskReport]);
  const alignedText = modeUsed === 'off' ? undefined : text;
  const fallback = alignedCheck !== undefined && countsAsUnsafe(alignedCheck.verdict, policy.unknownAs);
  if (fallback) text = alignment.fallback;
  if (modeUsed !== 'off') {
    emit(text, 'aligned');
    // An abort that came with the aligned answer still ends the call as aborted.
    if (options.signal?.aborted) throw withVanilla(new GuardError('ABORTED', 'The alignment was aborted.'), vanilla);
  }
  const alignMs = modeUsed === 'off' ? 0 : performance.now() - tAlign;
  const tJudge = performance.now();
  const judge = deps.judge ? await judgeAnswers(deps.judge, vanilla, modeUsed === 'off' ? undefined : text, risk?.summary ?? riskSummary({})) : undefined;

  return {
    text,
    vanilla,
    vanillaComplete,
    decision,
    reason,
    modeUsed,
    modeRequested: mode,
    image,
    ...(imageText ? { imageText } : {}),
    images: outcome.images,
    imageSignals,
    responseCheck,
    ...(alignedCheck ? { alignedCheck, alignedText: alignedText!, fallback } : {}),
    ...(deep ? { deep } : {}),
    ...(gate ? { streamingGuard: { stoppedEarly, sentencesChecked, withheld: vanilla.slice(released.length) } } : {}),
    ...(risk ? { risk } : {}),
    ...(riskAware ? { riskAware } : {}),
    ...(judge ? { judge } : {}),
    policy,
    generator: deps.generator.id,
    timings: {
      generate: generateMs,
      align: alignMs,
      ...(risk ? { risk: risk.ms } : {}),
      ...(judge ? { judge: performance.now() - tJudge } : {}),
      total: performance.now() - started,
    },
  };
}

/** The gate's outcome as the call's: the check that withheld a sentence decides. */
function withheldOutcome(outcome: EtaOutcome): EtaOutcome {
  return { ...outcome, reason: `${outcome.reason} (the streaming guard withheld a sentence)` };
}

async function judgeAnswers(judge: NonNullable<RespondDeps['judge']>, vanilla: string, aligned: string | undefined, risks: string) {
  const [v, a] = await Promise.all([judge(vanilla, risks), aligned === undefined ? undefined : judge(aligned, risks)]);
  return { vanilla: v, ...(a ? { aligned: a } : {}) };
}

/**
 * Produces the aligned answer (shallow: safety prefix and regenerate; deep: best-of-N
 * per sentence), streaming it to `onToken`. Used by respond and by fetch protection,
 * where the vanilla answer came from the page's own request.
 */
export async function align(
  deps: Pick<RespondDeps, 'generator' | 'rewardMany' | 'imageTextScores'>,
  input: RespondInput,
  mode: 'shallow' | 'deep',
  alignment: AlignmentConfig,
  options: { onToken?: (delta: string) => void; signal?: AbortSignal } = {},
): Promise<{ text: string; deep?: RespondResult['deep'] }> {
  const chat: ChatInput = { prompt: input.prompt, image: input.image, ...(input.system ? { system: input.system } : {}) };
  if (mode === 'shallow') {
    return { text: (await alignShallow(deps.generator, chat, alignment.shallow, options)).text };
  }
  const result = await alignDeep(
    deps.generator,
    chat,
    { reward: (texts) => deps.rewardMany(texts), clip: (texts) => closestOverImages(input.image, texts, deps.imageTextScores) },
    alignment.deep,
    {
      signal: options.signal,
      onSentence: (sentence) => options.onToken?.((sentence.index === 1 ? alignment.deep.prefix : '') + sentence.candidates[sentence.chosen]!.text),
    },
  );
  return { text: result.text, deep: { sentences: result.sentences, tokens: result.tokens, stoppedBy: result.stoppedBy, requests: result.requests } };
}

/** A failure after generation started keeps the vanilla text so far in the error. */
function withVanilla(error: unknown, vanilla: string): GuardError {
  const base = isGuardError(error) ? error : new GuardError('INFERENCE_FAILED', `respond failed: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  return new GuardError(base.code, base.message, { ...base.details, vanilla }, { cause: base.cause ?? error });
}
