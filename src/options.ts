// createGuard's options: schema, validation with messages that name the option, defaults.
import * as v from 'valibot';
import { ALIGNMENT_DEFAULTS, type AlignmentConfig, type AlignmentOverrides, mergeAlignment } from './alignment/config.ts';
import type { Generator } from './generators/types.ts';
import { OCR_DEFAULTS, type OcrConfig } from './ocr/config.ts';
import { DEFAULTS, DEFAULT_REWARD_INSTRUCTION, ETA_UNSAFE_DESCRIPTION } from './config.ts';
import { GuardError } from './errors.ts';
import type { Device, ModelProgress, RewardFraming } from './evaluators/worker-api.ts';
import { describeIssues } from './manifest.ts';
import type { PolicyOptions, PolicyPreset } from './policy.ts';
import { RISK_CATEGORIES, type RiskCategory } from './risk/categories.ts';
import { RISK_DEFAULTS, type RiskAwareAlignment, type RiskConfig, type RiskReportMode } from './risk/config.ts';
import { MRD_VARIANTS, type MrdVariant, type RiskPrompts } from './risk/prompts.ts';

const PositiveMs = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3_600_000));
const Threshold = v.pipe(v.number(), v.finite());

const PolicySchema = v.union([
  v.picklist(['manifest', 'eta-paper']),
  v.strictObject({
    preset: v.optional(v.picklist(['manifest', 'eta-paper'])),
    thresholds: v.optional(v.strictObject({ image: v.optional(Threshold), reward: v.optional(Threshold) })),
    unknownAs: v.optional(v.picklist(['unsafe', 'safe'])),
    order: v.optional(v.picklist(['parallel', 'reference'])),
  }),
]);

const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const Temperature = v.pipe(v.number(), v.minValue(0), v.maxValue(10));
const AlignmentSchema = v.strictObject({
  vanilla: v.optional(v.strictObject({ maxTokens: v.optional(PositiveInt), temperature: v.optional(Temperature) })),
  shallow: v.optional(
    v.strictObject({ prefix: v.optional(v.string()), maxTokens: v.optional(PositiveInt), temperature: v.optional(Temperature) }),
  ),
  deep: v.optional(
    v.strictObject({
      prefix: v.optional(v.string()),
      candidates: v.optional(v.pipe(PositiveInt, v.maxValue(64))),
      topK: v.optional(PositiveInt),
      temperature: v.optional(Temperature),
      sentenceMaxTokens: v.optional(PositiveInt),
      sentenceEnd: v.optional(v.pipe(v.array(v.pipe(v.string(), v.nonEmpty())), v.minLength(1))),
      maxTotalTokens: v.optional(PositiveInt),
    }),
  ),
  autoDeep: v.optional(v.strictObject({ imageMargin: v.optional(Threshold), rewardMargin: v.optional(Threshold) })),
});

/** Optional per-category values, unknown categories rejected. */
const perCategory = <T extends v.GenericSchema>(value: T) =>
  v.strictObject(Object.fromEntries(RISK_CATEGORIES.map((c) => [c, v.optional(value)])) as Record<RiskCategory, v.OptionalSchema<T, undefined>>);

const NonEmpty = v.pipe(v.string(), v.nonEmpty());
export const RiskReportModeSchema = v.picklist(['clip', 'vlm', 'both', 'off']);
const RiskSchema = v.strictObject({
  descriptions: v.optional(perCategory(NonEmpty)),
  thresholds: v.optional(v.strictObject({ image: v.optional(perCategory(Threshold)), text: v.optional(perCategory(Threshold)) })),
  variants: v.optional(v.pipe(v.array(v.picklist(MRD_VARIANTS)), v.minLength(1))),
  verify: v.optional(v.boolean()),
  maxTokens: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4096))),
  alignment: v.optional(v.picklist(['off', 'system', 'prefix'])),
  judge: v.optional(v.boolean()),
  prompts: v.optional(
    v.strictObject(
      Object.fromEntries(Object.keys(RISK_DEFAULTS.prompts).map((k) => [k, v.optional(NonEmpty)])) as Record<keyof RiskPrompts, v.OptionalSchema<typeof NonEmpty, undefined>>,
    ),
  ),
});

const OptionsSchema = v.strictObject({
  modelBase: v.optional(v.pipe(v.string(), v.nonEmpty())),
  ortBase: v.optional(v.pipe(v.string(), v.nonEmpty())),
  device: v.optional(v.picklist(['auto', 'webgpu', 'wasm'])),
  wasmThreads: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(64))),
  tier: v.optional(v.pipe(v.string(), v.nonEmpty())),
  clipModel: v.optional(v.pipe(v.string(), v.nonEmpty())),
  rewardModel: v.optional(v.pipe(v.string(), v.nonEmpty())),
  policy: v.optional(PolicySchema),
  unsafeDescription: v.optional(v.pipe(v.string(), v.nonEmpty())),
  reward: v.optional(
    v.strictObject({
      framing: v.optional(v.picklist(['auto', 'chat-template', 'pair', 'response-only'])),
      instruction: v.optional(v.pipe(v.string(), v.nonEmpty())),
    }),
  ),
  imageCacheSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000))),
  timeouts: v.optional(v.strictObject({ loadMs: v.optional(PositiveMs), callMs: v.optional(PositiveMs) })),
  allowRemoteModels: v.optional(v.boolean()),
  onProgress: v.optional(v.function()),
  generator: v.optional(
    v.custom<Generator>(
      (g) => typeof g === 'object' && g !== null && typeof (g as Generator).generate === 'function' && typeof (g as Generator).sample === 'function',
      'must implement the Generator interface (generate, sample)',
    ),
  ),
  alignment: v.optional(AlignmentSchema),
  imageText: v.optional(v.picklist(['auto', 'on', 'off'])),
  preferences: v.optional(
    v.strictObject({
      enabled: v.optional(v.boolean()),
      maxPairs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))),
      persist: v.optional(v.boolean()),
    }),
  ),
  riskReport: v.optional(RiskReportModeSchema),
  concurrency: v.optional(
    v.strictObject({
      maxInFlight: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024))),
      maxQueued: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000))),
    }),
  ),
  risk: v.optional(RiskSchema),
  ocrModel: v.optional(v.pipe(v.string(), v.nonEmpty())),
  ocr: v.optional(
    v.strictObject({
      maxSide: v.optional(v.pipe(v.number(), v.integer(), v.minValue(32), v.maxValue(4096))),
      pixelThreshold: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
      boxThreshold: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
      unclipRatio: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(10))),
      minBoxSide: v.optional(v.pipe(v.number(), v.minValue(1))),
      recHeight: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8))),
      maxRecWidth: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8))),
      minLineConfidence: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(1))),
    }),
  ),
});

export interface GuardOptions {
  /** Folder with `manifest.json` and the model folders (default `/models/`, resolved against the page). */
  modelBase?: string;
  /** Folder with ORT's `.mjs`/`.wasm` (default `/ort/`). */
  ortBase?: string;
  /** `auto` = WebGPU, falling back to WASM when there is no adapter or loading fails. */
  device?: Device;
  /**
   * WASM threads per model worker. Threads need a cross-origin-isolated page (COOP
   * same-origin + COEP require-corp); elsewhere onnxruntime-web runs single-threaded.
   */
  wasmThreads?: number;
  /** A manifest tier (test, light, standard, paper): its models and dtypes; clipModel/rewardModel still override. */
  tier?: string;
  /** Manifest ids; default: the tier's, else the manifest's `defaults`. */
  clipModel?: string;
  rewardModel?: string;
  policy?: PolicyPreset | PolicyOptions;
  /** The text the image is compared with (default: ETA's). */
  unsafeDescription?: string;
  reward?: { framing?: RewardFraming; instruction?: string };
  /** Image embeddings kept (LRU); 0 disables the cache. */
  imageCacheSize?: number;
  timeouts?: { loadMs?: number; callMs?: number };
  /** Opt in to loading missing files from the Hugging Face hub. */
  allowRemoteModels?: boolean;
  onProgress?: (progress: ModelProgress) => void;
  /** The VLM that guard.respond drives (RemoteGenerator, LocalGenerator, or your own). */
  generator?: Generator;
  /** Alignment numbers (METHOD.md defaults); any may be overridden. */
  alignment?: AlignmentOverrides;
  /**
   * Read the text in the image (PP-OCRv4) and score it as a request; unsafe text makes
   * the image unsafe alongside CLIP. `on`: required; `auto`: when the manifest has an
   * OCR model that loads; `off` (default): ETA's CLIP check only.
   */
  imageText?: 'auto' | 'on' | 'off';
  /** Manifest id of the OCR model (default: the manifest's `defaults.ocr`). */
  ocrModel?: string;
  ocr?: Partial<OcrConfig>;
  /**
   * Preference pairs from aligned answers, for a later DPO run (exportPreferences()).
   * Default: on, the last 200 pairs, persisted in IndexedDB.
   */
  preferences?: { enabled?: boolean; maxPairs?: number; persist?: boolean };
  /**
   * A risk report in every evaluate/respond result (DREAM): `clip` per-category zero-shot
   * scores, `vlm` the VLM's own risk list, `both`, or `off` (default). Per call too.
   */
  riskReport?: RiskReportMode;
  /** Category descriptions and thresholds, disentanglement variants, verification, risk-aware alignment, the judge. */
  risk?: RiskOptions;
  /**
   * Back-pressure for evaluate/respond/assessRisks: at most `maxInFlight` run at once
   * (default 4), `maxQueued` wait (default 64); beyond that calls fail at once with BUSY.
   */
  concurrency?: { maxInFlight?: number; maxQueued?: number };
}

export interface RiskOptions {
  descriptions?: Partial<Record<RiskCategory, string>>;
  thresholds?: { image?: Partial<Record<RiskCategory, number>>; text?: Partial<Record<RiskCategory, number>> };
  variants?: MrdVariant[];
  verify?: boolean;
  maxTokens?: number;
  alignment?: RiskAwareAlignment;
  judge?: boolean;
  prompts?: Partial<RiskPrompts>;
}

export interface ResolvedOptions {
  modelBase: string;
  ortBase: string;
  device: Device;
  wasmThreads?: number;
  tier?: string;
  clipModel?: string;
  rewardModel?: string;
  policy?: PolicyPreset | PolicyOptions;
  unsafeDescription: string;
  reward: { framing: RewardFraming; instruction: string };
  imageCacheSize: number;
  timeouts: { loadMs: number; callMs: number };
  allowRemoteModels: boolean;
  onProgress?: (progress: ModelProgress) => void;
  generator?: Generator;
  alignment: AlignmentConfig;
  imageText: 'auto' | 'on' | 'off';
  ocrModel?: string;
  ocr: OcrConfig;
  preferences: { enabled: boolean; maxPairs: number; persist: boolean };
  risk: RiskConfig;
  concurrency: { maxInFlight: number; maxQueued: number };
}

/** Resolves a folder URL against the page and makes sure it ends with a slash. */
function folderUrl(option: string, value: string, base: string): string {
  let url: URL;
  try {
    url = new URL(value, base);
  } catch {
    throw new GuardError('OPTIONS_INVALID', `Option ${option}: "${value}" is not a valid URL or path.`);
  }
  return url.href.endsWith('/') ? url.href : `${url.href}/`;
}

export function resolveOptions(options: unknown, pageUrl: string): ResolvedOptions {
  const parsed = v.safeParse(OptionsSchema, options ?? {});
  if (!parsed.success) {
    throw new GuardError('OPTIONS_INVALID', `Invalid createGuard options: ${describeIssues(parsed.issues)}`);
  }
  const o = parsed.output as GuardOptions;
  return {
    modelBase: folderUrl('modelBase', o.modelBase ?? DEFAULTS.modelBase, pageUrl),
    ortBase: folderUrl('ortBase', o.ortBase ?? DEFAULTS.ortBase, pageUrl),
    device: o.device ?? DEFAULTS.device,
    ...(o.wasmThreads !== undefined ? { wasmThreads: o.wasmThreads } : {}),
    tier: o.tier,
    clipModel: o.clipModel,
    rewardModel: o.rewardModel,
    policy: o.policy,
    unsafeDescription: o.unsafeDescription ?? ETA_UNSAFE_DESCRIPTION,
    reward: { framing: o.reward?.framing ?? 'auto', instruction: o.reward?.instruction ?? DEFAULT_REWARD_INSTRUCTION },
    imageCacheSize: o.imageCacheSize ?? DEFAULTS.imageCacheSize,
    timeouts: { loadMs: o.timeouts?.loadMs ?? DEFAULTS.timeouts.loadMs, callMs: o.timeouts?.callMs ?? DEFAULTS.timeouts.callMs },
    allowRemoteModels: o.allowRemoteModels ?? false,
    onProgress: o.onProgress,
    generator: o.generator,
    alignment: mergeAlignment(ALIGNMENT_DEFAULTS, o.alignment),
    imageText: o.imageText ?? 'off',
    ocrModel: o.ocrModel,
    ocr: { ...OCR_DEFAULTS, ...o.ocr },
    preferences: { enabled: o.preferences?.enabled ?? true, maxPairs: o.preferences?.maxPairs ?? 200, persist: o.preferences?.persist ?? true },
    risk: resolveRisk(o.riskReport, o.risk),
    concurrency: { maxInFlight: o.concurrency?.maxInFlight ?? DEFAULTS.concurrency.maxInFlight, maxQueued: o.concurrency?.maxQueued ?? DEFAULTS.concurrency.maxQueued },
  };
}

function resolveRisk(report: RiskReportMode | undefined, o: RiskOptions | undefined): RiskConfig {
  return {
    report: report ?? RISK_DEFAULTS.report,
    descriptions: { ...RISK_DEFAULTS.descriptions, ...o?.descriptions },
    thresholds: { image: { ...o?.thresholds?.image }, text: { ...o?.thresholds?.text } },
    variants: o?.variants ?? RISK_DEFAULTS.variants,
    verify: o?.verify ?? RISK_DEFAULTS.verify,
    maxTokens: o?.maxTokens ?? RISK_DEFAULTS.maxTokens,
    alignment: o?.alignment ?? RISK_DEFAULTS.alignment,
    judge: o?.judge ?? RISK_DEFAULTS.judge,
    prompts: { ...RISK_DEFAULTS.prompts, ...o?.prompts },
  };
}

/**
 * evaluate() has no per-call generator: a default VLM risk report needs the guard's.
 * (respond() and the judge take a per-call generator, so they are checked per call.)
 */
export function checkRiskNeedsGenerator(risk: RiskConfig, hasGenerator: boolean): void {
  if (!hasGenerator && (risk.report === 'vlm' || risk.report === 'both')) {
    throw new GuardError('OPTIONS_INVALID', `riskReport: "${risk.report}" needs a VLM: pass createGuard({ generator }), or ask for it per call (respond(input, { generator, riskReport })).`);
  }
}
