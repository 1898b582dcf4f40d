// Recent exports (transformers ≥ 4.43 save_pretrained) keep the chat template in
// chat_template.jinja, not in tokenizer_config.json — and transformers.js' tokenizer reads
// only the latter. Installing a model folds the file in, so every tool that loads the
// folder (ours, transformers.js, Python's) finds the template.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHAT_TEMPLATE_FILE } from '../../runtime/manifest.ts';

/**
 * Writes chat_template.jinja into tokenizer_config.json's `chat_template` (the file wins,
 * as it does in transformers). Returns whether tokenizer_config.json changed.
 */
export function foldChatTemplate(folder: string): boolean {
  const templatePath = join(folder, CHAT_TEMPLATE_FILE);
  const configPath = join(folder, 'tokenizer_config.json');
  if (!existsSync(templatePath) || !existsSync(configPath)) return false;
  const template = readFileSync(templatePath, 'utf8');
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as Record<string, unknown>;
  if (config.chat_template === template) return false;
  writeFileSync(configPath, `${JSON.stringify({ ...config, chat_template: template }, null, 2)}\n`);
  return true;
}
