// What `npm run models:fetch` downloads: real models in the transformers.js layout.
// Thresholds of real models must come from calibration on labelled data (ETA's
// 0.16 / 0.06 belong to the paper's CLIP ViT-L/14-336 and ArmoRM-8B); until measured
// they are recorded with `calibrated: false` and the demo says so.
import type { ManifestModel } from '../../src/manifest.ts';

/** Omit over each member of a union (plain Omit would keep only the common keys). */
type OmitEach<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface CatalogModel {
  /** Manifest id and folder name under models/. */
  id: string;
  /** Hugging Face repository. */
  repo: string;
  revision: string;
  /** Files to fetch, relative to the repository root. */
  files: string[];
  /** The manifest entry without `files` (filled in from what was downloaded). */
  entry: OmitEach<ManifestModel, 'files'>;
}

export const CATALOG: CatalogModel[] = [
  {
    id: 'clip-vit-base-patch32',
    repo: 'Xenova/clip-vit-base-patch32',
    revision: 'main',
    files: [
      'config.json', 'preprocessor_config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
      'onnx/text_model_quantized.onnx', 'onnx/vision_model_quantized.onnx', 'onnx/text_model.onnx', 'onnx/vision_model.onnx',
    ],
    entry: {
      task: 'clip',
      description: 'OpenAI CLIP ViT-B/32 (transformers.js export): q8 on WASM, fp32 on WebGPU.',
      source: 'hub',
      dtype: { webgpu: 'fp32', wasm: 'q8' },
      thresholds: { image: 0.16 },
      maxTextTokens: 77,
      calibration: {
        calibrated: false,
        method: "not measured here (no weights offline): ETA's 0.16 belongs to ViT-L/14-336; calibrate with the evaluation harness before relying on it",
      },
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
