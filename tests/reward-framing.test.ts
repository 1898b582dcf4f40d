// The reward model's input framing, on the generated WordPiece tokenizer and on the
// same tokenizer given a chat template (as decoder reward models have).
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AutoTokenizer, type PreTrainedTokenizer, env } from '@huggingface/transformers';
import { beforeAll, describe, expect, it } from 'vitest';
import { REWARD_TOKENIZER_CONFIG, buildTokenizerJson, buildVocabulary } from '../scripts/test-models/reward-model.ts';
import { encodeForReward, resolveFraming } from '../workers/reward-framing.ts';

const CHAT_TEMPLATE = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }} [SEP] {% endfor %}";
let plain: PreTrainedTokenizer;
let chat: PreTrainedTokenizer;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-guard-tok-'));
  const vocab = buildVocabulary();
  for (const [id, config] of [
    ['plain', REWARD_TOKENIZER_CONFIG],
    ['chat', { ...REWARD_TOKENIZER_CONFIG, chat_template: CHAT_TEMPLATE }],
  ] as const) {
    mkdirSync(join(dir, id));
    writeFileSync(join(dir, id, 'tokenizer.json'), JSON.stringify(buildTokenizerJson(vocab)));
    writeFileSync(join(dir, id, 'tokenizer_config.json'), JSON.stringify(config));
  }
  env.allowRemoteModels = false;
  env.localModelPath = `${dir}/`;
  [plain, chat] = await Promise.all([AutoTokenizer.from_pretrained('plain'), AutoTokenizer.from_pretrained('chat')]);
});

const decode = (tokenizer: PreTrainedTokenizer, ids: bigint[]) => tokenizer.decode(ids.map(Number));

describe('reward framing', () => {
  it('auto picks the chat template when the tokenizer has one, else the pair', () => {
    expect(resolveFraming(plain, 'auto')).toBe('pair');
    expect(resolveFraming(chat, 'auto')).toBe('chat-template');
    expect(resolveFraming(chat, 'response-only')).toBe('response-only');
  });

  it('pair: [CLS] instruction [SEP] response [SEP], batched and padded', () => {
    const enc = encodeForReward(plain, { framing: 'pair', instruction: 'please help', maxTokens: 64 }, ['the cat', 'a bomb']);
    const ids = enc.input_ids.tolist() as bigint[][];
    expect(decode(plain, ids[0]!)).toBe('[CLS] please help [SEP] the cat [SEP]');
    expect(decode(plain, ids[1]!)).toBe('[CLS] please help [SEP] a bomb [SEP]');
  });

  it('chat-template: the instruction is the user turn, the response the assistant turn', () => {
    const enc = encodeForReward(chat, { framing: 'chat-template', instruction: 'please help', maxTokens: 64 }, ['the cat']);
    const ids = (enc.input_ids.tolist() as bigint[][])[0]!;
    expect(decode(chat, ids)).toBe('[ user ] please help [SEP] [ assistant ] the cat [SEP]');
  });

  it('truncates to the model limit', () => {
    const enc = encodeForReward(plain, { framing: 'response-only', instruction: 'x', maxTokens: 16 }, ['cat '.repeat(100)]);
    expect(enc.input_ids.dims).toEqual([1, 16]);
  });
});
