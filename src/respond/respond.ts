// guard.respond: generate the vanilla answer (streamed through the answer gate) while
// the image is checked, decide by ETA's rule, and align when needed. Plain TypeScript
// over injected evaluators, so it runs (and is tested) without a browser.
import { type AlignmentConfig, type AlignmentOverrides, mergeAlignment } from '../alignment/config.ts';
import { type DeepResult, type DeepSentence, alignDeep } from '../alignment/deep.ts';
import { alignShallow } from '../alignment/shallow.ts';
import { GuardError, isGuardError } from '../errors.ts';
import type { ChatInput, Generator } from '../generators/types.ts';
import { type ImageInput, type ImageInputs, closestOverImages } from '../images/image-input.ts';
import { type EtaOutcome, type ImageCheck, ImageChecks, type ResponseCheck, type Scorers, checkResponse, decideEta, imageTextsOf, imagesSettle, settledResponse } from '../eta/pipeline.ts';
import type { ResolvedPolicy } from '../eta/policy.ts';
import type { RiskReport } from '../risk/assess.ts';
import type { RiskAwareAlignment } from '../risk/config.ts';
import { type JudgeResult, riskSummary } from '../risk/judge.ts';
import type { RiskPrompts } from '../risk/prompts.ts';
import { namedRisks, riskAwareAlignment } from '../risk/risk-aware.ts';
import { type AnswerUnit, AnswerGate, type GateLimits, type GateResult } from './answer-gate.ts';
import { SentenceGate } from './sentence-gate.ts';

export type { AnswerUnit } from './answer-gate.ts';

export type RespondMode = 'off' | 'shallow' | 'deep' | 'auto';
export type TokenPhase = 'vanilla' | 'aligned';

export interface RespondDeps {
  generator: Generator;
  policy: ResolvedPolicy;
  alignment: AlignmentConfig;
  /** What the answer gate reads and keeps. */
  gate: GateLimits;
  /** This call's scorers (one per image of the call); the pipeline turns them into checks. */
  scorers: Scorers;
  /** Rewards of answer texts, under `instruction` when given (else the guard's). */
  rewardMany(texts: string[], instruction?: string): Promise<number[]>;
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

/**
 * An answer that streams from elsewhere (fetch protection's SSE, the AI SDK's parts):
 * its units pass through the gate, and respond decides and aligns as for its own.
 */
export interface AnswerStream {
  /** The answer's units as the upstream sends them; they may end early once `abort` was called. The gate keeps their text. */
  units: AsyncIterable<AnswerUnit>;
  /** Stops the upstream (and the units): once a sentence is withheld no more tokens are paid for. */
  abort(): void;
  /** The gate is open and keeps no more text: the rest may go to the app as it comes, without units. */
  bypass?(): void;
}

export interface RespondOptions {
  /** off: evaluate and report only; auto: shallow, deep when both scores are far past their thresholds. */
  mode?: RespondMode;
  /**
   * Streamed text; `phase` says whether it belongs to the vanilla or the aligned answer.
   * Vanilla text comes through the gate: at the model's pace once the images settle the
   * call (safe under ETA), else sentence by sentence once each is judged.
   */
  onToken?: (delta: string, info: { phase: TokenPhase }) => void;
  signal?: AbortSignal;
  alignment?: AlignmentOverrides;
  /**
   * The answer, when it exists elsewhere: a string (the page's own request produced it;
   * it is judged whole and not streamed again; a promise of one lets the image checks start
   * before it arrives), or an AnswerStream whose units the gate releases. Nothing is generated for the vanilla answer; alignment uses the generator.
   */
  answer?: string | Promise<string> | AnswerStream;
}

const isPromise = (value: unknown): value is Promise<unknown> => value instanceof Promise;

/** ETA's outcome (the same shape as evaluate's: decision, reason, each check, image signals) and the answers. */
export interface RespondResult extends EtaOutcome {
  /** What the app is shown, whole: the vanilla answer, or what was released of it followed by the aligned part. */
  text: string;
  /** The vanilla answer as generated (possibly cut short by the gate). Always kept (see `vanillaCut`). */
  vanilla: string;
  /**
   * True when `vanilla` holds only the first `gate.keepChars` characters of an answer relayed
   * to the app (fetch protection, the AI SDK): the app received all of it, the guard keeps a bounded part.
   */
  vanillaCut?: true;
  vanillaComplete: boolean;
  /** The alignment that produced `text`; `off` when the vanilla answer stands. */
  modeUsed: 'off' | 'shallow' | 'deep';
  modeRequested: RespondMode;
  /** The aligned answer's own check (it is judged, with what was released before it, before it ships). */
  alignedCheck?: ResponseCheck;
  /** The aligned answer as the model gave it, after what was released (kept even when the fallback shipped instead). */
  alignedText?: string;
  /** True when the aligned answer was still unsafe (or unknown, counted unsafe) and `alignment.fallback` shipped instead. */
  fallback?: boolean;
  deep?: { sentences: DeepSentence[]; tokens: number; stoppedBy: DeepResult['stoppedBy']; requests: number };
  /**
   * How the vanilla answer reached the app: `pass-through` (the images settled the call:
   * unjudged, at the model's pace) or `judged` (sentence by sentence). `released` is the
   * vanilla text the app received; the aligned part of `text` follows it.
   */
  gate: { mode: 'pass-through' | 'judged'; stoppedEarly: boolean; sentencesChecked: number; released: string; withheld: string };
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

/**
 * respond as stages: generate (or read the given answer) through the gate → decide →
 * align → judge the aligned answer. The DREAM hooks (risk report, risk-aware alignment,
 * judge) run beside them.
 */
export async function respond(deps: RespondDeps, input: RespondInput, options: RespondOptions = {}): Promise<RespondResult> {
  const started = performance.now();
  const mode = options.mode ?? 'shallow';
  const alignment = mergeAlignment(deps.alignment, options.alignment);
  const { policy } = deps;
  const emit = (delta: string, phase: TokenPhase) => {
    if (delta) options.onToken?.(delta, { phase });
  };
  const chat: ChatInput = { prompt: input.prompt, image: input.image, ...(input.system ? { system: input.system } : {}) };

  // The image checks start with the call (parallel order), beside generation: they do not
  // depend on the answer. In ETA's reference order they start only for an unsafe answer.
  const images = new ImageChecks(deps.scorers, policy);
  const scoreText = (text: string) => checkResponse(deps.scorers.response, text, policy.thresholds.reward);
  const risks = riskHooks(deps);

  const tGenerate = performance.now();
  const vanillaRun = await generateThroughGate(deps, chat, options, alignment, {
    imagesSettle: policy.order === 'parallel' ? images.start().then((checked) => imagesSettle(policy, checked)) : null,
    judge: async (text) => decideEta(policy, await scoreText(text), images),
    emit: (delta) => emit(delta, 'vanilla'),
  }).catch((error: unknown) => {
    risks.imageText(undefined);
    throw error;
  });
  const { vanilla, gated } = vanillaRun;
  const released = vanilla.slice(0, gated.releasedChars);
  const generateMs = performance.now() - tGenerate;

  // Decide. Images that settled the call need no score of the answer; withheld text never
  // comes back (the judgement that withheld it stands, a re-score cannot make it pass).
  const outcome = gated.mode === 'pass-through' ? await decideEta(policy, settledResponse(policy), images) : judgedOutcome(gated);
  const { decision, reason, image, imageText, imageSignals, responseCheck } = outcome;
  risks.imageText(imageTextsOf(outcome));
  const modeUsed = decision === 'align' ? chooseAlignment(mode, image, responseCheck, alignment) : 'off';
  // What the app already has: the aligned part continues it (after a space, as a new sentence).
  const opening = released === '' || /\s$/.test(released) ? released : `${released} `;
  const joiner = opening.slice(released.length);

  // Align through a gate of its own: the aligned part streams sentence by sentence as each is
  // judged (with what precedes it); a sentence still unsafe stops it and the fallback follows.
  const tAlign = performance.now();
  let text = decision === 'pass' ? vanilla : released;
  const aligning =
    modeUsed === 'off'
      ? undefined
      : alignThroughGate(deps, { ...input, ...chat }, modeUsed, alignment, {
          released,
          joiner,
          signal: options.signal,
          risks,
          judge: async (piece) => decideEta(policy, await scoreText(piece), images),
          emit: (delta) => emit(delta, 'aligned'),
        }).catch((error: unknown) => {
          throw withVanilla(error, vanilla);
        });
  const [aligned, risk] = await Promise.all([aligning, risks.report]);
  if (aligned) {
    text = released + aligned.part;
    // An abort that came with the aligned answer still ends the call as aborted.
    if (options.signal?.aborted) throw withVanilla(new GuardError('ABORTED', 'The alignment was aborted.'), vanilla);
  }
  const alignedCheck = aligned?.check;
  const fallback = aligned?.fallback === true;
  const alignMs = aligned ? performance.now() - tAlign : 0;
  const tJudge = performance.now();
  const judge = deps.judge ? await judgeAnswers(deps.judge, vanilla, aligned ? text : undefined, risk?.summary ?? riskSummary({})) : undefined;

  return {
    text,
    vanilla,
    vanillaComplete: vanillaRun.complete,
    ...(vanillaRun.cut ? { vanillaCut: true as const } : {}),
    decision,
    reason,
    modeUsed,
    modeRequested: mode,
    image,
    ...(imageText ? { imageText } : {}),
    images: outcome.images,
    imageSignals,
    responseCheck,
    ...(aligned && alignedCheck ? { alignedCheck, alignedText: opening + aligned.text, fallback } : {}),
    ...(aligned?.deep ? { deep: aligned.deep } : {}),
    gate: {
      mode: gated.mode,
      stoppedEarly: gated.withheld && !vanillaRun.complete,
      sentencesChecked: gated.sentencesChecked,
      released,
      withheld: vanilla.slice(released.length),
    },
    ...(risk ? { risk } : {}),
    ...(aligned?.riskAware ? { riskAware: aligned.riskAware } : {}),
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

/** What the gate needs from respond: when the images settle, how to judge, where released vanilla text goes. */
interface GateWiring {
  imagesSettle: Promise<boolean> | null;
  judge(text: string): Promise<EtaOutcome>;
  emit(delta: string): void;
}

/**
 * Stage 1: the vanilla answer through the gate — generated (tokens released by the gate
 * to onToken), a given string (judged whole, released nowhere), or a given stream (its
 * units released to their path). A withholding judgement stops the upstream.
 */
async function generateThroughGate(
  deps: RespondDeps,
  chat: ChatInput,
  options: RespondOptions,
  alignment: AlignmentConfig,
  wiring: GateWiring,
): Promise<{ vanilla: string; complete: boolean; gated: GateResult; cut: boolean }> {
  // An answer still on its way (fetch protection's JSON) is awaited here: the image checks have started.
  const answer = isPromise(options.answer) ? await options.answer : options.answer;
  const generation = new AbortController();
  const stream = typeof answer === 'object' ? answer : undefined;
  const gate = new AnswerGate({
    imagesSettle: wiring.imagesSettle,
    judge: wiring.judge,
    // A given whole answer is judged whole; a streamed one sentence by sentence.
    sentenceEnds: typeof answer === 'string' ? [] : alignment.deep.sentenceEnd,
    sentenceRule: alignment.deep.sentenceRule,
    // A given whole answer is read whole (the reward model windows it); a stream piece by piece.
    limits: typeof answer === 'string' ? { ...deps.gate, contextChars: 0, windowChars: Number.POSITIVE_INFINITY } : deps.gate,
    onWithhold: () => {
      generation.abort();
      stream?.abort();
    },
  });
  const withheld = () => gate.mode === 'judged' && generation.signal.aborted;
  let vanilla = '';
  /** Whether the source ended by itself (not stopped by the gate). */
  let complete = false;
  /** Whether the rest of a stream went to the app without the gate reading it (kept text full). */
  let bypassed = false;
  try {
    if (typeof answer === 'string') {
      vanilla = answer;
      gate.push({ text: answer, release: () => undefined });
      complete = true;
    } else if (stream) {
      for await (const unit of stream.units) {
        gate.push(unit);
        if (generation.signal.aborted) break;
        if (!bypassed && !gate.keeping && stream.bypass) {
          stream.bypass();
          bypassed = true;
        }
        await gate.room(); // the upstream is read no faster than the gate releases
      }
      vanilla = gate.kept;
      complete = !generation.signal.aborted;
    } else {
      const signal = options.signal ? AbortSignal.any([options.signal, generation.signal]) : generation.signal;
      let streamed = '';
      const completion = await deps.generator.generate(
        { ...chat, sampling: { maxTokens: alignment.vanilla.maxTokens, temperature: alignment.vanilla.temperature } },
        {
          signal,
          onToken: (delta) => {
            streamed += delta;
            vanilla = streamed;
            gate.push({ text: delta, release: () => wiring.emit(delta) });
          },
        },
      );
      vanilla = completion.text; // authoritative: the streamed deltas are only for display
      // A generator that streamed less than it returned (or none of it): the rest goes through the gate too;
      // one whose text differs from its deltas has the whole text judged (shown nowhere).
      const rest = vanilla.startsWith(streamed) ? vanilla.slice(streamed.length) : null;
      if (rest === null) gate.push({ text: `\n${vanilla}`, release: () => undefined });
      else if (rest) gate.push({ text: rest, release: () => wiring.emit(rest) });
      complete = !generation.signal.aborted;
    }
  } catch (error) {
    // Stopped by the gate (not by the app): the answer so far stands as the vanilla one.
    if (!(withheld() && !options.signal?.aborted)) {
      gate.stop();
      throw withVanilla(error, stream ? gate.kept : vanilla);
    }
    if (stream) vanilla = gate.kept;
  }
  const gated = await gate.finish();
  if (options.signal?.aborted) throw withVanilla(new GuardError('ABORTED', 'respond() was aborted.'), vanilla);
  return { vanilla, complete, gated, cut: stream !== undefined && (bypassed || !gated.keptWhole) };
}

/** The judged gate's outcome as the call's: the last judgement, marked when it withheld a sentence. */
function judgedOutcome(gated: GateResult): EtaOutcome {
  if (!gated.outcome) throw new GuardError('INFERENCE_FAILED', 'The answer was not judged.');
  return gated.withheld ? withheldOutcome(gated.outcome) : gated.outcome;
}

/** DREAM's hooks beside the stages: the risk report starts with the call; its CLIP part waits for the image's text. */
function riskHooks(deps: RespondDeps): { report: Promise<RiskReport | undefined> | undefined; imageText(text: string | undefined): void } {
  let imageText: (text: string | undefined) => void = () => undefined;
  const report = deps.assessRisks?.(new Promise((resolve) => (imageText = resolve)));
  report?.catch(() => undefined); // awaited later; an early failure must not go unobserved
  return { report, imageText: (text) => imageText(text) };
}

/**
 * Stage 3: the aligned part, continuing what was released, through a judged gate of its own:
 * its sentences reach the app (`emit`) as each passes; the first one judged unsafe stops the
 * alignment and the fallback follows what was shown. `part` is what follows `released` in the
 * answer the app has.
 */
async function alignThroughGate(
  deps: RespondDeps,
  input: RespondInput,
  mode: 'shallow' | 'deep',
  alignment: AlignmentConfig,
  options: {
    released: string;
    joiner: string;
    signal: AbortSignal | undefined;
    risks: ReturnType<typeof riskHooks>;
    judge(text: string): Promise<EtaOutcome>;
    emit(delta: string): void;
  },
): Promise<{ text: string; part: string; check: ResponseCheck; fallback: boolean; deep?: RespondResult['deep']; riskAware?: RespondResult['riskAware'] }> {
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const gate = new AnswerGate({
    imagesSettle: Promise.resolve(false),
    judge: options.judge,
    sentenceEnds: alignment.deep.sentenceEnd,
    sentenceRule: alignment.deep.sentenceRule,
    limits: deps.gate,
    context: options.released,
    onWithhold: () => stop.abort(),
  });
  // The aligned text is ours to cut: it goes to the gate a sentence per unit, so each sentence
  // that passes is shown whole (a relayed vanilla answer cannot be cut: its units are the server's).
  // The joiner (a space after released text) goes out with the first sentence.
  const sentences = new SentenceGate(alignment.deep.sentenceEnd, deps.gate.windowChars, alignment.deep.sentenceRule);
  const unit = (text: string, shown: boolean) => gate.push({ text, release: shown ? () => options.emit(text) : () => undefined });
  let streamed = '';
  const push = (delta: string) => {
    const piece = streamed === '' ? options.joiner + delta : delta;
    streamed += delta;
    for (const sentence of sentences.push(piece)) unit(sentence, true);
  };
  const flush = () => {
    const rest = sentences.flush();
    if (rest) unit(rest, true);
  };
  let result: Awaited<ReturnType<typeof alignAnswer>> | undefined;
  try {
    result = await alignAnswer(deps, input, mode, alignment, { opening: options.released + options.joiner, signal, risks: options.risks, onToken: (delta) => push(delta) });
    // A generator that returned more than it streamed: the rest goes through the gate too; text that differs from its deltas is judged, shown nowhere.
    const rest = result.text.startsWith(streamed) ? result.text.slice(streamed.length) : null;
    if (rest) push(rest);
    flush();
    if (rest === null) unit(`\n${result.text}`, false);
  } catch (error) {
    // Stopped by the gate (a sentence still unsafe): the fallback follows; any other failure is the call's.
    if (!(stop.signal.aborted && !options.signal?.aborted)) {
      gate.stop();
      throw error;
    }
  }
  const gated = await gate.finish();
  if (!gated.outcome) throw new GuardError('INFERENCE_FAILED', 'The aligned answer was not judged.');
  const shown = gated.kept.slice(0, gated.releasedChars);
  let part = shown;
  if (gated.withheld) {
    // What was shown stays; the fallback follows it (as a new sentence).
    const fallback = (shown === '' ? options.joiner : /\s$/.test(shown) ? '' : ' ') + alignment.fallback;
    options.emit(fallback);
    part = shown + fallback;
  }
  return {
    text: result?.text ?? streamed,
    part,
    check: gated.outcome.responseCheck,
    fallback: gated.withheld,
    ...(result?.deep ? { deep: result.deep } : {}),
    ...(result?.riskAware ? { riskAware: result.riskAware } : {}),
  };
}

/** The aligned answer itself, risk-aware when asked (it waits for the risk report). */
async function alignAnswer(
  deps: RespondDeps,
  input: RespondInput,
  mode: 'shallow' | 'deep',
  alignment: AlignmentConfig,
  options: { opening: string; signal: AbortSignal | undefined; risks: ReturnType<typeof riskHooks>; onToken(delta: string): void },
): Promise<{ text: string; deep?: RespondResult['deep']; riskAware?: RespondResult['riskAware'] }> {
  const report = deps.riskAware && deps.riskAware.mode !== 'off' ? await options.risks.report : undefined;
  const aware = riskAwareAlignment(deps.riskAware, report ? namedRisks(report) : null, input, alignment);
  const result = await align(deps, { ...aware.chat, image: input.image }, mode, aware.alignment, { opening: options.opening, signal: options.signal, onToken: options.onToken });
  // An abort that came with the last piece still ends the call as aborted.
  if (options.signal?.aborted) throw new GuardError('ABORTED', 'The alignment was aborted.');
  return { ...result, ...(aware.named ? { riskAware: aware.named } : {}) };
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
  options: { onToken?: (delta: string) => void; signal?: AbortSignal; opening?: string } = {},
): Promise<{ text: string; deep?: RespondResult['deep'] }> {
  const chat: ChatInput = { prompt: input.prompt, image: input.image, ...(input.system ? { system: input.system } : {}) };
  if (mode === 'shallow') {
    return { text: (await alignShallow(deps.generator, chat, alignment.shallow, options)).text };
  }
  const result = await alignDeep(
    deps.generator,
    chat,
    { reward: (texts, instruction) => deps.rewardMany(texts, instruction), clip: (texts) => closestOverImages(input.image, texts, deps.imageTextScores) },
    alignment.deep,
    {
      signal: options.signal,
      ...(options.opening ? { opening: options.opening } : {}),
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
