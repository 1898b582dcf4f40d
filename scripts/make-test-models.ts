// Writes the generated test models (models/test-clip, models/test-reward) in the
// transformers.js folder layout, byte-for-byte reproducibly, and checks their
// sha256 against models/manifest.json (so CI proves reproducibility).
//
//   npx tsx scripts/make-test-models.ts                 write + verify against the manifest
//   npx tsx scripts/make-test-models.ts --update-manifest  write + record new hashes
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { type Manifest, type ManifestFile, type ManifestModel, parseManifest } from '../src/manifest.ts';
import { buildClipTextModel, buildClipVisionModel } from './test-models/clip-model.ts';
import {
  REWARD_CONFIG,
  REWARD_TOKENIZER_CONFIG,
  buildRewardModel,
  buildTokenizerJson,
  buildVocabulary,
} from './test-models/reward-model.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MODELS_DIR = join(ROOT, 'models');
const MANIFEST_PATH = join(MODELS_DIR, 'manifest.json');
const CLIP_FIXTURES = resolve(ROOT, '../shared/fixtures/clip-vit-base-patch32');
const CLIP_FIXTURE_FILES = [
  'config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'preprocessor_config.json', 'vocab.json', 'merges.txt',
];

type FileMap = Map<string, Uint8Array>;

const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

async function clipFiles(): Promise<FileMap> {
  const files: FileMap = new Map();
  for (const name of CLIP_FIXTURE_FILES) files.set(name, readFileSync(join(CLIP_FIXTURES, name)));
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(CLIP_FIXTURES)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained('clip-vit-base-patch32');
  const tokenize = (word: string) => tokenizer.encode(word, { add_special_tokens: false });
  files.set('onnx/text_model.onnx', buildClipTextModel(tokenize));
  files.set('onnx/vision_model.onnx', buildClipVisionModel());
  return files;
}

function rewardFiles(): FileMap {
  const vocab = buildVocabulary();
  return new Map([
    ['config.json', json(REWARD_CONFIG)],
    ['tokenizer.json', json(buildTokenizerJson(vocab))],
    ['tokenizer_config.json', json(REWARD_TOKENIZER_CONFIG)],
    ['vocab.txt', new TextEncoder().encode(`${vocab.join('\n')}\n`)],
    ['onnx/model.onnx', buildRewardModel(vocab)],
  ]);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function writeModel(id: string, files: FileMap): ManifestFile[] {
  return [...files].map(([path, bytes]) => {
    const target = join(MODELS_DIR, id, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
    return { path, sha256: sha256(bytes), bytes: bytes.byteLength };
  });
}

const GENERATED_CALIBRATION = {
  calibrated: true,
  method: 'designed: the generated towers separate saturated-red images (cosine ≈ 0.98) from photos (≤ 0.2); threshold set between',
};

function testEntries(clip: ManifestFile[], reward: ManifestFile[]): Record<string, ManifestModel> {
  return {
    'test-clip': {
      task: 'clip',
      description: 'Generated CLIP (real ViT-B/32 tokenizer and preprocessor): red images ↔ unsafe words. For tests only.',
      source: 'generated',
      files: clip,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      thresholds: { image: 0.5 },
      maxTextTokens: 77,
      calibration: GENERATED_CALIBRATION,
    },
    'test-reward': {
      task: 'reward',
      description: 'Generated BERT-layout reward model (WordPiece): harmful words lower the logit, refusals raise it. For tests only.',
      source: 'generated',
      files: reward,
      dtype: { webgpu: 'fp32', wasm: 'fp32' },
      thresholds: { reward: 0 },
      maxTokens: 512,
      calibration: {
        calibrated: true,
        method: 'designed: logit = 1 − 3·(harmful words) + 2·(refusal words); unsafe at ≤ 0',
      },
    },
  };
}

async function main(): Promise<void> {
  const update = process.argv.includes('--update-manifest');
  const generated = testEntries(writeModel('test-clip', await clipFiles()), writeModel('test-reward', rewardFiles()));
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
