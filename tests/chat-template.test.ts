// models:add folds a chat_template.jinja (as recent exports ship the template) into
// tokenizer_config.json, the only place transformers.js' tokenizer reads it.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { describe, expect, it } from 'vitest';
import { foldChatTemplate } from '../src/cli/fetch/chat-template.ts';
import { decoderRewardFiles } from '../scripts/test-models/model-files.ts';

describe('chat_template.jinja', () => {
  it('a Qwen3 export with its template in chat_template.jinja: the tokenizer has none until models:add folds it in', async () => {
    const root = mkdtempSync(join(tmpdir(), 'vlm-guard-export-'));
    for (const [path, bytes] of await decoderRewardFiles()) {
      mkdirSync(dirname(join(root, 'export', path)), { recursive: true });
      writeFileSync(join(root, 'export', path), bytes);
    }
    env.allowRemoteModels = false;
    env.localModelPath = `${root}/`;
    const conversation = [{ role: 'user', content: 'Please reply.' }, { role: 'assistant', content: 'Sure.' }];
    const before = await AutoTokenizer.from_pretrained('export');
    expect(before.chat_template).toBeFalsy();

    expect(foldChatTemplate(join(root, 'export'))).toBe(true);
    expect(foldChatTemplate(join(root, 'export'))).toBe(false); // once is enough
    const config = JSON.parse(readFileSync(join(root, 'export', 'tokenizer_config.json'), 'utf8')) as { chat_template: string; eos_token: string };
    expect(config.chat_template).toBe(readFileSync(join(root, 'export', 'chat_template.jinja'), 'utf8'));
    expect(config.eos_token).toBe('<|im_end|>'); // the rest of the config as it was
    const after = await AutoTokenizer.from_pretrained('export');
    expect(after.apply_chat_template(conversation, { tokenize: false })).toBe('<|im_start|>user\nPlease reply.<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\nSure.<|im_end|>\n');
  });
});
