// vlm-guard's public API. Values: createGuard and Guard; the VLM adapters
// (RemoteGenerator, LocalGenerator); protectFetch; GuardError and isGuardError;
// DEFAULTS (every subsystem's defaults); RISK (DREAM's categories and sources);
// loadManifest. Everything else here is a type.
import { ALIGNMENT_DEFAULTS } from './alignment/config.ts';
import { installErrorTransfer } from './errors.ts';
import { ETA_DEFAULTS, ETA_REFERENCE } from './eta/defaults.ts';
import { OCR_DEFAULTS } from './ocr/config.ts';
import { PREFERENCES_DEFAULTS } from './preferences/store.ts';
import { CATEGORY_LABELS, DEFAULT_CATEGORY_DESCRIPTIONS, RISK_CATEGORIES, RISK_SOURCES, SOURCE_LABELS } from './risk-categories.ts';
import { RISK_DEFAULTS } from './risk/config.ts';
import { RUNTIME_DEFAULTS } from './runtime/defaults.ts';

installErrorTransfer();

// The guard.
export { createGuard, Guard } from './guard.ts';
export type { GuardInfo, Provenance, EvaluateInput, EvaluationResult, CallOptions, GuardRespondOptions, GuardRespondResult, GuardProgressEvent } from './guard.ts';
export type { GuardOptions, AlignmentOptions, RiskOptions } from './options.ts';
export type { Check, CheckError, ImageCheck, ResponseCheck, ImageTextCheck, ImageSignals } from './eta/pipeline.ts';
export type { Decision, Verdict } from './eta/decision.ts';
export type { PolicyOptions, PolicyPreset, ResolvedPolicy, Thresholds, EvaluationOrder, UnknownVerdictTreatment, DecisionRule } from './eta/policy.ts';
export type { RespondInput, RespondOptions, RespondResult, RespondMode, TokenPhase } from './respond/respond.ts';
export type { AlignmentConfig, AlignmentOverrides, DeepConfig, ShallowConfig } from './alignment/config.ts';
export type { DeepCandidate, DeepSentence } from './alignment/deep.ts';
export type { ImageInput } from './images/image-input.ts';
export { GuardError, isGuardError, type GuardErrorCode } from './errors.ts';

// The VLM adapters.
export { RemoteGenerator, type RemoteGeneratorOptions, type RemoteCapabilities, type ContinuationMode } from './generators/remote/openai-generator.ts';
export { LocalGenerator, type LocalGeneratorOptions } from './generators/local/local-generator.ts';
export type { Generator, GenerateRequest, GenerateOptions, Completion, FinishReason, SamplingParams, ChatInput } from './generators/types.ts';

// Embedding in an existing app.
export { protectFetch, type ProtectOptions, type Protection } from './protect/fetch-protection.ts';

// The runtime: models, workers, diagnostics.
export { loadManifest } from './runtime/model-source.ts';
export type { EvaluatorRuntime } from './runtime/evaluator-runtime.ts';
export type { Manifest, ManifestModel } from './runtime/manifest.ts';
export type { Backend, Device, ModelProgress, RewardFraming, WorkerMemory } from './runtime/contracts.ts';
export type { ImageTextReading } from './runtime/evaluators/ocr-evaluator.ts';
export type { OcrConfig, TextBox, TextLine } from './ocr/config.ts';

// DREAM: the risk report, moderation, the judge, preference pairs.
export type { RiskService, RiskCallOptions, Moderation } from './risk/risk-service.ts';
export type { RiskReport } from './risk/assess.ts';
export type { RiskCategory, RiskSource } from './risk-categories.ts';
export type { RiskConfig, RiskReportMode, RiskAwareAlignment } from './risk/config.ts';
export type { RiskPrompts, MrdVariant } from './risk/prompts.ts';
export type { ClipRiskReport, CategoryRisk, ModerationResponse, ModerationResult } from './risk/clip-risk.ts';
export type { VlmRiskReport, FoundRisk, VariantOutcome } from './risk/mrd.ts';
export type { Risk } from './risk/risk-list.ts';
export type { JudgeResult } from './risk/judge.ts';
export type { PreferenceRecorder } from './preferences/recorder.ts';
export type { PreferencePair } from './preferences/pairs.ts';

/** Every subsystem's defaults, as createGuard fills them in (each may be overridden there). */
export const DEFAULTS = {
  runtime: RUNTIME_DEFAULTS,
  eta: ETA_DEFAULTS,
  /** The reference code's texts the `eta-paper` preset uses (DripNowhy/ETA). */
  etaReference: ETA_REFERENCE,
  alignment: ALIGNMENT_DEFAULTS,
  risk: RISK_DEFAULTS,
  ocr: OCR_DEFAULTS,
  preferences: PREFERENCES_DEFAULTS,
} as const;

/** DREAM's risk taxonomy: the 9 categories and 4 sources, their labels, and our CLIP descriptions. */
export const RISK = {
  categories: RISK_CATEGORIES,
  sources: RISK_SOURCES,
  categoryLabels: CATEGORY_LABELS,
  sourceLabels: SOURCE_LABELS,
  descriptions: DEFAULT_CATEGORY_DESCRIPTIONS,
} as const;
