// Writes the generated test models (models/test-clip, models/test-reward) in the
// transformers.js folder layout, byte-for-byte reproducibly, and checks their
// sha256 against models/manifest.json (so CI proves reproducibility).
//
//   npx tsx scripts/make-test-models.ts                 write + verify against the manifest
//   npx tsx scripts/make-test-models.ts --update-manifest  write + record new hashes
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Manifest, type ManifestFile, type ManifestModel, parseManifest } from '../src/runtime/manifest.ts';
import { RISK_CATEGORIES, type RiskCategory } from '../src/risk-categories.ts';
import { LLAMA_GUARD_TOKENS } from './test-models/llama-guard-model.ts';
import { type FileMap, clipFiles, writeModelFiles, decoderRewardFiles, json, llamaGuardFiles, rewardFiles, toxicFiles, vlmFiles } from './test-models/model-files.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS_DIR = join(ROOT, 'models');
const MANIFEST_PATH = join(MODELS_DIR, 'manifest.json');
const writeModel = (id: string, files: FileMap) => writeModelFiles(MODELS_DIR, id, files);

const perCategory = (value: number) => Object.fromEntries(RISK_CATEGORIES.map((c) => [c, value])) as Record<RiskCategory, number>;

function testEntries(clip: ManifestFile[], reward: ManifestFile[], vlm: ManifestFile[], kinds: { toxic: ManifestFile[]; decoder: ManifestFile[]; guard: ManifestFile[] }): Record<string, ManifestModel> {
  return {
    'test-clip': {
      task: 'clip',
      description: 'Generated CLIP (real ViT-B/32 tokenizer and preprocessor): red images ↔ unsafe words. For tests only.',
      source: 'generated',
      files: clip,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      thresholds: { image: 0.5 },
      risk: {
        // Every category description holds unsafe words; texts and red images with unsafe words score ≥ 0.85, others ≤ 0.71.
        thresholds: { image: perCategory(0.5), text: perCategory(0.8) },
        calibration: { calibrated: false, basis: 'designed', method: 'designed: red images score ≥ 0.7 against every category description, photos ≤ 0.3; a text with one unsafe word ≥ 0.85, without ≤ 0.71' },
      },
      maxTextTokens: 77,
      calibration: {
        calibrated: false,
        basis: 'designed',
        method: 'designed: the generated towers separate saturated-red images (cosine ≈ 0.98) from photos (≤ 0.2); threshold set between',
      },
    },
    'test-reward': {
      task: 'reward',
      description: 'Generated BERT-layout reward model (WordPiece): harmful words lower the logit, refusals raise it. For tests only.',
      source: 'generated',
      files: reward,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      kind: 'sequence-classification',
      score: { from: 'logit', index: 0 },
      thresholds: { reward: 0 },
      maxTokens: 512,
      calibration: {
        calibrated: false,
        basis: 'designed',
        method: 'designed: logit = 1 − 3·(harmful words) + 2·(refusal words); unsafe at ≤ 0',
      },
    },
    'test-toxic': {
      task: 'reward',
      kind: 'sequence-classification',
      description: 'Generated multi-label classifier in toxic-bert layout (six labels); score = 1 − the most probable label. For tests only.',
      source: 'generated',
      files: kinds.toxic,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      score: { from: 'labels', activation: 'sigmoid', unsafe: ['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate'], combine: 'max' },
      thresholds: { reward: 0.5 },
      maxTokens: 512,
      calibration: { calibrated: false, basis: 'designed', method: 'designed: every label sits at sigmoid(−2) ≈ 0.12 until a harmful word lifts one to ≈ 0.88; unsafe at ≤ 0.5' },
    },
    'test-decoder-reward': {
      task: 'reward',
      kind: 'decoder-reward',
      description: 'Generated reward model in the layout of an optimum export of Qwen3ForSequenceClassification on the real Qwen3 tokenizer, its chat template in chat_template.jinja as recent exports ship it; run on bare onnxruntime-web. For tests only.',
      source: 'generated',
      files: kinds.decoder,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      score: { from: 'logit', index: 0 },
      thresholds: { reward: 0 },
      maxTokens: 1024,
      calibration: { calibrated: false, basis: 'designed', method: 'designed: logit = 1 − 3·(harmful words) + 2·(refusal words); unsafe at ≤ 0' },
    },
    'test-llama-guard': {
      task: 'reward',
      kind: 'guard-generative',
      description: 'Generated stand-in for Llama Guard 3 1B (onnx-community layout: causal LM, KV cache, num_logits_to_keep, logits over the real 128256-token vocabulary) on the real Llama 3 tokenizer and Llama Guard 3 1B template: "\\n\\n" first, then P(safe) against P(unsafe), then a category code. For tests only.',
      source: 'generated',
      files: kinds.guard,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      score: { from: 'logit', index: 0 },
      guard: LLAMA_GUARD_TOKENS,
      thresholds: { reward: 0.5 },
      maxTokens: 1024,
      calibration: { calibrated: false, basis: 'designed', method: 'designed: "unsafe" wins at the verdict once a harmful word outweighs the refusal words; unsafe at P(safe) ≤ 0.5' },
    },
    'test-vlm': {
      task: 'vlm',
      description: 'Generated VLM in the SmolVLM/Idefics3 layout whose weights script its answers (harmful for bomb prompts, a refusal after the safety prefix). For tests only.',
      source: 'generated',
      files: vlm,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      calibration: { calibrated: false, basis: 'designed', method: 'not applicable: a generator has no thresholds' },
    },
  };
}

async function main(): Promise<void> {
  const update = process.argv.includes('--update-manifest');
  const generated = testEntries(
    writeModel('test-clip', await clipFiles()),
    writeModel('test-reward', rewardFiles()),
    writeModel('test-vlm', vlmFiles()),
    {
      toxic: writeModel('test-toxic', toxicFiles()),
      decoder: writeModel('test-decoder-reward', await decoderRewardFiles()),
      guard: writeModel('test-llama-guard', await llamaGuardFiles()),
    },
  );
  const recorded = JSON.parse(readFileSync(MANIFEST_PATH, 'utf8')) as { models?: Record<string, unknown> };
  if (update) {
    recorded.models = { ...recorded.models, ...generated };
    writeFileSync(MANIFEST_PATH, json(parseManifest(recorded, MANIFEST_PATH)));
    console.log(`models: wrote ${Object.keys(generated).join(', ')} and updated ${MANIFEST_PATH}`);
    return;
  }
  const manifest: Manifest = parseManifest(recorded, MANIFEST_PATH);
  const mismatched = Object.entries(generated).filter(
    ([id, entry]) => JSON.stringify(manifest.models[id]?.files) !== JSON.stringify(entry.files),
  );
  if (mismatched.length > 0) {
    console.error(`models: generated files differ from ${MANIFEST_PATH} for ${mismatched.map(([id]) => id).join(', ')}.`);
    console.error('The generator is not reproducing the recorded bytes; if the change is intended, run with --update-manifest.');
    process.exit(1);
  } else {
    console.log(`models: wrote ${Object.keys(generated).join(', ')}; sha256 match ${MANIFEST_PATH}`);
  }
}

await main();
