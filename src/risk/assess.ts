// The risk report of one request: CLIP's per-category breakdown, DREAM's disentanglement
// by the VLM, or both. Explains; ETA's decision does not depend on it.
import { type CheckError, asGuardError } from '../errors.ts';
import type { Generator } from '../generators/types.ts';
import { type ImageInput, type ImageInputs, closestOverImages } from '../images/image-input.ts';
import { RISK_CATEGORIES, type RiskCategory } from '../risk-categories.ts';
import { type CategoryScores, type ClipRiskReport, type ClipRiskThresholds, buildClipRiskReport } from './clip-risk.ts';
import type { RiskConfig, RiskReportMode } from './config.ts';
import { riskSummary } from './judge.ts';
import { type VlmRiskReport, disentangleRisks } from './mrd.ts';

export interface RiskReport {
  mode: Exclude<RiskReportMode, 'off'>;
  clip?: ClipRiskReport;
  vlm?: VlmRiskReport;
  /** Categories flagged by either part. */
  flagged: RiskCategory[];
  /** The risks in words, as fed to risk-aware alignment and the judge. */
  summary: string;
  errors?: { clip?: CheckError; vlm?: CheckError };
  ms: number;
}

export interface RiskDeps {
  /** cosine(image, text) per text. */
  imageTextScores(image: ImageInput, texts: string[]): Promise<number[]>;
  /** cosine(text, other) per other text (CLIP's text tower on both). */
  textTextScores(text: string, others: string[]): Promise<number[]>;
  generator?: Generator;
  clip: { model: string; thresholds: ClipRiskThresholds; calibrated: boolean; method: string };
}

export interface RiskRequest {
  /** One image or several; each category's image score is its highest over them. */
  image?: ImageInputs;
  /** The user's question (source: text instruction). */
  prompt?: string;
  /** Any other text to check, e.g. moderate()'s input (source: text content). */
  text?: string;
  /** Text read from the image (source: text in the image), when image text is on; may still be being read. */
  imageText?: string | Promise<string | undefined>;
}

function asScores(values: number[]): CategoryScores {
  return Object.fromEntries(RISK_CATEGORIES.map((c, i) => [c, values[i]!])) as CategoryScores;
}

export async function clipRisk(deps: RiskDeps, request: RiskRequest, config: Pick<RiskConfig, 'descriptions'>): Promise<ClipRiskReport> {
  const descriptions = RISK_CATEGORIES.map((c) => config.descriptions[c]);
  const imageText = await request.imageText;
  const texts = [
    ...(request.prompt?.trim() ? [{ source: 'text-instruction' as const, text: request.prompt }] : []),
    ...(request.text?.trim() ? [{ source: 'text-content' as const, text: request.text }] : []),
    ...(imageText?.trim() ? [{ source: 'text-in-image' as const, text: imageText }] : []),
  ];
  const [image, ...textScores] = await Promise.all([
    request.image === undefined ? undefined : closestOverImages(request.image, descriptions, deps.imageTextScores),
    ...texts.map((t) => deps.textTextScores(t.text, descriptions)),
  ]);
  return buildClipRiskReport(
    { ...(image ? { image: asScores(image) } : {}), texts: texts.map((t, i) => ({ source: t.source, scores: asScores(textScores[i]!) })) },
    deps.clip.thresholds,
    { model: deps.clip.model, calibrated: deps.clip.calibrated, method: deps.clip.method },
  );
}

export async function assessRisks(
  deps: RiskDeps,
  request: RiskRequest,
  mode: Exclude<RiskReportMode, 'off'>,
  config: RiskConfig,
  signal?: AbortSignal,
): Promise<RiskReport> {
  const started = performance.now();
  const errors: NonNullable<RiskReport['errors']> = {};
  const wantClip = mode === 'clip' || mode === 'both';
  const wantVlm = mode === 'vlm' || mode === 'both';
  const [clip, vlm] = await Promise.all([
    wantClip
      ? clipRisk(deps, request, config).catch((error: unknown) => {
          errors.clip = errorOf(error, 'CLIP risk breakdown failed');
          return undefined;
        })
      : undefined,
    wantVlm ? vlmRisk(deps, request, config, errors, signal) : undefined,
  ]);
  const flagged = RISK_CATEGORIES.filter((c) => clip?.flagged.includes(c) || vlm?.flagged.includes(c));
  return {
    mode,
    ...(clip ? { clip } : {}),
    ...(vlm ? { vlm } : {}),
    flagged,
    summary: riskSummary({ ...(vlm ? { listed: vlm.risks } : {}), categories: flagged }),
    ...(errors.clip || errors.vlm ? { errors } : {}),
    ms: performance.now() - started,
  };
}

async function vlmRisk(deps: RiskDeps, request: RiskRequest, config: RiskConfig, errors: NonNullable<RiskReport['errors']>, signal?: AbortSignal) {
  if (!deps.generator) {
    errors.vlm = { code: 'OPTIONS_INVALID', message: 'The VLM risk report needs a generator: createGuard({ generator }) or pass one to the call.' };
    return undefined;
  }
  if (request.image === undefined) {
    errors.vlm = { code: 'INPUT_INVALID', message: 'The VLM risk report needs the image.' };
    return undefined;
  }
  // Without a question only the image-only variant means anything.
  const variants = request.prompt?.trim() ? config.variants : config.variants.filter((v) => v === 'image');
  if (variants.length === 0) {
    errors.vlm = { code: 'INPUT_INVALID', message: `No risk-disentanglement variant applies (variants: ${config.variants.join(', ')}; no question given).` };
    return undefined;
  }
  return disentangleRisks(deps.generator, { image: request.image, prompt: request.prompt ?? '' }, { ...config, variants }, signal);
}

function errorOf(error: unknown, context: string) {
  const e = asGuardError(error, 'INFERENCE_FAILED', context);
  return { code: e.code, message: e.message };
}
