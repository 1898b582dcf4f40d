// createGuard's options: one valibot schema. Its input type is GuardOptions, its output
// (every default filled in from the subsystems' DEFAULTS objects) is ResolvedOptions;
// invalid options fail with a message that names the option.
import * as v from 'valibot';
import { ALIGNMENT_DEFAULTS, type AlignmentConfig } from './alignment/config.ts';
import { ETA_DEFAULTS, ETA_REFERENCE } from './eta/defaults.ts';
import { GuardError } from './errors.ts';
import type { Generator } from './generators/types.ts';
import { OCR_DEFAULTS } from './ocr/config.ts';
import { PREFERENCES_DEFAULTS } from './preferences/store.ts';
import { GATE_DEFAULTS } from './respond/answer-gate.ts';
import { RISK_CATEGORIES, type RiskCategory } from './risk-categories.ts';
import { RISK_DEFAULTS, RISK_REPORT_MODES } from './risk/config.ts';
import { MRD_VARIANTS, type RiskPrompts } from './risk/prompts.ts';
import type { ModelProgress } from './runtime/contracts.ts';
import { RUNTIME_DEFAULTS } from './runtime/defaults.ts';
import { WINDOW_DEFAULTS } from './runtime/text-windows.ts';
import { parseOption, plainObject } from './validation.ts';

const PositiveMs = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(3_600_000));
const PositiveInt = v.pipe(v.number(), v.integer(), v.minValue(1));
const Finite = v.pipe(v.number(), v.finite());
const Fraction = v.pipe(v.number(), v.minValue(0), v.maxValue(1));
const Temperature = v.pipe(v.number(), v.minValue(0), v.maxValue(10));
const NonEmpty = v.pipe(v.string(), v.nonEmpty());
const Device = v.picklist(['auto', 'webgpu', 'wasm']);
const Presets = ['manifest', 'eta-paper'] as const;

/** An object option: each key optional with its default, the object itself optional (so its output is always there). */
const section = <T extends v.ObjectEntries>(entries: T) => {
  type Input = v.InferInput<v.StrictObjectSchema<T, undefined>>;
  return v.optional(v.strictObject(entries), {} as Input) as v.OptionalSchema<v.StrictObjectSchema<T, undefined>, Input>;
};
/** Optional per-category values, unknown categories rejected. */
const perCategory = <T extends v.GenericSchema>(value: T) =>
  section(Object.fromEntries(RISK_CATEGORIES.map((c) => [c, v.optional(value)])) as Record<RiskCategory, v.OptionalSchema<T, undefined>>);
/** Every category's value, each overridable. */
const everyCategory = <T extends v.GenericSchema>(value: T, defaults: Record<RiskCategory, v.InferOutput<T>>) =>
  section(Object.fromEntries(RISK_CATEGORIES.map((c) => [c, v.optional(value, defaults[c])])) as Record<RiskCategory, v.OptionalSchema<T, v.InferOutput<T>>>);

/** A CLIP cosine threshold: finite, within [-1, 1]. */
const Cosine = v.pipe(v.number(), v.finite(), v.minValue(-1), v.maxValue(1));

/**
 * Threshold overrides (guard and per call): a key left out keeps the preset's number; a key
 * given must be a finite number — `undefined` is refused, never read as "no threshold".
 */
export const ThresholdsSchema = plainObject({ image: v.exactOptional(Cosine), reward: v.exactOptional(Finite) });

/** When to align (policy.rule; per call too). */
export const DecisionRuleSchema = v.picklist(['eta', 'response']);

const PolicySchema = v.union([
  v.picklist(Presets),
  plainObject({
    preset: v.exactOptional(v.picklist(Presets)),
    /** Override the preset's numbers. */
    thresholds: v.exactOptional(ThresholdsSchema),
    /** How a failed check's `unknown` counts (default: unsafe, fail closed). */
    unknownAs: v.exactOptional(v.picklist(['unsafe', 'safe'])),
    /** `parallel`: image checked while the answer is scored/generated; `reference`: ETA's order, image only for an unsafe answer. */
    order: v.exactOptional(v.picklist(['parallel', 'reference'])),
    /** `eta` (default): align when the answer and the image are unsafe; `response`: whenever the answer is. */
    rule: v.exactOptional(DecisionRuleSchema),
  }),
]);

/** Alignment's fields and their types, once: createGuard fills in defaults, a call only overrides. */
const ALIGNMENT_FIELDS = {
  vanilla: { maxTokens: PositiveInt, temperature: Temperature },
  shallow: { prefix: v.string(), maxTokens: PositiveInt, temperature: Temperature },
  deep: {
    prefix: v.string(),
    candidates: v.pipe(PositiveInt, v.maxValue(64)),
    topK: PositiveInt,
    temperature: Temperature,
    sentenceMaxTokens: PositiveInt,
    sentenceEnd: v.pipe(v.array(NonEmpty), v.minLength(1)),
    sentenceRule: v.picklist(['sentence', 'token']),
    maxTotalTokens: PositiveInt,
    clipWeight: v.pipe(Finite, v.minValue(0)),
    rewardInstruction: NonEmpty,
    maxRequests: PositiveInt,
  },
  autoDeep: { imageMargin: Finite, rewardMargin: Finite },
} as const;
type AlignmentFields = typeof ALIGNMENT_FIELDS;
type AlignmentSectionName = keyof AlignmentFields;

/** A section with every key defaulted (createGuard). */
function defaultedSection<K extends AlignmentSectionName>(name: K) {
  const fields = ALIGNMENT_FIELDS[name];
  const defaults = ALIGNMENT_DEFAULTS[name] as Record<string, unknown>;
  const entries = Object.fromEntries(
    Object.entries(fields).map(([key, schema]) => {
      const fallback = defaults[key];
      return [key, v.optional(schema, Array.isArray(fallback) ? () => [...(fallback as unknown[])] : fallback)];
    }),
  ) as { [F in keyof AlignmentFields[K]]: v.OptionalSchema<AlignmentFields[K][F] & v.GenericSchema, AlignmentConfig[K][F & keyof AlignmentConfig[K]]> };
  return section(entries);
}

/** A section whose keys only override (per call): a key given must hold a value. */
function overrideSection<K extends AlignmentSectionName>(name: K) {
  const entries = Object.fromEntries(Object.entries(ALIGNMENT_FIELDS[name]).map(([key, schema]) => [key, v.exactOptional(schema)])) as {
    [F in keyof AlignmentFields[K]]: v.ExactOptionalSchema<AlignmentFields[K][F] & v.GenericSchema, undefined>;
  };
  return v.exactOptional(plainObject(entries));
}

/** Alignment numbers (docs/method.md); any may be overridden, per guard and per call. */
export const AlignmentSchema = plainObject({
  vanilla: defaultedSection('vanilla'),
  shallow: defaultedSection('shallow'),
  deep: defaultedSection('deep'),
  autoDeep: defaultedSection('autoDeep'),
  /** What the app gets when even the aligned answer is judged unsafe (or unknown, counted unsafe). */
  fallback: v.optional(NonEmpty, ALIGNMENT_DEFAULTS.fallback),
});

/** One call's alignment overrides: the same fields, validated the same way, no defaults filled in. */
export const AlignmentOverridesSchema = plainObject({
  vanilla: overrideSection('vanilla'),
  shallow: overrideSection('shallow'),
  deep: overrideSection('deep'),
  autoDeep: overrideSection('autoDeep'),
  fallback: v.exactOptional(NonEmpty),
});

/** respond()'s alignment mode. */
export const RespondModeSchema = v.picklist(['off', 'shallow', 'deep', 'auto']);

const RiskSchema = v.strictObject({
  descriptions: everyCategory(NonEmpty, RISK_DEFAULTS.descriptions),
  /** Override the manifest's per-category thresholds. */
  thresholds: section({ image: perCategory(Finite), text: perCategory(Finite) }),
  variants: v.optional(v.pipe(v.array(v.picklist(MRD_VARIANTS)), v.minLength(1)), () => [...RISK_DEFAULTS.variants]),
  /** Ask the VLM yes/no whether each listed risk is really there. */
  verify: v.optional(v.boolean(), RISK_DEFAULTS.verify),
  /** Token cap of each risk-list, verification and judge answer. */
  maxTokens: v.optional(v.pipe(PositiveInt, v.maxValue(4096)), RISK_DEFAULTS.maxTokens),
  /** Risk-aware alignment: `system` names the risks in a system note, `prefix` in the safety prefix. */
  alignment: v.optional(v.picklist(['off', 'system', 'prefix']), RISK_DEFAULTS.alignment),
  /** Score vanilla and aligned answers 0–10 for risk awareness (respond). */
  judge: v.optional(v.boolean(), RISK_DEFAULTS.judge),
  prompts: section(
    Object.fromEntries(Object.entries(RISK_DEFAULTS.prompts).map(([k, text]) => [k, v.optional(NonEmpty, text)])) as Record<keyof RiskPrompts, v.OptionalSchema<typeof NonEmpty, string>>,
  ),
});

const rt = RUNTIME_DEFAULTS;
export const OptionsSchema = v.strictObject({
  /** Folder with `manifest.json` and the model folders (resolved against the page). */
  modelBase: v.optional(NonEmpty, rt.modelBase),
  /** Folder with ORT's `.mjs`/`.wasm`; default: the runtime shipped beside the module (bundlers copy it). */
  ortBase: v.optional(NonEmpty),
  /** `auto` = WebGPU, falling back to WASM when there is no adapter or loading fails. */
  device: v.optional(Device, rt.device),
  /** WASM threads per model worker; needs a cross-origin-isolated page (COOP/COEP). */
  wasmThreads: v.optional(v.pipe(PositiveInt, v.maxValue(64))),
  /** A manifest tier (test, light, standard, paper): its models and dtypes; clipModel/rewardModel still override. */
  tier: v.optional(NonEmpty),
  /**
   * Opt-in hub loading: the models' files from the Hugging Face hub (`hub: true`) or a mirror
   * (its URL), at the commits a pinned manifest names (the package's, or `manifest`), each
   * file's sha256 checked, kept in Cache Storage (`cache`, false for none) for offline use.
   */
  models: v.optional(
    v.strictObject({
      hub: v.union([v.literal(true), NonEmpty]),
      manifest: v.optional(NonEmpty),
      cache: v.optional(v.union([v.literal(false), NonEmpty]), rt.hub.cacheName),
    }),
  ),
  /** Manifest ids; default: the tier's, else the manifest's `defaults`. */
  clipModel: v.optional(NonEmpty),
  rewardModel: v.optional(NonEmpty),
  /** Thresholds and the decision's rules: a preset name, or a preset with overrides. */
  policy: v.optional(PolicySchema),
  /** respond()'s alignment mode when a call names none (default shallow; the `eta-paper` preset: deep, the whole method). */
  mode: v.optional(RespondModeSchema),
  /** The text the image is compared with (default: ETA's). */
  unsafeDescription: v.optional(NonEmpty, ETA_DEFAULTS.unsafeDescription),
  /** How the answer reaches the reward model; the instruction that replaces the user turn. */
  reward: section({
    framing: v.optional(v.picklist(['auto', 'chat-template', 'pair', 'response-only']), 'auto'),
    /** Default: ours (ETA_DEFAULTS.rewardInstruction); the `eta-paper` preset: the reference's --rm_prompt. */
    instruction: v.optional(NonEmpty),
    /** Decoder evaluators: prompt tokens per forward pass through the KV cache. */
    prefillChunk: v.optional(v.pipe(PositiveInt, v.maxValue(65_536)), rt.prefillChunk),
    /** A text longer than the model reads is scored in overlapping windows (each framed); its score is its most unsafe window's. */
    window: section({
      /** Content tokens per window (default: all the model takes after the framing). */
      tokens: v.optional(PositiveInt),
      /** Tokens between window starts (default: half a window). */
      stride: v.optional(PositiveInt),
      /** Beyond this many windows the text is not scored: its check is `unknown` (TOO_LONG). */
      maxWindows: v.optional(v.pipe(PositiveInt, v.maxValue(1024)), WINDOW_DEFAULTS.maxWindows),
    }),
  }),
  /** Image embeddings kept (LRU); 0 disables the cache. */
  imageCacheSize: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)), rt.imageCacheSize),
  timeouts: section({
    loadMs: v.optional(PositiveMs, rt.timeouts.loadMs),
    callMs: v.optional(PositiveMs, rt.timeouts.callMs),
    imageFetchMs: v.optional(PositiveMs, rt.timeouts.imageFetchMs),
  }),
  /** Origins the guard may fetch image URLs from, besides the page's own (data: and blob: always); e.g. `https://cdn.example`. */
  allowImageOrigins: v.optional(v.array(v.pipe(v.string(), v.url('must be an origin such as https://cdn.example'))), () => [...rt.allowImageOrigins]),
  /** Opt in to loading missing files from the Hugging Face hub. */
  allowRemoteModels: v.optional(v.boolean(), rt.allowRemoteModels),
  onProgress: v.optional(v.custom<(progress: ModelProgress) => void>((f) => typeof f === 'function', 'must be a function')),
  /** Cancels the load: the workers are terminated and createGuard rejects with ABORTED (e.g. a component unmounted). */
  signal: v.optional(v.custom<AbortSignal>((s) => typeof AbortSignal !== 'undefined' && s instanceof AbortSignal, 'must be an AbortSignal')),
  /** The VLM that respond() drives (RemoteGenerator, LocalGenerator, or your own). */
  generator: v.optional(
    v.custom<Generator>(
      (g) => typeof g === 'object' && g !== null && typeof (g as Generator).generate === 'function' && typeof (g as Generator).sample === 'function',
      'must implement the Generator interface (generate, sample)',
    ),
  ),
  alignment: v.optional(AlignmentSchema, {}),
  /**
   * Read the text in the image (PP-OCRv4) and score it as a request; unsafe text makes the
   * image unsafe alongside CLIP. `on`: required; `auto`: when the manifest has an OCR model
   * that loads; `off` (default): ETA's CLIP check only.
   */
  imageText: v.optional(v.picklist(['auto', 'on', 'off']), rt.imageText),
  /** Manifest id of the OCR model (default: the manifest's `defaults.ocr`). */
  ocrModel: v.optional(NonEmpty),
  ocr: section({
    maxSide: v.optional(v.pipe(v.number(), v.integer(), v.minValue(32), v.maxValue(4096)), OCR_DEFAULTS.maxSide),
    pixelThreshold: v.optional(Fraction, OCR_DEFAULTS.pixelThreshold),
    boxThreshold: v.optional(Fraction, OCR_DEFAULTS.boxThreshold),
    unclipRatio: v.optional(v.pipe(v.number(), v.minValue(0), v.maxValue(10)), OCR_DEFAULTS.unclipRatio),
    minBoxSide: v.optional(v.pipe(v.number(), v.minValue(1)), OCR_DEFAULTS.minBoxSide),
    recHeight: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8)), OCR_DEFAULTS.recHeight),
    maxRecWidth: v.optional(v.pipe(v.number(), v.integer(), v.minValue(8)), OCR_DEFAULTS.maxRecWidth),
    minLineConfidence: v.optional(Fraction, OCR_DEFAULTS.minLineConfidence),
  }),
  /**
   * Keep (aligned, vanilla) answers as preference pairs for a later DPO run (guard.preferences).
   * Off by default: the pairs hold users' images and questions.
   */
  preferences: section({
    enabled: v.optional(v.boolean(), PREFERENCES_DEFAULTS.enabled),
    maxPairs: v.optional(v.pipe(PositiveInt, v.maxValue(100_000)), PREFERENCES_DEFAULTS.maxPairs),
    persist: v.optional(v.boolean(), PREFERENCES_DEFAULTS.persist),
  }),
  /** A risk report in every evaluate/respond result (DREAM): clip, vlm, both, or off (default). Per call too. */
  riskReport: v.optional(v.picklist(RISK_REPORT_MODES), RISK_DEFAULTS.report),
  /** Category descriptions and thresholds, disentanglement variants, verification, risk-aware alignment, the judge. */
  risk: v.optional(RiskSchema, {}),
  /** Images one evaluate/respond call may carry; every one is judged. */
  maxImages: v.optional(v.pipe(PositiveInt, v.maxValue(256)), rt.maxImages),
  /** The answer gate (streams): the context a sentence is judged in, the longest piece held, the part of a relayed answer kept. */
  gate: section({
    contextChars: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1 << 20)), GATE_DEFAULTS.contextChars),
    windowChars: v.optional(v.pipe(PositiveInt, v.maxValue(1 << 20)), GATE_DEFAULTS.windowChars),
    keepChars: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(2 ** 28)), GATE_DEFAULTS.keepChars),
  }),
  /** Back-pressure for every call: at most `maxInFlight` run at once, `maxQueued` wait; beyond that BUSY. */
  concurrency: section({
    maxInFlight: v.optional(v.pipe(PositiveInt, v.maxValue(1024)), rt.concurrency.maxInFlight),
    maxQueued: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)), rt.concurrency.maxQueued),
  }),
});

/** createGuard's options (every key optional). */
export type GuardOptions = v.InferInput<typeof OptionsSchema>;
export type AlignmentOptions = v.InferInput<typeof AlignmentSchema>;
export type RiskOptions = v.InferInput<typeof RiskSchema>;
export type ResolvedOptions = ReturnType<typeof resolveOptions>;

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

export function resolveOptions(options: unknown, pageUrl: string) {
  const o = parseOption(OptionsSchema, options ?? {}, 'createGuard options');
  const { riskReport, ...rest } = o;
  // eta-paper is the whole method as the reference runs it: its instructions and deep alignment
  // (what a caller sets still wins).
  const paper = (typeof o.policy === 'string' ? o.policy : o.policy?.preset) === 'eta-paper';
  const deepInstruction = o.alignment.deep.rewardInstruction ?? (paper ? ETA_REFERENCE.deepInstruction : undefined);
  const given = (options as { alignment?: { deep?: { sentenceRule?: unknown } } } | undefined)?.alignment?.deep?.sentenceRule;
  return {
    ...rest,
    mode: o.mode ?? (paper ? 'deep' : 'shallow'),
    reward: { ...o.reward, instruction: o.reward.instruction ?? (paper ? ETA_REFERENCE.evaluationInstruction : ETA_DEFAULTS.rewardInstruction) },
    alignment: {
      ...o.alignment,
      deep: { ...o.alignment.deep, ...(deepInstruction ? { rewardInstruction: deepInstruction } : {}), ...(paper && given === undefined ? { sentenceRule: 'token' as const } : {}) },
    },
    pageUrl,
    modelBase: folderUrl('modelBase', o.modelBase, pageUrl),
    ortBase: o.ortBase === undefined ? undefined : folderUrl('ortBase', o.ortBase, pageUrl),
    models: o.models && {
      ...o.models,
      hub: o.models.hub === true ? (true as const) : folderUrl('models.hub', o.models.hub, pageUrl),
      manifest: o.models.manifest === undefined ? undefined : new URL(o.models.manifest, pageUrl).href,
    },
    risk: { report: riskReport, ...o.risk },
  };
}

/**
 * evaluate() has no per-call generator: a default VLM risk report needs the guard's.
 * (respond() and the judge take a per-call generator, so they are checked per call.)
 */
export function checkRiskNeedsGenerator(risk: { report: string }, hasGenerator: boolean): void {
  if (!hasGenerator && (risk.report === 'vlm' || risk.report === 'both')) {
    throw new GuardError('OPTIONS_INVALID', `riskReport: "${risk.report}" needs a VLM: pass createGuard({ generator }), or ask for it per call (respond(input, { generator, riskReport })).`);
  }
}
