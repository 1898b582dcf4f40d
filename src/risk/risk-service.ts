// guard.risk: DREAM's side of the guard — the risk report of a request, moderation in
// OpenAI's shape, and the 0–10 risk-awareness judge. Explains; ETA's decision is the
// pipeline's. Every call goes through the guard's gate (back-pressure, closed state).
import * as v from 'valibot';
import type { CallGate } from '../concurrency/call-gate.ts';
import { GuardError } from '../errors.ts';
import type { Generator } from '../generators/types.ts';
import type { ImageInput, ImageInputs, ImageSource } from '../images/image-input.ts';
import { type RiskDeps, type RiskReport, type RiskRequest, assessRisks } from './assess.ts';
import { type ModerationResponse, toModeration } from './clip-risk.ts';
import { type RiskConfig, type RiskReportMode, RISK_REPORT_MODES } from './config.ts';
import { type JudgeResult, judgeRiskAwareness, riskSummary } from './judge.ts';

export interface RiskServiceDeps {
  gate: CallGate;
  config: RiskConfig;
  clip: Omit<RiskDeps, 'generator'>;
  /** The image's text when image text is on (undefined otherwise); never rejects. */
  imageText?(image: ImageInput, signal: AbortSignal): Promise<string | undefined>;
  /** The guard's VLM, used when a call names none. */
  generator?: Generator;
  /** An image URL fetched under the host's rules (the runtime's fetchImage). */
  fetchImage(image: ImageInput, signal: AbortSignal): Promise<ImageSource>;
}

export interface RiskCallOptions {
  /** Which report (the same name as createGuard's and evaluate's option); default: the guard's, or `clip` when that is off. */
  riskReport?: RiskReportMode;
  generator?: Generator;
  signal?: AbortSignal;
}

export type Moderation = ModerationResponse & { vlm_guard: { calibrated: boolean; method: string; report: RiskReport } };

const RiskModeSchema = v.picklist(RISK_REPORT_MODES);

/**
 * The risk report's work inside a call the guard already admitted (evaluate, respond):
 * the mode a call asked for, the report, the judge. Not on `guard.risk`, whose calls go
 * through the door themselves.
 */
export class RiskReports {
  readonly #deps: Pick<RiskServiceDeps, 'config' | 'clip' | 'generator'>;

  constructor(deps: Pick<RiskServiceDeps, 'config' | 'clip' | 'generator'>) {
    this.#deps = deps;
  }

  /** The report mode a call asked for, or the guard's. */
  mode(mode: unknown, where: string): RiskReportMode {
    if (mode === undefined) return this.#deps.config.report;
    if (!v.is(RiskModeSchema, mode)) throw new GuardError('INPUT_INVALID', `${where}: riskReport must be ${RISK_REPORT_MODES.join(' | ')}, got "${String(mode)}".`);
    return mode;
  }

  /** Starts a risk report inside a call already admitted; never rejects except on abort (failures are reported inside). */
  report(mode: RiskReportMode, request: RiskRequest, options: { generator?: Generator; signal?: AbortSignal }): Promise<RiskReport | undefined> {
    if (mode === 'off') return Promise.resolve(undefined);
    const generator = options.generator ?? this.#deps.generator;
    return assessRisks({ ...this.#deps.clip, ...(generator ? { generator } : {}) }, request, mode, this.#deps.config, options.signal);
  }

  /** DREAM's judge inside a call already admitted (respond's risk.judge option). */
  judgeWithin(generator: Generator, input: { image: ImageInputs; prompt: string; response: string; risks: string }, signal?: AbortSignal): Promise<JudgeResult> {
    return judgeRiskAwareness(generator, input, this.#deps.config, signal);
  }
}

export class RiskService {
  readonly #deps: RiskServiceDeps & { reports: RiskReports };

  constructor(deps: RiskServiceDeps & { reports: RiskReports }) {
    this.#deps = deps;
  }

  /**
   * DREAM's risk report for a request: CLIP's per-category scores of the image, the
   * question, other text and (with OCR on) the image's text; the VLM's own risk list
   * (image+question, image only, question only, each risk verified yes/no); or both.
   */
  assess(request: { image?: ImageInput; prompt?: string; text?: string }, options: RiskCallOptions = {}): Promise<RiskReport> {
    return this.#deps.gate.run('risk.assess()', async (signal) => {
      const mode = this.#deps.reports.mode(options.riskReport, 'risk.assess()');
      checkRequest(request, 'risk.assess()');
      const image = request.image === undefined ? undefined : await this.#deps.fetchImage(request.image, signal);
      const imageText = image === undefined ? undefined : this.#deps.imageText?.(image, signal);
      const report = await this.#deps.reports.report(mode === 'off' ? 'clip' : mode, { ...request, ...(image ? { image } : {}), ...(imageText ? { imageText } : {}) }, { ...options, signal });
      return report!;
    }, options.signal);
  }

  /**
   * The CLIP risk breakdown in OpenAI's moderation shape (`flagged`, `categories`,
   * `category_scores`, `category_applied_input_types`), with DREAM's 9 categories as keys.
   * Throws a GuardError when CLIP cannot score (a moderation call must not pass silently).
   */
  async moderate(input: { image?: ImageInput; text?: string }, options: { signal?: AbortSignal } = {}): Promise<Moderation> {
    checkRequest(input, 'risk.moderate()');
    if (input.image === undefined && !input.text?.trim()) throw new GuardError('INPUT_INVALID', 'risk.moderate() needs an image, a non-empty text, or both.');
    const report = await this.assess(input, { ...options, riskReport: 'clip' });
    if (!report.clip) {
      throw new GuardError(report.errors?.clip?.code === 'DISPOSED' ? 'DISPOSED' : 'INFERENCE_FAILED', `risk.moderate(): ${report.errors?.clip?.message ?? 'the CLIP risk breakdown failed'}`);
    }
    return { ...toModeration(report.clip, `modr-${crypto.randomUUID()}`), vlm_guard: { calibrated: report.clip.calibrated, method: report.clip.method, report } };
  }

  /** DREAM's judge: the VLM scores an answer 0–10 for risk awareness, given the question and the risks found. */
  judge(input: { image: ImageInput; prompt: string; response: string; risks?: RiskReport }, options: { generator?: Generator; signal?: AbortSignal } = {}): Promise<JudgeResult> {
    if (typeof input?.prompt !== 'string' || typeof input.response !== 'string' || input.image == null) {
      return Promise.reject(new GuardError('INPUT_INVALID', 'risk.judge() takes { image, prompt, response, risks? } with string prompt and response.'));
    }
    return this.#deps.gate.run('risk.judge()', async (signal) => {
      const generator = options.generator ?? this.#deps.generator;
      if (!generator) throw new GuardError('OPTIONS_INVALID', 'risk.judge() needs a VLM: pass createGuard({ generator }) or { generator }.');
      const risks = input.risks?.summary ?? riskSummary({});
      const image = await this.#deps.fetchImage(input.image, signal);
      return this.#deps.reports.judgeWithin(generator, { image, prompt: input.prompt, response: input.response, risks }, signal);
    }, options.signal);
  }

}

function checkRequest(request: unknown, where: string): asserts request is { image?: ImageInput; prompt?: string; text?: string } {
  if (typeof request !== 'object' || request === null) throw new GuardError('INPUT_INVALID', `${where} takes { image?, prompt?, text? }.`);
  for (const key of ['prompt', 'text'] as const) {
    const value = (request as Record<string, unknown>)[key];
    if (value !== undefined && typeof value !== 'string') throw new GuardError('INPUT_INVALID', `${where}: ${key} must be a string, got ${typeof value}.`);
  }
}
