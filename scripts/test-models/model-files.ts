// The files of each generated test model, in memory (written by make-test-models.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AutoTokenizer, env } from '@huggingface/transformers';
import type { ManifestFile } from '../../src/runtime/manifest.ts';
import { buildClipTextModel, buildClipVisionModel } from './clip-model.ts';
import {
  REWARD_CONFIG,
  REWARD_TOKENIZER_CONFIG,
  buildRewardModel,
  buildTokenizerJson,
  buildVocabulary,
} from './reward-model.ts';
import {
  TOXIC_CONFIG,
  decoderRewardParts,
  toxicModel,
} from './kinds-models.ts';
import { type CacheGeometry, llamaGuardParts } from './llama-guard-model.ts';
import {
  buildDecoder,
  buildEmbedTokens,
  buildVisionEncoder,
  buildVlmTokenizerJson,
  buildVlmVocabulary,
  vlmJsonFiles,
} from './vlm-model.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLIP_FIXTURES = resolve(ROOT, '../shared/fixtures/clip-vit-base-patch32');
const CLIP_FIXTURE_FILES = [
  'config.json', 'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json',
  'preprocessor_config.json', 'vocab.json', 'merges.txt',
];

export type FileMap = Map<string, Uint8Array>;

export const json = (value: unknown) => new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);

/** Writes a model's files under root/id and lists them as the manifest records them. */
export function writeModelFiles(root: string, id: string, files: FileMap): ManifestFile[] {
  return [...files].map(([path, bytes]) => {
    const target = join(root, id, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
    return { path, sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.byteLength };
  });
}

/** test-clip's files. */
export async function clipFiles(): Promise<FileMap> {
  const files: FileMap = new Map();
  for (const name of CLIP_FIXTURE_FILES) files.set(name, readFileSync(join(CLIP_FIXTURES, name)));
  // The real CLIP tokenizer gives the concept words' token ids; env is restored after.
  const saved = { allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(CLIP_FIXTURES)}/`;
  const tokenizer = await AutoTokenizer.from_pretrained('clip-vit-base-patch32').finally(() => Object.assign(env, saved));
  const tokenize = (word: string) => tokenizer.encode(word, { add_special_tokens: false });
  files.set('onnx/text_model.onnx', buildClipTextModel(tokenize));
  files.set('onnx/vision_model.onnx', buildClipVisionModel());
  return files;
}

export function rewardFiles(): FileMap {
  const vocab = buildVocabulary();
  return new Map([
    ['config.json', json(REWARD_CONFIG)],
    ['tokenizer.json', json(buildTokenizerJson(vocab))],
    ['tokenizer_config.json', json(REWARD_TOKENIZER_CONFIG)],
    ['vocab.txt', new TextEncoder().encode(`${vocab.join('\n')}\n`)],
    ['onnx/model.onnx', buildRewardModel(vocab)],
  ]);
}

/** toxic-bert's layout: a BERT classifier with six labels (same tokenizer as test-reward). */
export function toxicFiles(): FileMap {
  const vocab = buildVocabulary();
  return new Map([
    ['config.json', json(TOXIC_CONFIG)],
    ['tokenizer.json', json(buildTokenizerJson(vocab))],
    ['tokenizer_config.json', json(REWARD_TOKENIZER_CONFIG)],
    ['onnx/model.onnx', toxicModel(vocab)],
  ]);
}

export async function decoderRewardFiles(): Promise<FileMap> {
  const parts = await decoderRewardParts();
  return new Map([
    ['chat_template.jinja', new TextEncoder().encode(parts.chatTemplate)],
    ['config.json', json(parts.config)],
    ['tokenizer.json', parts.tokenizerJson],
    ['tokenizer_config.json', json(parts.tokenizerConfig)],
    ['onnx/model.onnx', parts.model],
  ]);
}

export async function llamaGuardFiles(geometry?: CacheGeometry): Promise<FileMap> {
  const parts = await llamaGuardParts(geometry);
  return new Map([
    ['config.json', json(parts.config)],
    ['generation_config.json', json(parts.generationConfig)],
    ['tokenizer.json', parts.tokenizerJson],
    ['tokenizer_config.json', json(parts.tokenizerConfig)],
    ['onnx/model.onnx', parts.model],
  ]);
}

export function vlmFiles(): FileMap {
  const vocab = buildVlmVocabulary();
  const configs = vlmJsonFiles(vocab);
  return new Map([
    ['config.json', json(configs.config)],
    ['generation_config.json', json(configs.generation_config)],
    ['preprocessor_config.json', json(configs.preprocessor_config)],
    ['processor_config.json', json(configs.processor_config)],
    ['tokenizer.json', json(buildVlmTokenizerJson(vocab))],
    ['tokenizer_config.json', json(configs.tokenizer_config)],
    ['onnx/vision_encoder.onnx', buildVisionEncoder(vocab)],
    ['onnx/embed_tokens.onnx', buildEmbedTokens(vocab)],
    ['onnx/decoder_model_merged.onnx', buildDecoder(vocab)],
  ]);
}
