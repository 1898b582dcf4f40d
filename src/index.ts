// vlm-guard public API.
import { installErrorTransfer } from './errors.ts';

installErrorTransfer();

export { createGuard, Guard } from './guard.ts';
export type { EvaluateInput, EvaluationResult, GuardInfo, ImageCheck, ImageTextCheck, ResponseCheck, CheckError, GuardProgressEvent, GuardRespondResult } from './guard.ts';
export type { ImageTextReading } from './evaluators/ocr-evaluator.ts';
export { OCR_DEFAULTS, type OcrConfig, type TextBox, type TextLine } from './ocr/config.ts';
export type { RespondInput, RespondOptions, RespondResult, RespondMode, TokenPhase } from './respond/respond.ts';
export { RemoteGenerator, type RemoteGeneratorOptions, type RemoteCapabilities, type ContinuationMode } from './generators/remote/openai-generator.ts';
export { CHATML_TEMPLATE } from './generators/remote/chat-template.ts';
export { LocalGenerator, type LocalGeneratorOptions } from './generators/local/local-generator.ts';
export type { Generator, GenerateRequest, GenerateOptions, Completion, FinishReason, SamplingParams, ChatInput } from './generators/types.ts';
export { ALIGNMENT_DEFAULTS, ETA_SAFETY_PREFIX, type AlignmentConfig, type AlignmentOverrides, type DeepConfig, type ShallowConfig } from './alignment/config.ts';
export type { DeepCandidate, DeepSentence } from './alignment/deep.ts';
export type { GuardOptions } from './options.ts';
export { GuardError, isGuardError, type GuardErrorCode } from './errors.ts';
export { ETA_PAPER_THRESHOLDS, resolvePolicy } from './policy.ts';
export type { PolicyOptions, PolicyPreset, ResolvedPolicy, Thresholds, EvaluationOrder, UnknownVerdictTreatment } from './policy.ts';
export { decide, type Decision, type Verdict } from './decision.ts';
export type { ImageInput } from './images/image-input.ts';
export type { Backend, Device, ModelProgress, RewardFraming, WorkerMemory } from './evaluators/worker-api.ts';
export { ETA_UNSAFE_DESCRIPTION, DEFAULT_REWARD_INSTRUCTION } from './config.ts';
export type { Manifest, ManifestModel } from './manifest.ts';
export { protectFetch, type ProtectOptions, type Protection } from './embed/fetch-protection.ts';
export type { PreferencePair } from './preferences/pairs.ts';
export type { EvaluateOptions, GuardRespondOptions } from './guard.ts';
export type { RiskOptions } from './options.ts';
export {
  RISK_CATEGORIES,
  RISK_SOURCES,
  CATEGORY_LABELS,
  SOURCE_LABELS,
  DEFAULT_CATEGORY_DESCRIPTIONS,
  type RiskCategory,
  type RiskSource,
} from './risk/categories.ts';
export { RISK_DEFAULTS, type RiskConfig, type RiskReportMode, type RiskAwareAlignment } from './risk/config.ts';
export { DEFAULT_RISK_PROMPTS, type RiskPrompts, type MrdVariant } from './risk/prompts.ts';
export type { RiskReport } from './risk/assess.ts';
export type { ClipRiskReport, CategoryRisk, ModerationResponse, ModerationResult } from './risk/clip-risk.ts';
export type { VlmRiskReport, FoundRisk, VariantOutcome } from './risk/mrd.ts';
export type { Risk } from './risk/risk-list.ts';
export type { JudgeResult } from './risk/judge.ts';
