// The guard: a thin facade over the evaluator runtime (workers, models, closed state),
// ETA's pipeline (evaluate, respond) and DREAM's risk service. Every public call goes
// through the runtime's gate: the same back-pressure, and DISPOSED once disposed.
import { GuardError, isGuardError } from './errors.ts';
import { type EvaluateInput as EtaEvaluateInput, type EvaluationResult as EtaEvaluationResult, evaluateAnswer } from './eta/evaluate.ts';
import { forCall } from './eta/pipeline.ts';
import { type DecisionRule, type ResolvedPolicy, type Thresholds, resolvePolicy } from './eta/policy.ts';
import { SingleChecks, runtimeScorers } from './eta/scorers.ts';
import type { Generator } from './generators/types.ts';
import { type ImageInputs, type ImageSource, checkImagesArgument, imageList } from './images/image-input.ts';
import { AlignmentOverridesSchema, DecisionRuleSchema, type GuardOptions, type ResolvedOptions, RespondModeSchema, ThresholdsSchema, checkRiskNeedsGenerator, resolveOptions } from './options.ts';
import { parseOption } from './validation.ts';
import { PreferenceRecorder } from './preferences/recorder.ts';
import { type RespondInput, type RespondMode, type RespondOptions, type RespondResult, respond } from './respond/respond.ts';
import type { RiskReportMode } from './risk/config.ts';
import { RiskReports, RiskService } from './risk/risk-service.ts';
import { resolveRiskThresholds } from './risk/thresholds.ts';
import type { Backend, ModelProgress, RewardLoadReport } from './runtime/contracts.ts';
import { EvaluatorRuntime } from './runtime/evaluator-runtime.ts';
import { type ModelDtype, type RewardKind, type ThresholdBasis, thresholdBasis } from './runtime/manifest.ts';

export interface GuardInfo {
  models: { clip: string; reward: string };
  /** The manifest tier the models came from (createGuard({ tier })). */
  tier?: string;
  /** The backends the workers loaded on (guard.runtime.backends: now). */
  backends: { clip: Backend; reward: Backend };
  /** The weights loaded on those backends (a model may name another dtype for adapters without shader-f16). */
  dtypes: { clip?: ModelDtype; reward?: ModelDtype };
  fallbackReasons: { clip?: string; reward?: string };
  rewardFraming: RewardLoadReport['framing'];
  /** The reward model's evaluator kind (manifest `kind`). */
  rewardKind: RewardKind;
  policy: ResolvedPolicy;
  modelBase: string;
  /** respond()'s alignment mode when a call names none (createGuard({ mode }); the eta-paper preset: deep). */
  mode: RespondMode;
  /** Generated test models only: scores are meaningful for tests, not for real content. */
  testModelsOnly: boolean;
  /** Thresholds measured on labelled data (npm run eval -- --record). */
  calibrated: { clip: boolean; reward: boolean };
  /** What each model's thresholds rest on: measured, designed (generated test models), published, or not measured. */
  thresholdBasis: { clip: ThresholdBasis; reward: ThresholdBasis };
  loadMs: { clip: number; reward: number; ocr?: number };
  /** Of loadMs: each worker's warm-up run, after its files were read and its sessions made. */
  warmUpMs: { clip: number | null; reward: number | null };
  /** Image text (OCR): the mode asked for, whether it runs, and why not. */
  imageText: { mode: 'auto' | 'on' | 'off'; active: boolean; model?: string; reason?: string };
  /** The risk report's default mode and whether its CLIP category thresholds were measured. */
  risk: { report: RiskReportMode; calibrated: boolean; method: string };
}

/** Which models and backends produced a result, and why a worker is not where it was asked to be. */
export interface Provenance {
  backends: { clip: Backend; reward: Backend; ocr?: Backend };
  models: { clip: string; reward: string };
  fallbackReasons?: { clip?: string; reward?: string; ocr?: string };
}

export type EvaluateInput = EtaEvaluateInput<ImageInputs>;
export type EvaluationResult = EtaEvaluationResult & Provenance;
export type GuardRespondResult = RespondResult & Provenance;

/** Per call: abort, this call's thresholds, this call's risk report. */
export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the policy's thresholds for this call only (no new guard, no reload). */
  thresholds?: Partial<Thresholds>;
  /** Overrides policy.rule for this call: `eta` (both unsafe) or `response` (the answer alone). */
  rule?: DecisionRule;
  /** Overrides createGuard({ riskReport }) for this call. */
  riskReport?: RiskReportMode;
}

export interface GuardRespondOptions extends RespondOptions, CallOptions {
  /** The VLM for this call (default: createGuard({ generator })). */
  generator?: Generator;
}

export type GuardProgressEvent = CustomEvent<ModelProgress>;

export class Guard extends EventTarget {
  readonly info: GuardInfo;
  /** Workers and models: backends, fallbacks, restarts, memory, load, fault drills. */
  readonly runtime: EvaluatorRuntime;
  /** DREAM's risk report, moderation and risk-awareness judge. */
  readonly risk: RiskService;
  /** ETA's checks one at a time (image, response, image text, image–text similarity). */
  readonly checks: SingleChecks;
  /** Preference pairs of aligned answers; null unless createGuard({ preferences: { enabled: true } }). */
  readonly preferences: PreferenceRecorder | null;
  readonly #options: ResolvedOptions;
  /** The risk report inside evaluate/respond (guard.risk's own calls go through the door themselves). */
  readonly #reports: RiskReports;

  /** Use createGuard(). */
  constructor(runtime: EvaluatorRuntime, options: ResolvedOptions) {
    super();
    const { clip, reward, imageText } = runtime.models;
    const policy = resolvePolicy(options.policy, { clipId: clip.id, clip: clip.entry, rewardId: reward.id, reward: reward.entry });
    const riskClip = resolveRiskThresholds(clip.id, clip.entry, options.risk.thresholds);
    this.runtime = runtime;
    this.#options = options;
    this.info = {
      models: { clip: clip.id, reward: reward.id },
      ...(options.tier ? { tier: options.tier } : {}),
      backends: { clip: clip.report.backend, reward: reward.report.backend },
      dtypes: { ...(clip.report.dtype ? { clip: clip.report.dtype } : {}), ...(reward.report.dtype ? { reward: reward.report.dtype } : {}) },
      fallbackReasons: { clip: clip.report.fallbackReason, reward: reward.report.fallbackReason },
      rewardFraming: reward.report.framing,
      rewardKind: reward.entry.kind,
      policy,
      mode: options.mode,
      modelBase: options.modelBase,
      testModelsOnly: [clip.entry, reward.entry].every((m) => m.source === 'generated'),
      calibrated: { clip: clip.entry.calibration.calibrated, reward: reward.entry.calibration.calibrated },
      thresholdBasis: { clip: thresholdBasis(clip.entry.calibration), reward: thresholdBasis(reward.entry.calibration) },
      loadMs: { clip: clip.report.loadMs, reward: reward.report.loadMs, ...(imageText.loadMs !== undefined ? { ocr: imageText.loadMs } : {}) },
      warmUpMs: { clip: clip.report.warmUpMs ?? null, reward: reward.report.warmUpMs ?? null },
      imageText: { mode: imageText.mode, active: imageText.active, ...(imageText.model ? { model: imageText.model } : {}), ...(imageText.reason ? { reason: imageText.reason } : {}) },
      risk: { report: options.risk.report, calibrated: riskClip.calibrated, method: riskClip.method },
    };
    this.checks = new SingleChecks(runtime, policy);
    const riskDeps = {
      config: options.risk,
      clip: { imageTextScores: runtime.clip.imageTextScores.bind(runtime.clip), textTextScores: runtime.clip.textTextScores.bind(runtime.clip), clip: riskClip },
      ...(options.generator ? { generator: options.generator } : {}),
    };
    this.#reports = new RiskReports(riskDeps);
    this.risk = new RiskService(
      {
        ...riskDeps,
        gate: runtime.calls,
        ...(runtime.ocr ? { imageText: async (image: ImageSource) => runtime.ocr?.read(image).then((r) => r.text, () => undefined) } : {}),
        fetchImage: (image, signal) => runtime.fetchImage(image, signal),
        reports: this.#reports,
      },
    );
    this.preferences = options.preferences.enabled ? new PreferenceRecorder(this, options.preferences) : null;
  }

  /**
   * Evaluates an answer and decides by ETA's rule (align only if both unsafe). A check
   * that fails is `unknown` with its error and the policy's `unknownAs` decides; throws
   * only for bad input, back-pressure (BUSY), abort and disposal.
   */
  evaluate(input: EvaluateInput, options: CallOptions = {}): Promise<EvaluationResult> {
    return this.runtime.calls.run('evaluate()', async (signal) => {
      if (typeof input !== 'object' || input === null) throw new GuardError('INPUT_INVALID', 'evaluate() takes { image, prompt?, response }.');
      if (typeof input.response !== 'string') throw new GuardError('INPUT_INVALID', `evaluate(): response must be a string, got ${typeof input.response}.`);
      if (input.prompt !== undefined && typeof input.prompt !== 'string') throw new GuardError('INPUT_INVALID', `evaluate(): prompt must be a string, got ${typeof input.prompt}.`);
      checkImagesArgument('evaluate()', input.image, this.#options.maxImages);
      const riskMode = this.#reports.mode(options.riskReport, 'evaluate()');
      // An image that could not be fetched is judged `unknown`; a forbidden origin or an abort ends the call.
      const images = await Promise.all(
        imageList(input.image).map((image) =>
          this.runtime.fetchImage(image, signal).catch((error: unknown) => {
            if (isGuardError(error, 'IMAGE_UNDECODABLE') || isGuardError(error, 'TIMEOUT')) return error;
            throw error;
          }),
        ),
      );
      const fetched = images.filter((image): image is ImageSource => !(image instanceof GuardError));
      const request = { ...(fetched.length ? { image: fetched } : {}), ...(input.prompt !== undefined ? { prompt: input.prompt } : {}) };
      const result = await evaluateAnswer(
        {
          policy: this.#callPolicy(options),
          scorers: runtimeScorers(this.runtime, images),
          risk: (imageText) => this.#reports.report(riskMode, { ...request, imageText }, { signal }),
        },
        input,
      );
      return { ...result, ...this.#provenance() };
    }, options.signal);
  }

  /**
   * Generates an answer with the VLM while CLIP checks the image (or takes the given
   * `answer`), evaluates it, and aligns it when ETA's rule says so. Tokens stream to `onToken`.
   */
  respond(input: RespondInput, options: GuardRespondOptions = {}): Promise<GuardRespondResult> {
    return this.runtime.calls.run('respond()', async (signal) => {
      if (typeof input !== 'object' || input === null || typeof input.prompt !== 'string') {
        throw new GuardError('INPUT_INVALID', 'respond() takes { image, prompt, system? } with a string prompt.');
      }
      checkImagesArgument('respond()', input.image, this.#options.maxImages);
      const generator = options.generator ?? this.#options.generator;
      if (!generator) throw new GuardError('OPTIONS_INVALID', 'respond() needs a VLM: pass createGuard({ generator }) or respond(input, { generator }).');
      const riskMode = this.#reports.mode(options.riskReport, 'respond()');
      // Per-call alignment and mode: the same fields and rules as createGuard's (no undefined values, no inherited keys).
      const alignment = options.alignment === undefined ? undefined : parseOption(AlignmentOverridesSchema, options.alignment, 'respond() alignment');
      const mode = options.mode === undefined ? undefined : parseOption(RespondModeSchema, options.mode, 'respond() mode');
      // The VLM is sent the bytes that are judged; no image, no answer.
      const images = await Promise.all(imageList(input.image).map((image) => this.runtime.fetchImage(image, signal)));
      const image = Array.isArray(input.image) ? images : images[0]!;
      const request = { image, prompt: input.prompt };
      const { risk } = this.#options;
      const result = await respond(
        {
          generator,
          policy: this.#callPolicy(options),
          alignment: this.#options.alignment,
          gate: this.#options.gate,
          scorers: runtimeScorers(this.runtime, images),
          rewardMany: (texts, instruction) => this.runtime.reward.scoreMany(texts, instruction === undefined ? 'response' : { instruction }),
          imageTextScores: (image, texts) => this.runtime.clip.imageTextScores(image, texts),
          assessRisks: (imageText) => this.#reports.report(riskMode, { ...request, imageText }, { generator, signal }),
          riskAware: { mode: risk.alignment, prompts: risk.prompts },
          ...(risk.judge ? { judge: (response: string, risks: string) => this.#reports.judgeWithin(generator, { ...request, response, risks }, signal) } : {}),
        },
        { ...input, image },
        { ...options, signal, ...(alignment ? { alignment } : {}), mode: mode ?? this.#options.mode },
      );
      if (result.modeUsed !== 'off') this.#announceAligned({ ...input, image }, result);
      return { ...result, ...this.#provenance() };
      // An abort ends generation; respond settles it, keeping the vanilla answer so far in the error.
    }, options.signal, { keepsPartial: true });
  }

  /** Stops the workers; every call waiting or running, and every later call, rejects with DISPOSED. */
  dispose(): void {
    this.preferences?.stop();
    this.runtime.close();
  }

  /** The guard's policy with this call's thresholds and rule, validated like createGuard's. */
  #callPolicy({ thresholds, rule }: { thresholds?: unknown; rule?: unknown }): ResolvedPolicy {
    return forCall(
      this.info.policy,
      thresholds === undefined ? undefined : parseOption(ThresholdsSchema, thresholds, 'call thresholds'),
      rule === undefined ? undefined : parseOption(DecisionRuleSchema, rule, 'call rule'),
    );
  }

  #provenance(): Provenance {
    const fallbackReasons = this.runtime.fallbackReasons;
    return { backends: this.runtime.backends, models: this.info.models, ...(Object.keys(fallbackReasons).length ? { fallbackReasons } : {}) };
  }

  /** Event `aligned`: what the preference recorder (or the host) keeps of an aligned answer. */
  #announceAligned(input: RespondInput, result: RespondResult): void {
    if (result.modeUsed === 'off') return;
    const { alignment } = this.#options;
    const answer = {
      vanilla: result.vanilla,
      text: result.text,
      modeUsed: result.modeUsed,
      vanillaReward: result.responseCheck.score,
      alignedReward: result.alignedCheck?.score ?? null,
      imageScore: result.image.score,
      ...(result.deep ? { deep: result.deep } : {}),
      models: { ...this.info.models, generator: result.generator },
      thresholds: result.policy.thresholds,
      prefix: result.modeUsed === 'deep' ? alignment.deep.prefix : alignment.shallow.prefix,
    };
    this.dispatchEvent(new CustomEvent('aligned', { detail: { input: { image: input.image, prompt: input.prompt, ...(input.system ? { system: input.system } : {}) }, answer } }));
  }
}

/** Loads the manifest and the evaluators (in parallel workers) and resolves when they are ready. */
export async function createGuard(options: GuardOptions = {}): Promise<Guard> {
  checkEnvironment();
  const resolved = resolveOptions(options, globalThis.document?.baseURI ?? globalThis.location.href);
  checkRiskNeedsGenerator(resolved.risk, resolved.generator !== undefined);
  // Progress also arrives after creation (a restarted worker reloads its model).
  const created: { guard?: Guard } = {};
  const runtime = await EvaluatorRuntime.start(
    resolved,
    (progress) => {
      resolved.onProgress?.(progress);
      created.guard?.dispatchEvent(new CustomEvent('progress', { detail: progress }));
    },
    resolved.signal,
  );
  created.guard = new Guard(runtime, resolved);
  warnIfTestModels(created.guard.info);
  return created.guard;
}

/** The guard runs in a browser page: Web Workers, WebAssembly and the page's URL. Elsewhere (Node, SSR) it says so. */
function checkEnvironment(): void {
  const missing = [
    ...(typeof Worker === 'undefined' ? ['Web Workers'] : []),
    ...(typeof WebAssembly === 'undefined' ? ['WebAssembly'] : []),
    ...(globalThis.document === undefined && globalThis.location === undefined ? ['a page URL'] : []),
  ];
  if (missing.length === 0) return;
  throw new GuardError(
    'ENVIRONMENT_UNSUPPORTED',
    `vlm-guard runs in the browser page (it needs ${missing.join(', ')}, missing here). Create the guard in client code (a 'use client' component, an effect), not on the server; a server-side AI SDK app puts vlmGuardMiddleware in the page that calls the model (see the README, "Where it runs").`,
  );
}

let warnedTestModels = false;

/** Said once per page: generated test models give scores that mean nothing for real content. */
function warnIfTestModels(info: GuardInfo): void {
  if (!info.testModelsOnly || warnedTestModels) return;
  warnedTestModels = true;
  console.warn(
    `vlm-guard: only the generated test models are loaded (${info.models.clip}, ${info.models.reward}); their scores are designed for tests, not for real images and answers. ` +
      'Install real models with `npx vlm-guard fetch --tier light` (or standard) and pass createGuard({ tier }).',
  );
}
