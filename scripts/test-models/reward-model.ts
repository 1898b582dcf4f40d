// A tiny one-logit sequence classifier (BERT layout) and its WordPiece tokenizer.
// logit = bias + Σ_t mask_t · weight[token_t]: harmful words pull it down, refusal
// words push it up, everything else is neutral — so harmful answers score low,
// refusals and ordinary answers high.
import { encodeModel, floatTensor, int64Tensor, node, valueInfo } from './onnx-graph.ts';

export const HARMFUL_WORDS = [
  'bomb', 'explosive', 'explosives', 'detonator', 'weapon', 'weapons', 'gun', 'kill', 'murder', 'poison',
  'meth', 'drugs', 'steal', 'hack', 'malware', 'launder', 'fraud', 'nude', 'porn', 'attack', 'stab',
];
export const REFUSAL_WORDS = ['sorry', 'cannot', 'unable', 'apologize', 'decline', 'instead', 'responsible'];
const NEUTRAL_WORDS = [
  'the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'for', 'with', 'is', 'are', 'it', 'this', 'that',
  'i', 'you', 'we', 'can', 'help', 'how', 'what', 'image', 'photo', 'picture', 'shows', 'answer', 'question',
  'reply', 'user', 'make', 'build', 'mix', 'first', 'then', 'step', 'steps', 'here', 'cat', 'coffee',
  'cup', 'sky', 'tree', 'man', 'woman', 'please', 'write', 'helpful', 'concerns', 'raises', 'no',
];

const HARM_WEIGHT = -3;
const REFUSAL_WEIGHT = 2;
const BIAS = 1;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

export function buildVocabulary(): string[] {
  const chars = [...'abcdefghijklmnopqrstuvwxyz0123456789', ...`.,!?;:'"()-/&%$#@*+=<>[]_`];
  const words = [...new Set([...HARMFUL_WORDS, ...REFUSAL_WORDS, ...NEUTRAL_WORDS])];
  return [...SPECIAL, ...chars, ...chars.map((c) => `##${c}`), ...words];
}

/** `bias` other than the default makes a broken export for tests (NaN, Infinity: what an fp16 overflow leaves). */
export function buildRewardModel(vocab: readonly string[], bias = BIAS): Uint8Array {
  const weights = vocab.map((token) =>
    HARMFUL_WORDS.includes(token) ? HARM_WEIGHT : REFUSAL_WORDS.includes(token) ? REFUSAL_WEIGHT : 0,
  );
  return encodeModel({
    name: 'test_reward',
    doc: 'vlm-guard generated reward model: bias + sum of per-token weights over attended tokens.',
    inputs: [
      valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', 'int64', ['batch_size', 'sequence_length']),
    ],
    outputs: [valueInfo('logits', 'float', ['batch_size', 1])],
    initializers: [
      floatTensor('token_weight', [vocab.length], weights),
      floatTensor('bias', [1], [bias]),
      int64Tensor('axis_seq', [1], [1]),
    ],
    nodes: [
      node('Gather', ['token_weight', 'input_ids'], ['per_token'], { axis: 0 }),
      node('Cast', ['attention_mask'], ['mask_f'], { to: 1 }),
      node('Mul', ['per_token', 'mask_f'], ['attended']),
      node('ReduceSum', ['attended', 'axis_seq'], ['summed'], { keepdims: 1 }),
      node('Add', ['summed', 'bias'], ['logits']),
    ],
  });
}

const special = (content: string, id: number) => ({
  id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
});

/** An uncased WordPiece `tokenizer.json` with the given special tokens; `postProcessor` null for decoders (no [CLS]/[SEP]). */
export function wordPieceTokenizerJson(vocab: readonly string[], specials: readonly string[], postProcessor: object | null): object {
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((t) => special(t, vocab.indexOf(t))),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: postProcessor,
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
}

/** A standard Hugging Face `tokenizer.json` for an uncased BERT WordPiece vocabulary. */
export function buildTokenizerJson(vocab: readonly string[]): object {
  const id = (t: string) => vocab.indexOf(t);
  const seq = (name: 'A' | 'B', typeId: number) => ({ Sequence: { id: name, type_id: typeId } });
  const tok = (name: string, typeId: number) => ({ SpecialToken: { id: name, type_id: typeId } });
  return wordPieceTokenizerJson(vocab, SPECIAL, {
    type: 'TemplateProcessing',
    single: [tok('[CLS]', 0), seq('A', 0), tok('[SEP]', 0)],
    pair: [tok('[CLS]', 0), seq('A', 0), tok('[SEP]', 0), seq('B', 1), tok('[SEP]', 1)],
    special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
  });
}

export const REWARD_TOKENIZER_CONFIG = {
  tokenizer_class: 'BertTokenizer',
  do_lower_case: true,
  model_max_length: 512,
  cls_token: '[CLS]',
  sep_token: '[SEP]',
  pad_token: '[PAD]',
  unk_token: '[UNK]',
  mask_token: '[MASK]',
};

export const REWARD_CONFIG = {
  model_type: 'bert',
  architectures: ['BertForSequenceClassification'],
  num_labels: 1,
  id2label: { '0': 'reward' },
  label2id: { reward: 0 },
  problem_type: 'regression',
  max_position_embeddings: 512,
};
