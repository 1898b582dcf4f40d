// The Evaluate-Then-Align controller: loads the evaluators, runs ETA's checks and
// applies the decision rule. (Alignment itself arrives with the generators.)
import { type Decision, type Verdict, combineImageSignals, countsAsUnsafe, decide, firedSignals, imageVerdict, responseVerdict } from './decision.ts';
import { GuardError, asGuardError } from './errors.ts';
import { ClipEvaluator } from './evaluators/clip-evaluator.ts';
import { type ImageTextReading, OcrEvaluator } from './evaluators/ocr-evaluator.ts';
import type { TextLine } from './ocr/config.ts';
import { RewardEvaluator } from './evaluators/reward-evaluator.ts';
import type {
  Backend,
  ClipWorkerApi,
  LoadReport,
  ModelProgress,
  OcrWorkerApi,
  RewardLoadReport,
  RewardWorkerApi,
  DeviceLossApi,
  MemoryApi,
  WorkerMemory,
  WorkerRuntimeConfig,
} from './evaluators/worker-api.ts';
import { WorkerHost } from './evaluators/worker-host.ts';
import { type ImageInput, isImageInput, sha256Hex } from './images/image-input.ts';
import { type Manifest, type RewardKind, findModel, tierModels } from './manifest.ts';
import type { RiskCategory } from './risk/categories.ts';
import { loadManifest, needsShaderF16, runtimeConfig } from './model-source.ts';
import { type GuardOptions, type ResolvedOptions, resolveOptions } from './options.ts';
import { type ResolvedPolicy, resolvePolicy } from './policy.ts';
import * as Comlink from 'comlink';
import { type AlignmentConfig, type AlignmentOverrides, mergeAlignment } from './alignment/config.ts';
import type { Generator } from './generators/types.ts';
import { type RespondInput, type RespondOptions, type RespondResult, align, respond } from './respond/respond.ts';
import { imageToUrl } from './generators/remote/image-url.ts';
import { type AlignedAnswer, pairsFromAnswer, toJsonl } from './preferences/pairs.ts';
import { PreferenceStore } from './preferences/store.ts';
import { type RiskDeps, type RiskReport, type RiskRequest, assessRisks } from './risk/assess.ts';
import { type ModerationResponse, toModeration } from './risk/clip-risk.ts';
import type { RiskConfig, RiskReportMode } from './risk/config.ts';
import { type JudgeResult, judgeRiskAwareness, riskSummary } from './risk/judge.ts';
import { RiskReportModeSchema, checkRiskNeedsGenerator } from './options.ts';
import { resolveRiskThresholds } from './risk/thresholds.ts';
import * as v from 'valibot';
import { Limiter, type LimiterOptions } from './concurrency/limiter.ts';

export interface CheckError {
  code: string;
  message: string;
}

export interface ImageCheck {
  /** cosine(image, unsafe description); null when not evaluated or failed. */
  score: number | null;
  threshold: number;
  verdict: Verdict;
  cached: boolean;
  error?: CheckError;
}

export interface ResponseCheck {
  /** Reward of the response (for a guard-generative model, P(safe)); null when failed. */
  score: number | null;
  threshold: number;
  verdict: Verdict;
  /** Guard-generative models (Llama Guard): the category codes an unsafe response got, and the risk categories they map to. */
  codes?: string[];
  categories?: RiskCategory[];
  error?: CheckError;
}

/** The text read from the image, scored as a request. */
export interface ImageTextCheck {
  text: string;
  lines: TextLine[];
  /** Reward of the text as a request; null when there is no text or the check failed. */
  score: number | null;
  threshold: number;
  verdict: Verdict;
  error?: CheckError;
}

export interface EvaluateInput {
  image: ImageInput;
  /** The user's question; kept in the result. ETA's reward check drops it on purpose. */
  prompt?: string;
  /** The VLM's answer to evaluate. */
  response: string;
}

export interface GuardInfo {
  models: { clip: string; reward: string };
  /** The manifest tier the models came from (createGuard({ tier })). */
  tier?: string;
  backends: { clip: Backend; reward: Backend };
  fallbackReasons: { clip?: string; reward?: string };
  rewardFraming: RewardLoadReport['framing'];
  /** The reward model's evaluator kind (manifest `kind`). */
  rewardKind: RewardKind;
  policy: ResolvedPolicy;
  modelBase: string;
  /** Generated test models only: scores are meaningful for tests, not for real content. */
  testModelsOnly: boolean;
  calibrated: { clip: boolean; reward: boolean };
  loadMs: { clip: number; reward: number; ocr?: number };
  /** Image text (OCR): the mode asked for, whether it runs, and why not. */
  imageText: { mode: 'auto' | 'on' | 'off'; active: boolean; model?: string; reason?: string };
  /** The risk report's default mode and whether its CLIP category thresholds were measured. */
  risk: { report: RiskReportMode; calibrated: boolean; method: string };
}

export interface EvaluationResult {
  decision: Decision;
  reason: string;
  /** The evaluated (vanilla) answer, always kept. */
  response: string;
  prompt?: string;
  image: ImageCheck;
  /** Present when image text is on (createGuard({ imageText })). */
  imageText?: ImageTextCheck;
  /** The image verdict the decision used: CLIP and image text combined, and which said unsafe. */
  imageSignals: { verdict: Verdict; fired: ('clip' | 'image-text')[] };
  responseCheck: ResponseCheck;
  policy: ResolvedPolicy;
  backends: { clip: Backend; reward: Backend; ocr?: Backend };
  models: { clip: string; reward: string };
  /** Present when a risk report was asked for (riskReport option). Explains; the decision is ETA's. */
  risk?: RiskReport;
  /** Why a worker runs on another backend than asked (no WebGPU, or its device was lost). */
  fallbackReasons?: { clip?: string; reward?: string; ocr?: string };
  /** Milliseconds per stage. `image` includes decoding; 0 when skipped. */
  timings: { image: number; response: number; imageText?: number; risk?: number; total: number };
}

/** Per-call options of evaluate(). */
export interface EvaluateOptions {
  /** Overrides createGuard({ riskReport }) for this call. */
  riskReport?: RiskReportMode;
  signal?: AbortSignal;
}

export type GuardProgressEvent = CustomEvent<ModelProgress>;

export interface GuardRespondOptions extends RespondOptions {
  generator?: Generator;
  /** Overrides createGuard({ riskReport }) for this call. */
  riskReport?: RiskReportMode;
}

export interface GuardRespondResult extends RespondResult {
  backends: { clip: Backend; reward: Backend; ocr?: Backend };
  models: { clip: string; reward: string };
}

function withoutMs<T extends { ms: number }>(check: T): Omit<T, 'ms'> {
  const copy: Partial<T> = { ...check };
  delete copy.ms;
  return copy as Omit<T, 'ms'>;
}

/** A value's kind for error messages ("number", "null", "object Object"). */
const describeValue = (value: unknown) => (value === null ? 'null' : typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'plain'} object` : typeof value);

const errorOf = (error: unknown, code: 'INFERENCE_FAILED'): CheckError => {
  const e = asGuardError(error, code, 'evaluator failed');
  return { code: e.code, message: e.message };
};

export class Guard extends EventTarget {
  readonly info: GuardInfo;
  readonly #clip: ClipEvaluator;
  readonly #reward: RewardEvaluator;
  readonly #hosts: { clip: WorkerHost<ClipWorkerApi, LoadReport>; reward: WorkerHost<RewardWorkerApi, RewardLoadReport> };
  readonly #generator: Generator | undefined;
  readonly #preferences: PreferenceStore | null;
  readonly #ocr: { evaluator: OcrEvaluator; host: WorkerHost<OcrWorkerApi, LoadReport> } | undefined;
  readonly #alignment: AlignmentConfig;
  readonly #risk: RiskConfig;
  readonly #riskClip: RiskDeps['clip'];
  readonly #limiter: Limiter;

  /** Use createGuard(). */
  constructor(parts: {
    info: GuardInfo;
    clip: ClipEvaluator;
    reward: RewardEvaluator;
    hosts: { clip: WorkerHost<ClipWorkerApi, LoadReport>; reward: WorkerHost<RewardWorkerApi, RewardLoadReport> };
    generator?: Generator;
    alignment: AlignmentConfig;
    ocr?: { evaluator: OcrEvaluator; host: WorkerHost<OcrWorkerApi, LoadReport> };
    preferences: PreferenceStore | null;
    risk: RiskConfig;
    riskClip: RiskDeps['clip'];
    concurrency: LimiterOptions;
  }) {
    super();
    this.#limiter = new Limiter(parts.concurrency);
    this.#risk = parts.risk;
    this.#riskClip = parts.riskClip;
    this.info = parts.info;
    this.#preferences = parts.preferences;
    this.#ocr = parts.ocr;
    this.#generator = parts.generator;
    this.#alignment = parts.alignment;
    this.#clip = parts.clip;
    this.#reward = parts.reward;
    this.#hosts = parts.hosts;
  }

  /** Restarts per worker (a crashed or timed-out worker is replaced on the next call). */
  get workerRestarts(): { clip: number; reward: number } {
    return { clip: this.#hosts.clip.restarts, reward: this.#hosts.reward.restarts };
  }

  /** Why a worker is not on the backend asked for: no WebGPU at load, or its device lost since. */
  get fallbackReasons(): { clip?: string; reward?: string; ocr?: string } {
    const lost = (host: { deviceLost: string | null } | undefined) => (host?.deviceLost ? `WebGPU device lost (${host.deviceLost}); now on WASM` : undefined);
    const reasons = { clip: lost(this.#hosts.clip) ?? this.info.fallbackReasons.clip, reward: lost(this.#hosts.reward) ?? this.info.fallbackReasons.reward, ocr: lost(this.#ocr?.host) };
    return Object.fromEntries(Object.entries(reasons).filter(([, r]) => r !== undefined));
  }

  /**
   * Fault drill: destroys the WebGPU device under every worker running on it, as a driver
   * reset or GPU removal would. The next call on each finds the loss, restarts the worker
   * on WASM and is retried there (`backends`, `fallbackReasons` say so).
   */
  simulateDeviceLoss(): Promise<{ clip: boolean; reward: boolean; ocr?: boolean }> {
    return this.#eachWorker('device loss', (api) => api.loseDevice());
  }

  /**
   * What each model worker holds outside its JS heap: onnxruntime-web's WebAssembly memory
   * and its live WebGPU buffers (see WorkerMemory).
   */
  memoryUsage(): Promise<{ clip: WorkerMemory; reward: WorkerMemory; ocr?: WorkerMemory }> {
    return this.#eachWorker('memory usage', (api) => api.memory());
  }

  /** One call on each model worker (OCR's when it is loaded), side by side. */
  async #eachWorker<T>(what: string, call: (api: Comlink.Remote<DeviceLossApi & MemoryApi>) => Promise<T>): Promise<{ clip: T; reward: T; ocr?: T }> {
    const run = <A, R>(host: WorkerHost<A, R>) => host.call(what, (api) => call(api as unknown as Comlink.Remote<DeviceLossApi & MemoryApi>));
    const [clip, reward, ocr] = await Promise.all([run(this.#hosts.clip), run(this.#hosts.reward), this.#ocr ? run(this.#ocr.host) : undefined]);
    return { clip, reward, ...(ocr !== undefined ? { ocr } : {}) };
  }

  /** The backend each worker runs on now (a restarted worker may have fallen back). */
  get backends(): { clip: Backend; reward: Backend; ocr?: Backend } {
    const ocr = this.#ocr?.host.lastReport?.backend;
    return {
      clip: this.#hosts.clip.lastReport?.backend ?? this.info.backends.clip,
      reward: this.#hosts.reward.lastReport?.backend ?? this.info.backends.reward,
      ...(ocr ? { ocr } : {}),
    };
  }

  /** Reads the text in an image (PP-OCRv4): lines with confidence and boxes, timings, backend. */
  async readImageText(image: ImageInput): Promise<ImageTextReading & { backend: Backend }> {
    if (!this.#ocr) {
      throw new GuardError('OPTIONS_INVALID', `Image text is not active (${this.info.imageText.reason ?? `imageText: "${this.info.imageText.mode}"`}); create the guard with imageText: 'on' or 'auto'.`);
    }
    const reading = await this.#ocr.evaluator.read(image);
    return { ...reading, backend: this.#ocr.evaluator.backend ?? 'wasm' };
  }

  get imageCacheStats() {
    return this.#clip.cacheStats;
  }

  /** ETA's pre-generation check alone. Throws a GuardError when it cannot be evaluated. */
  async evaluateImage(image: ImageInput): Promise<ImageCheck & { ms: number; timings: { decodeMs: number; embedMs: number } }> {
    const started = performance.now();
    const threshold = this.info.policy.thresholds.image;
    const { score, cached, timings } = await this.#clip.imageScore(image);
    return { score, threshold, verdict: imageVerdict(score, threshold), cached, ms: performance.now() - started, timings };
  }

  /** cosine(image, text) with the guard's CLIP (deep alignment's per-sentence image term). */
  async imageTextSimilarity(image: ImageInput, text: string): Promise<number> {
    if (typeof text !== 'string') throw new GuardError('INPUT_INVALID', `imageTextSimilarity: text must be a string, got ${typeof text}.`);
    return (await this.#clip.textImageScore(image, text)).score;
  }

  /** ETA's post-generation check alone. Throws a GuardError when it cannot be evaluated. */
  async evaluateResponse(response: string): Promise<ResponseCheck & { ms: number }> {
    if (typeof response !== 'string') throw new GuardError('INPUT_INVALID', `evaluateResponse: response must be a string, got ${typeof response}.`);
    const threshold = this.info.policy.thresholds.reward;
    if (this.info.rewardKind === 'guard-generative') {
      const { score, ms, codes, categories } = await this.#reward.assess(response);
      return { score, threshold, verdict: responseVerdict(score, threshold), ...(codes ? { codes, categories: categories ?? [] } : {}), ms };
    }
    const { score, ms } = await this.#reward.score(response);
    return { score, threshold, verdict: responseVerdict(score, threshold), ms };
  }

  /**
   * Evaluates an answer and decides by ETA's rule (align only if both unsafe).
   * An evaluator that fails gives `unknown` with its error; the policy's `unknownAs`
   * decides how that counts. Never throws for evaluator failures.
   */
  evaluate(input: EvaluateInput, options: EvaluateOptions = {}): Promise<EvaluationResult> {
    return this.#limiter.run('evaluate()', () => this.#evaluate(input, options), options.signal);
  }

  async #evaluate(input: EvaluateInput, options: EvaluateOptions): Promise<EvaluationResult> {
    if (typeof input !== 'object' || input === null) throw new GuardError('INPUT_INVALID', 'evaluate() takes { image, prompt?, response }.');
    if (typeof input.response !== 'string') throw new GuardError('INPUT_INVALID', `evaluate(): response must be a string, got ${typeof input.response}.`);
    if (!isImageInput(input.image)) throw new GuardError('INPUT_INVALID', `evaluate(): image must be a Blob, ImageBitmap, ImageData, <img>/<canvas>/<video>, OffscreenCanvas or URL, got ${describeValue(input.image)}.`);
    const { policy } = this.info;
    const started = performance.now();
    const riskMode = this.#riskMode(options.riskReport, 'evaluate()');
    // The risk report runs alongside; its CLIP part waits for the image's text when OCR reads it.
    let imageTextRead: (text: string | undefined) => void = () => undefined;
    const imageTextForRisk = new Promise<string | undefined>((resolve) => (imageTextRead = resolve));
    const risk = this.#startRisk(riskMode, { image: input.image, ...(input.prompt !== undefined ? { prompt: input.prompt } : {}), imageText: imageTextForRisk }, options);

    let image: ImageCheck & { ms: number };
    let imageText: (ImageTextCheck & { ms: number }) | undefined;
    let response: ResponseCheck & { ms: number };
    if (policy.order === 'parallel') {
      [image, imageText, response] = await Promise.all([this.#checkImage(input.image), this.#checkImageText(input.image), this.#checkResponse(input.response)]);
    } else {
      response = await this.#checkResponse(input.response);
      [image, imageText] = countsAsUnsafe(response.verdict, policy.unknownAs)
        ? await Promise.all([this.#checkImage(input.image), this.#checkImageText(input.image)])
        : [{ score: null, threshold: policy.thresholds.image, verdict: 'skipped', cached: false, ms: 0 }, undefined];
    }
    imageTextRead(imageText?.text);
    const signals = { clip: image.verdict, ...(imageText ? { imageText: imageText.verdict } : {}) };
    const imageVerdictCombined = combineImageSignals(signals);
    const { decision, reason } = decide(imageVerdictCombined, response.verdict, policy.unknownAs);
    const { ms: imageMs, ...imageResult } = image;
    const { ms: responseMs, ...responseResult } = response;
    const riskReport = await risk;
    return {
      decision,
      reason,
      response: input.response,
      ...(input.prompt !== undefined ? { prompt: input.prompt } : {}),
      image: { score: imageResult.score, threshold: imageResult.threshold, verdict: imageResult.verdict, cached: imageResult.cached, ...(imageResult.error ? { error: imageResult.error } : {}) },
      ...(imageText ? { imageText: withoutMs(imageText) } : {}),
      imageSignals: { verdict: imageVerdictCombined, fired: firedSignals(signals) },
      responseCheck: responseResult,
      policy,
      backends: this.backends,
      models: this.info.models,
      ...(Object.keys(this.fallbackReasons).length ? { fallbackReasons: this.fallbackReasons } : {}),
      ...(riskReport ? { risk: riskReport } : {}),
      timings: {
        image: imageMs,
        response: responseMs,
        ...(imageText ? { imageText: imageText.ms } : {}),
        ...(riskReport ? { risk: riskReport.ms } : {}),
        total: performance.now() - started,
      },
    };
  }

  /**
   * DREAM's risk report for a request: CLIP's per-category scores of the image, the
   * question, other text and (with OCR on) the image's text; the VLM's own risk list
   * (image+question, image only, question only, each risk verified yes/no); or both.
   * Default mode: the guard's riskReport, or `clip` when that is off.
   */
  assessRisks(
    request: { image?: ImageInput; prompt?: string; text?: string },
    options: { mode?: RiskReportMode; generator?: Generator; signal?: AbortSignal } = {},
  ): Promise<RiskReport> {
    return this.#limiter.run('assessRisks()', () => this.#assessRisks(request, options), options.signal);
  }

  async #assessRisks(
    request: { image?: ImageInput; prompt?: string; text?: string },
    options: { mode?: RiskReportMode; generator?: Generator; signal?: AbortSignal },
  ): Promise<RiskReport> {
    const mode = this.#riskMode(options.mode, 'assessRisks()');
    this.#checkRiskRequest(request, 'assessRisks()');
    const imageText = request.image === undefined ? undefined : this.#checkImageText(request.image).then((c) => c?.text);
    const report = await this.#startRisk(mode === 'off' ? 'clip' : mode, { ...request, ...(imageText ? { imageText } : {}) }, options);
    return report!;
  }

  /**
   * The CLIP risk breakdown in OpenAI's moderation shape (`flagged`, `categories`,
   * `category_scores`, `category_applied_input_types`), with DREAM's 9 categories as keys.
   * Throws a GuardError when CLIP cannot score (a moderation call must not pass silently).
   */
  async moderate(input: { image?: ImageInput; text?: string }): Promise<ModerationResponse & { vlm_guard: { calibrated: boolean; method: string; report: RiskReport } }> {
    this.#checkRiskRequest(input, 'moderate()');
    if (input.image === undefined && !input.text?.trim()) throw new GuardError('INPUT_INVALID', 'moderate() needs an image, a non-empty text, or both.');
    const report = await this.assessRisks(input, { mode: 'clip' });
    if (!report.clip) {
      throw new GuardError(report.errors?.clip?.code === 'DISPOSED' ? 'DISPOSED' : 'INFERENCE_FAILED', `moderate(): ${report.errors?.clip?.message ?? 'the CLIP risk breakdown failed'}`);
    }
    const id = `modr-${crypto.randomUUID()}`;
    return { ...toModeration(report.clip, id), vlm_guard: { calibrated: report.clip.calibrated, method: report.clip.method, report } };
  }

  /** DREAM's judge: the VLM scores an answer 0–10 for risk awareness, given the question and the risks found. */
  async judgeRiskAwareness(
    input: { image: ImageInput; prompt: string; response: string; risks?: RiskReport },
    options: { generator?: Generator; signal?: AbortSignal } = {},
  ): Promise<JudgeResult> {
    if (typeof input?.prompt !== 'string' || typeof input.response !== 'string' || input.image == null) {
      throw new GuardError('INPUT_INVALID', 'judgeRiskAwareness() takes { image, prompt, response, risks? } with string prompt and response.');
    }
    const generator = options.generator ?? this.#generator;
    if (!generator) throw new GuardError('OPTIONS_INVALID', 'judgeRiskAwareness() needs a VLM: pass createGuard({ generator }) or { generator }.');
    const risks = input.risks?.summary ?? riskSummary({});
    return judgeRiskAwareness(generator, { image: input.image, prompt: input.prompt, response: input.response, risks }, this.#risk, options.signal);
  }

  #riskMode(mode: unknown, where: string): RiskReportMode {
    if (mode === undefined) return this.#risk.report;
    if (!v.is(RiskReportModeSchema, mode)) throw new GuardError('INPUT_INVALID', `${where}: riskReport must be clip | vlm | both | off, got "${String(mode)}".`);
    return mode;
  }

  #checkRiskRequest(request: unknown, where: string): asserts request is { image?: ImageInput; prompt?: string; text?: string } {
    if (typeof request !== 'object' || request === null) throw new GuardError('INPUT_INVALID', `${where} takes { image?, prompt?, text? }.`);
    for (const key of ['prompt', 'text'] as const) {
      const value = (request as Record<string, unknown>)[key];
      if (value !== undefined && typeof value !== 'string') throw new GuardError('INPUT_INVALID', `${where}: ${key} must be a string, got ${typeof value}.`);
    }
  }

  /** Starts a risk report; never rejects except on abort (failures are reported inside). */
  #startRisk(mode: RiskReportMode, request: RiskRequest, options: { generator?: Generator; signal?: AbortSignal }): Promise<RiskReport | undefined> {
    if (mode === 'off') return Promise.resolve(undefined);
    const generator = options.generator ?? this.#generator;
    const deps: RiskDeps = {
      imageTextScores: (image, texts) => this.#clip.imageTextScores(image, texts),
      textTextScores: (text, others) => this.#clip.textTextScores(text, others),
      clip: this.#riskClip,
      ...(generator ? { generator } : {}),
    };
    return assessRisks(deps, request, mode, this.#risk, options.signal);
  }

  /**
   * Generates an answer with the guard's VLM while CLIP checks the image, evaluates
   * it, and aligns it when ETA's rule says so. Tokens stream to `onToken`.
   */
  respond(input: RespondInput, options: GuardRespondOptions = {}): Promise<GuardRespondResult> {
    return this.#limiter.run('respond()', () => this.#respond(input, options), options.signal);
  }

  /** Calls running and waiting, against the limits (createGuard({ concurrency })). */
  get load(): Limiter['stats'] {
    return this.#limiter.stats;
  }

  async #respond(input: RespondInput, options: GuardRespondOptions): Promise<GuardRespondResult> {
    if (typeof input !== 'object' || input === null || typeof input.prompt !== 'string') {
      throw new GuardError('INPUT_INVALID', 'respond() takes { image, prompt, system? } with a string prompt.');
    }
    if (!isImageInput(input.image)) throw new GuardError('INPUT_INVALID', `respond(): image must be a Blob, ImageBitmap, ImageData, <img>/<canvas>/<video>, OffscreenCanvas or URL, got ${describeValue(input.image)}.`);
    const mode = options.mode ?? 'shallow';
    if (!['off', 'shallow', 'deep', 'auto'].includes(mode)) {
      throw new GuardError('INPUT_INVALID', `respond(): mode must be off | shallow | deep | auto, got "${String(mode)}".`);
    }
    const generator = options.generator ?? this.#generator;
    if (!generator) throw new GuardError('OPTIONS_INVALID', 'respond() needs a VLM: pass createGuard({ generator }) or respond(input, { generator }).');
    const riskMode = this.#riskMode(options.riskReport, 'respond()');
    const riskRequest = { image: input.image, prompt: input.prompt };
    const riskCall = { generator, ...(options.signal ? { signal: options.signal } : {}) };
    const result = await respond(
      {
        generator,
        policy: this.info.policy,
        alignment: this.#alignment,
        checkImage: (image) => this.#checkImage(image),
        checkResponse: (text) => this.#checkResponse(text),
        ...(this.#ocr ? { checkImageText: (image: ImageInput) => this.#checkImageText(image).then((c) => c!) } : {}),
        rewardMany: (texts) => this.#reward.scoreMany(texts),
        imageTextScores: (image, texts) => this.#clip.imageTextScores(image, texts),
        assessRisks: (imageText) => this.#startRisk(riskMode, { ...riskRequest, imageText }, riskCall),
        riskAware: { mode: this.#risk.alignment, prompts: this.#risk.prompts },
        ...(this.#risk.judge
          ? { judge: (response: string, risks: string) => judgeRiskAwareness(generator, { ...riskRequest, response, risks }, this.#risk, options.signal) }
          : {}),
      },
      input,
      options,
    );
    if (result.modeUsed !== 'off') await this.#recordPreferences(input, result);
    return { ...result, backends: this.backends, models: this.info.models };
  }

  /**
   * The preference pairs kept so far as JSONL (`prompt`/`chosen`/`rejected`/`images`/
   * `metadata` a line); images as `sha256:<hex>` references or embedded data URLs.
   */
  async exportPreferences(options: { images?: 'hash' | 'data-url' } = {}): Promise<string> {
    if (!this.#preferences) return '';
    const { pairs, images } = await this.#preferences.all();
    return toJsonl(pairs, options.images === 'data-url' ? images : undefined);
  }

  /** How many preference pairs are kept (bounded by preferences.maxPairs). */
  async preferenceCount(): Promise<number> {
    return this.#preferences ? (await this.#preferences.all()).pairs.length : 0;
  }

  async clearPreferences(): Promise<void> {
    await this.#preferences?.clear();
  }

  /** Keeps the pairs of an aligned answer; a failure here never fails the answer. */
  async #recordPreferences(input: RespondInput, result: RespondResult): Promise<void> {
    if (result.modeUsed === 'off') return;
    await this.#keepPairs(input, {
      vanilla: result.vanilla,
      text: result.text,
      modeUsed: result.modeUsed,
      vanillaReward: result.responseCheck.score,
      alignedReward: result.alignedCheck?.score ?? null,
      imageScore: result.image.score,
      ...(result.deep ? { deep: result.deep } : {}),
      generator: result.generator,
    });
  }

  async #keepPairs(
    input: RespondInput,
    answer: Pick<AlignedAnswer, 'vanilla' | 'text' | 'modeUsed' | 'vanillaReward' | 'alignedReward' | 'imageScore' | 'deep'> & { generator: string },
  ): Promise<void> {
    if (!this.#preferences) return;
    try {
      const dataUrl = await imageToUrl(input.image);
      const imageSha256 = await sha256Hex(new TextEncoder().encode(dataUrl));
      const { generator, ...aligned } = answer;
      const pairs = pairsFromAnswer({
        ...aligned,
        prompt: input.prompt,
        ...(input.system ? { system: input.system } : {}),
        imageSha256,
        models: { ...this.info.models, generator },
        thresholds: this.info.policy.thresholds,
        prefix: answer.modeUsed === 'deep' ? this.#alignment.deep.prefix : this.#alignment.shallow.prefix,
      });
      await this.#preferences.add(pairs, { sha256: imageSha256, dataUrl });
    } catch (error) {
      this.dispatchEvent(new CustomEvent('preferences-error', { detail: error }));
    }
  }

  /** ETA's image check that never throws: a failure is `unknown` with its error. */
  async #checkImage(image: ImageInput): Promise<ImageCheck & { ms: number }> {
    const started = performance.now();
    try {
      return await this.evaluateImage(image);
    } catch (error) {
      return { score: null, threshold: this.info.policy.thresholds.image, verdict: 'unknown', cached: false, error: errorOf(error, 'INFERENCE_FAILED'), ms: performance.now() - started };
    }
  }

  /**
   * Aligns an answer that was judged unsafe elsewhere (fetch protection): shallow or
   * deep, through the given generator (the endpoint that produced the vanilla answer).
   */
  async align(
    input: RespondInput,
    options: {
      mode: 'shallow' | 'deep';
      generator?: Generator;
      signal?: AbortSignal;
      onToken?: (delta: string) => void;
      alignment?: AlignmentOverrides;
      /** The unsafe answer and its evaluation: the aligned answer is then kept as a preference pair too. */
      vanilla?: { text: string; evaluation: EvaluationResult };
    },
  ): Promise<{ text: string; deep?: RespondResult['deep'] }> {
    const generator = options.generator ?? this.#generator;
    if (!generator) throw new GuardError('OPTIONS_INVALID', 'align() needs a VLM: pass createGuard({ generator }) or align(input, { generator }).');
    const aligned = await align(
      {
        generator,
        rewardMany: (texts) => this.#reward.scoreMany(texts),
        imageTextScores: (image, texts) => this.#clip.imageTextScores(image, texts),
      },
      input,
      options.mode,
      mergeAlignment(this.#alignment, options.alignment),
      options,
    );
    if (options.vanilla) {
      const alignedCheck = await this.#checkResponse(aligned.text);
      await this.#keepPairs(input, {
        vanilla: options.vanilla.text,
        text: aligned.text,
        modeUsed: options.mode,
        vanillaReward: options.vanilla.evaluation.responseCheck.score,
        alignedReward: alignedCheck.score,
        imageScore: options.vanilla.evaluation.image.score,
        ...(aligned.deep ? { deep: aligned.deep } : {}),
        generator: generator.id,
      });
    }
    return aligned;
  }

  /** The image's text scored as a request; never throws; undefined when image text is off. */
  async #checkImageText(image: ImageInput): Promise<(ImageTextCheck & { ms: number }) | undefined> {
    if (!this.#ocr) return undefined;
    const started = performance.now();
    const threshold = this.info.policy.thresholds.reward;
    try {
      const reading = await this.#ocr.evaluator.read(image);
      if (!reading.text.trim()) return { text: '', lines: [], score: null, threshold, verdict: 'safe', ms: performance.now() - started };
      const { score } = await this.#reward.score(reading.text, 'request');
      return { text: reading.text, lines: reading.lines, score, threshold, verdict: responseVerdict(score, threshold), ms: performance.now() - started };
    } catch (error) {
      return { text: '', lines: [], score: null, threshold, verdict: 'unknown', error: errorOf(error, 'INFERENCE_FAILED'), ms: performance.now() - started };
    }
  }

  /** ETA's response check that never throws: a failure is `unknown` with its error. */
  async #checkResponse(text: string): Promise<ResponseCheck & { ms: number }> {
    const started = performance.now();
    try {
      return await this.evaluateResponse(text);
    } catch (error) {
      return { score: null, threshold: this.info.policy.thresholds.reward, verdict: 'unknown', error: errorOf(error, 'INFERENCE_FAILED'), ms: performance.now() - started };
    }
  }

  /** Stops the workers; later calls reject with DISPOSED. */
  dispose(): void {
    this.#limiter.rejectWaiting(new GuardError('DISPOSED', 'The guard was disposed while this call waited for a slot.'));
    this.#hosts.clip.dispose();
    this.#hosts.reward.dispose();
    this.#ocr?.host.dispose();
  }
}

/** A worker whose WebGPU device was lost starts again on WASM. */
const onDevice = (runtime: WorkerRuntimeConfig, deviceLost: string | null): WorkerRuntimeConfig => (deviceLost === null ? runtime : { ...runtime, device: 'wasm' });

/** The OCR worker when image text is on (or `auto` and the manifest has an OCR model). */
function imageTextHost(
  resolved: ResolvedOptions,
  manifest: Manifest,
  runtime: WorkerRuntimeConfig,
  onProgress: (progress: ModelProgress) => void,
  timeouts: { loadTimeoutMs: number; callTimeoutMs: number },
): { host?: WorkerHost<OcrWorkerApi, LoadReport>; modelId?: string; reason?: string } {
  if (resolved.imageText === 'off') return { reason: 'imageText is "off"' };
  const modelId = resolved.ocrModel ?? manifest.defaults.ocr;
  if (!modelId) {
    if (resolved.imageText === 'on') throw new GuardError('MODEL_UNKNOWN', 'imageText is "on" but the manifest names no OCR model (defaults.ocr); pass ocrModel.');
    return { reason: 'the manifest has no OCR model' };
  }
  const entry = findModel(manifest, modelId, 'ocr');
  const host = new WorkerHost<OcrWorkerApi, LoadReport>({
    label: 'OCR worker',
    spawn: () => new Worker(new URL('../workers/ocr.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-ocr' }),
    init: (api, { deviceLost }) => api.load({ ...onDevice(runtime, deviceLost), modelId, files: entry.roles, ocr: resolved.ocr }, onProgress),
    ...timeouts,
  });
  return { host, modelId };
}

/** Loads the manifest and both evaluators (in parallel workers) and resolves when they are ready. */
export async function createGuard(options: GuardOptions = {}): Promise<Guard> {
  const resolved = resolveOptions(options, globalThis.document?.baseURI ?? globalThis.location.href);
  const manifest = await loadManifest(resolved.modelBase);
  const tier = resolved.tier === undefined ? undefined : tierModels(manifest, resolved.tier);
  const clipId = resolved.clipModel ?? tier?.models.clip ?? manifest.defaults.clip;
  const rewardId = resolved.rewardModel ?? tier?.models.reward ?? manifest.defaults.reward;
  // A tier may run a model in other dtypes than its entry's (e.g. CLIP in q8 on both backends).
  const clipEntry = { ...findModel(manifest, clipId, 'clip'), ...(tier?.dtype?.clip ? { dtype: tier.dtype.clip } : {}) };
  const rewardEntry = { ...findModel(manifest, rewardId, 'reward'), ...(tier?.dtype?.reward ? { dtype: tier.dtype.reward } : {}) };
  const policy = resolvePolicy(resolved.policy, { clipId, clip: clipEntry, rewardId, reward: rewardEntry });
  checkRiskNeedsGenerator(resolved.risk, resolved.generator !== undefined);
  const riskClip = resolveRiskThresholds(clipId, clipEntry, resolved.risk.thresholds);
  const runtime = runtimeConfig(resolved);

  // Progress also arrives after creation (a restarted worker reloads its model).
  const created: { guard?: Guard } = {};
  const onProgress = Comlink.proxy((progress: ModelProgress) => {
    resolved.onProgress?.(progress);
    created.guard?.dispatchEvent(new CustomEvent('progress', { detail: progress }));
  });
  const timeouts = { loadTimeoutMs: resolved.timeouts.loadMs, callTimeoutMs: resolved.timeouts.callMs };
  const clipHost = new WorkerHost<ClipWorkerApi, LoadReport>({
    label: 'CLIP worker',
    spawn: () => new Worker(new URL('../workers/clip.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-clip' }),
    init: (api, { deviceLost }) => api.load({ ...onDevice(runtime, deviceLost), modelId: clipId, maxTextTokens: clipEntry.maxTextTokens, dtype: clipEntry.dtype, needsShaderF16: needsShaderF16(clipEntry) }, onProgress),
    ...timeouts,
  });
  const rewardHost = new WorkerHost<RewardWorkerApi, RewardLoadReport>({
    label: 'reward worker',
    spawn: () => new Worker(new URL('../workers/reward.worker.ts', import.meta.url), { type: 'module', name: 'vlm-guard-reward' }),
    init: (api, { deviceLost }) =>
      api.load(
        {
          ...onDevice(runtime, deviceLost),
          modelId: rewardId,
          kind: rewardEntry.kind,
          maxTokens: rewardEntry.maxTokens,
          dtype: rewardEntry.dtype,
          needsShaderF16: needsShaderF16(rewardEntry),
          score: rewardEntry.score,
          ...(rewardEntry.guard ? { guard: rewardEntry.guard } : {}),
          files: rewardEntry.files.map((f) => f.path),
          ...resolved.reward,
          framing: resolved.reward.framing === 'auto' ? (rewardEntry.framing ?? 'auto') : resolved.reward.framing,
        },
        onProgress,
      ),
    ...timeouts,
  });
  const ocrSetup = imageTextHost({ ...resolved, ocrModel: resolved.ocrModel ?? tier?.models.ocr }, manifest, runtime, onProgress, timeouts);
  let reports: [LoadReport, RewardLoadReport, LoadReport | null];
  try {
    reports = await Promise.all([
      clipHost.ready(),
      rewardHost.ready(),
      // `auto`: a failing OCR load leaves the guard working without image text.
      ocrSetup.host ? ocrSetup.host.ready().catch((error: unknown) => {
        if (resolved.imageText === 'on') throw error;
        ocrSetup.host?.dispose();
        ocrSetup.reason = `the OCR model did not load: ${error instanceof Error ? error.message : String(error)}`;
        return null;
      }) : Promise.resolve(null),
    ]);
  } catch (error) {
    clipHost.dispose();
    rewardHost.dispose();
    ocrSetup.host?.dispose();
    throw error;
  }
  const ocrReport = reports[2];
  const [clipReport, rewardReport] = reports;
  const isGenerated = [clipEntry, rewardEntry].every((m) => m.source === 'generated');
  const guard = new Guard({
    info: {
      models: { clip: clipId, reward: rewardId },
      ...(resolved.tier ? { tier: resolved.tier } : {}),
      backends: { clip: clipReport.backend, reward: rewardReport.backend },
      fallbackReasons: { clip: clipReport.fallbackReason, reward: rewardReport.fallbackReason },
      rewardFraming: rewardReport.framing,
      rewardKind: rewardEntry.kind,
      policy,
      modelBase: resolved.modelBase,
      testModelsOnly: isGenerated,
      calibrated: { clip: clipEntry.calibration.calibrated, reward: rewardEntry.calibration.calibrated },
      loadMs: { clip: clipReport.loadMs, reward: rewardReport.loadMs, ...(ocrReport ? { ocr: ocrReport.loadMs } : {}) },
      imageText: {
        mode: resolved.imageText,
        active: ocrReport !== null,
        ...(ocrSetup.modelId ? { model: ocrSetup.modelId } : {}),
        ...(ocrSetup.reason ? { reason: ocrSetup.reason } : {}),
      },
      risk: { report: resolved.risk.report, calibrated: riskClip.calibrated, method: riskClip.method },
    },
    risk: resolved.risk,
    riskClip,
    concurrency: resolved.concurrency,
    clip: new ClipEvaluator(clipHost, { cacheSize: resolved.imageCacheSize, unsafeDescription: resolved.unsafeDescription }),
    reward: new RewardEvaluator(rewardHost),
    hosts: { clip: clipHost, reward: rewardHost },
    generator: resolved.generator,
    alignment: resolved.alignment,
    ...(ocrReport && ocrSetup.host ? { ocr: { evaluator: new OcrEvaluator(ocrSetup.host), host: ocrSetup.host } } : {}),
    preferences: resolved.preferences.enabled
      ? new PreferenceStore({ maxPairs: resolved.preferences.maxPairs, persist: resolved.preferences.persist })
      : null,
  });
  created.guard = guard;
  return guard;
}
