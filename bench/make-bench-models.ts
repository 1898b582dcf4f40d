// bench/models/: the test models with transformer layers of real models' shapes added
// (scripts/test-models/transformer-workload.ts): their scores are the designed ones, their
// cost, weights and KV cache a real model's. Three tiers, each with a ViT-B/32-sized CLIP:
//   classifier  + a BERT-base-sized classifier in toxic-bert's layout
//   decoder     + a reward model with Qwen3-0.6B's layer shapes (optimum's layout, no cache)
//   guard       + a generative guard with Qwen3-0.6B's layer shapes, a KV cache and a tied LM head
// Not committed (≈ 3 GB); made again only when the generators change.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Manifest, type ManifestModel, parseManifest } from '../src/runtime/manifest.ts';
import { type FileMap, clipFiles, decoderRewardFiles, json, llamaGuardFiles, toxicFiles, writeModelFiles } from '../scripts/test-models/model-files.ts';
import {
  BERT_BASE,
  CLIP_B32_TEXT,
  QWEN3_BENCH_LAYERS,
  VIT_B32_VISION,
  type Workload,
  qwen3Layers,
  withWorkload,
  workloadParameters,
} from '../scripts/test-models/transformer-workload.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OUT = resolve(ROOT, 'bench/models');
const STAMP = resolve(OUT, 'generated-from.sha256');
/** Llama 3's vocabulary (the guard keeps Llama Guard's tokenizer) and Qwen3's config vocab_size. */
const LLAMA3_VOCAB = 128256;
const QWEN3_VOCAB = 151936;

/** The bench's model sizes: a tier of bench/models/manifest.json each. */
export const BENCH_TIERS = {
  classifier: 'ViT-B/32-sized CLIP + BERT-base-sized classifier',
  decoder: `ViT-B/32-sized CLIP + decoder reward, Qwen3-0.6B layers (${QWEN3_BENCH_LAYERS} of 28)`,
  guard: `ViT-B/32-sized CLIP + generative guard, Qwen3-0.6B layers (${QWEN3_BENCH_LAYERS} of 28)`,
} as const;
export type BenchTier = keyof typeof BENCH_TIERS;

/** A hash of everything the bench models are made from: when it is unchanged, the files are too. */
function sourceHash(): string {
  const hash = createHash('sha256');
  const sources = [
    resolve(ROOT, 'bench/make-bench-models.ts'),
    resolve(ROOT, 'models/manifest.json'),
    ...readdirSync(resolve(ROOT, 'scripts/test-models')).map((f) => resolve(ROOT, 'scripts/test-models', f)),
  ];
  for (const file of sources.sort()) hash.update(file).update(readFileSync(file));
  return hash.digest('hex');
}

function transform(files: FileMap, path: string, workload: Workload): FileMap {
  files.set(path, withWorkload(files.get(path)!, workload));
  return files;
}

function mergeConfig(files: FileMap, extra: Record<string, unknown>): FileMap {
  const config = JSON.parse(new TextDecoder().decode(files.get('config.json'))) as Record<string, unknown>;
  files.set('config.json', json({ ...config, ...extra }));
  return files;
}

const millions = (w: Omit<Workload, 'output'>) => `${(workloadParameters(w) / 1e6).toFixed(0)} M`;

export async function makeBenchModels(): Promise<void> {
  const hash = sourceHash();
  if (existsSync(STAMP) && readFileSync(STAMP, 'utf8').trim() === hash) return;
  console.log('bench: making bench/models/ (real-sized test models, ≈ 3 GB) …');
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const base = parseManifest(JSON.parse(readFileSync(resolve(ROOT, 'models/manifest.json'), 'utf8')), 'models/manifest.json');
  const from = (id: string, description: string, files: FileMap, newId: string): ManifestModel => {
    const model = base.models[id]!;
    return { ...model, description: `${model.description} Bench variant: ${description}; the scores are unchanged.`, files: writeModelFiles(OUT, newId, files) };
  };
  const qwenGuard = qwen3Layers(QWEN3_BENCH_LAYERS, LLAMA3_VOCAB);
  const qwenReward = qwen3Layers(QWEN3_BENCH_LAYERS, QWEN3_VOCAB);
  const qwenConfig = { hidden_size: 1024, num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, intermediate_size: 3072 };

  const clip = transform(transform(await clipFiles(), 'onnx/vision_model.onnx', { ...VIT_B32_VISION, output: 'image_embeds' }), 'onnx/text_model.onnx', { ...CLIP_B32_TEXT, output: 'text_embeds' });
  const models: Manifest['models'] = {
    'clip-b32-sized': from('test-clip', `plus ${VIT_B32_VISION.name} (${millions(VIT_B32_VISION)} weights) and ${CLIP_B32_TEXT.name} (${millions(CLIP_B32_TEXT)})`, clip, 'clip-b32-sized'),
    'bert-base-sized': from(
      'test-toxic',
      `plus ${BERT_BASE.name} layers (${millions(BERT_BASE)} weights)`,
      mergeConfig(transform(toxicFiles(), 'onnx/model.onnx', { ...BERT_BASE, output: 'logits' }), { hidden_size: 768, num_hidden_layers: 12, num_attention_heads: 12, intermediate_size: 3072, vocab_size: 30522 }),
      'bert-base-sized',
    ),
    'qwen3-sized-reward': from(
      'test-decoder-reward',
      `plus ${qwenReward.name} with Qwen3's embedding (${millions(qwenReward)} weights)`,
      mergeConfig(transform(await decoderRewardFiles(), 'onnx/model.onnx', { ...qwenReward, output: 'logits' }), { ...qwenConfig, num_hidden_layers: QWEN3_BENCH_LAYERS }),
      'qwen3-sized-reward',
    ),
    'qwen3-sized-guard': from(
      'test-llama-guard',
      `plus ${qwenGuard.name} on Llama 3's vocabulary with a KV cache of their shape and a tied LM head (${millions(qwenGuard)} weights)`,
      mergeConfig(
        transform(await llamaGuardFiles({ heads: 8, headDim: 128 }), 'onnx/model.onnx', { ...qwenGuard, output: 'logits', cache: { firstLayer: 1 }, lmHead: { keepFrom: 'keep_from' } }),
        { ...qwenConfig, num_hidden_layers: 1 + QWEN3_BENCH_LAYERS },
      ),
      'qwen3-sized-guard',
    ),
  };
  const manifest: Manifest = {
    ...base,
    defaults: { clip: 'clip-b32-sized', reward: 'bert-base-sized' },
    tiers: {
      classifier: { description: BENCH_TIERS.classifier, models: { clip: 'clip-b32-sized', reward: 'bert-base-sized' } },
      decoder: { description: BENCH_TIERS.decoder, models: { clip: 'clip-b32-sized', reward: 'qwen3-sized-reward' } },
      guard: { description: BENCH_TIERS.guard, models: { clip: 'clip-b32-sized', reward: 'qwen3-sized-guard' } },
    },
    models,
  };
  writeFileSync(resolve(OUT, 'manifest.json'), json(parseManifest(manifest, 'bench/models/manifest.json')));
  writeFileSync(STAMP, `${hash}\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) await makeBenchModels();
