// The real models behind the manifest's tiers, for `vlm-guard fetch` (`npm run models:fetch` in the repo): where each
// comes from (a Hugging Face repository at a pinned revision, or a local export for
// models with no published ONNX) and its manifest entry. File sizes and sha256 are
// taken from the hub's LFS metadata at fetch time and verified.
//
// Thresholds of real models must come from calibration on labelled data (npm run eval);
// until measured here they are recorded with `calibrated: false` and the demo says so.
import type { ManifestModel } from './manifest.ts';
import { LLAMA_GUARD_3_CATEGORIES } from '../risk-categories.ts';

/** Omit over each member of a union (plain Omit would keep only the common keys). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

interface CatalogBase {
  /** Manifest id and folder name under models/. */
  id: string;
  /** The manifest entry without `files` (filled in from what was downloaded or exported). */
  entry: OmitEach<ManifestModel, 'files'>;
}

export interface HubModel extends CatalogBase {
  /** Hugging Face repository with ONNX weights in the transformers.js layout. */
  repo: string;
  revision: string;
  /** Files to fetch, relative to the repository root. */
  files: string[];
}

/** A model with no published ONNX: the user exports it, then `vlm-guard add` records it. */
export interface ExportModel extends CatalogBase {
  export: { source: string; commands: string[] };
}

export type CatalogModel = HubModel | ExportModel;

export const isHubModel = (m: CatalogModel): m is HubModel => 'repo' in m;

const NOT_MEASURED = 'not measured here (no weights offline); calibrate on a labelled set (docs/models.md) and record the result';

const CLIP_FILES = ['config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json'];

export const CATALOG: CatalogModel[] = [
  {
    id: 'clip-vit-base-patch32',
    repo: 'Xenova/clip-vit-base-patch32',
    revision: 'main',
    files: [...CLIP_FILES, 'onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx', 'onnx/text_model.onnx', 'onnx/vision_model.onnx'],
    entry: {
      task: 'clip',
      description: 'OpenAI CLIP ViT-B/32 (transformers.js export): q8 on WASM, fp32 on WebGPU (≈ 760 MB with both).',
      source: 'hub',
      dtype: { webgpu: 'fp32', wasm: 'q8' },
      thresholds: { image: 0.16 },
      maxTextTokens: 77,
      calibration: { calibrated: false, method: `${NOT_MEASURED}. ETA's 0.16 belongs to ViT-L/14-336` },
    },
  },
  {
    id: 'clip-vit-large-patch14-336',
    repo: 'Xenova/clip-vit-large-patch14-336',
    revision: 'main',
    files: [...CLIP_FILES, 'onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx', 'onnx/text_model.onnx', 'onnx/vision_model.onnx'],
    entry: {
      task: 'clip',
      description: "OpenAI CLIP ViT-L/14-336, ETA's own CLIP (transformers.js export): q8 on WASM, fp32 on WebGPU (≈ 2.2 GB with both).",
      source: 'hub',
      dtype: { webgpu: 'fp32', wasm: 'q8' },
      thresholds: { image: 0.16 },
      maxTextTokens: 77,
      calibration: { calibrated: false, basis: 'published', method: `the ETA paper's threshold for this model (METHOD.md); ${NOT_MEASURED}` },
    },
  },
  {
    id: 'toxic-bert',
    repo: 'Xenova/toxic-bert',
    revision: '3c89195bae68ad90eba677b7f1a893bd28854d38',
    files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'onnx/model_quantized.onnx', 'onnx/model.onnx'],
    entry: {
      task: 'reward',
      kind: 'sequence-classification',
      description: 'unitary/toxic-bert (transformers.js export): six toxicity labels; score = 1 − the most probable label (≈ 550 MB with both dtypes).',
      source: 'hub',
      dtype: { webgpu: 'fp32', wasm: 'q8' },
      score: { from: 'labels', activation: 'sigmoid', unsafe: ['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate'], combine: 'max' },
      framing: 'response-only',
      thresholds: { reward: 0.5 },
      maxTokens: 512,
      calibration: { calibrated: false, method: NOT_MEASURED },
    },
  },
  {
    id: 'llama-guard-3-1b',
    repo: 'onnx-community/Llama-Guard-3-1B',
    revision: 'b4f19422fdd1847a0695341f06049b43d5b60a3a',
    files: ['config.json', 'generation_config.json', 'special_tokens_map.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model_q4.onnx', 'onnx/model_q4f16.onnx'],
    entry: {
      task: 'reward',
      kind: 'guard-generative',
      description: 'Meta Llama Guard 3 1B (ONNX): q4f16 (≈ 1.2 GB) on WebGPU with shader-f16, q4 (≈ 1.8 GB) on WASM and on adapters without it; P(safe) where it says its verdict; S1–S14 mapped to risk categories.',
      source: 'hub',
      dtype: { webgpu: 'q4f16', webgpuWithoutF16: 'q4', wasm: 'q4' },
      score: { from: 'logit', index: 0 },
      // The template ends at the assistant header; the model says "\n\n" before its verdict.
      guard: { safeToken: 'safe', unsafeToken: 'unsafe', verdictPrefix: '\n\n', contentFormat: 'parts', categories: LLAMA_GUARD_3_CATEGORIES, maxCategoryTokens: 12 },
      thresholds: { reward: 0.5 },
      maxTokens: 4096,
      calibration: { calibrated: false, basis: 'published', method: `P(safe) ≤ 0.5 is the model's own verdict; ${NOT_MEASURED}` },
    },
  },
  {
    id: 'skywork-reward-v2-qwen3-0.6b',
    export: {
      source: 'Skywork/Skywork-Reward-V2-Qwen3-0.6B',
      commands: [
        'pip install "optimum[onnxruntime]"   # an Optimum release that exports Qwen3',
        'optimum-cli export onnx --model Skywork/Skywork-Reward-V2-Qwen3-0.6B --task text-classification /tmp/skywork-onnx',
        'npx vlm-guard add --id skywork-reward-v2-qwen3-0.6b --from /tmp/skywork-onnx   # in the repo: npm run models:add -- …',
      ],
    },
    entry: {
      task: 'reward',
      kind: 'decoder-reward',
      description: "Skywork-Reward-V2-Qwen3-0.6B, the small sibling of ETA's reward model family, exported with Optimum (text-classification: logits [batch, 1] at the last token).",
      source: 'hub',
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      score: { from: 'logit', index: 0 },
      thresholds: { reward: 0 },
      maxTokens: 4096,
      calibration: { calibrated: false, method: `0 is a placeholder: ${NOT_MEASURED}` },
    },
  },
  {
    id: 'smolvlm-256m-instruct',
    repo: 'HuggingFaceTB/SmolVLM-256M-Instruct',
    revision: 'main',
    files: [
      'config.json', 'generation_config.json', 'preprocessor_config.json', 'processor_config.json', 'tokenizer.json',
      'tokenizer_config.json', 'special_tokens_map.json', 'chat_template.json',
      'onnx/vision_encoder.onnx', 'onnx/embed_tokens.onnx', 'onnx/decoder_model_merged.onnx',
    ],
    entry: {
      task: 'vlm',
      description: 'SmolVLM-256M-Instruct, the default in-page VLM (fp32).',
      source: 'hub',
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      calibration: { calibrated: true, method: 'not applicable: a generator has no thresholds' },
    },
  },
];
