// Tiny models in the exact layouts (I/O names, config, tokenizer files) of the three
// evaluator kinds' real exports, with weights that make their scores mean something:
//   test-toxic          multi-label BERT classifier (toxic-bert's six labels)
//   test-decoder-reward Qwen3ForSequenceClassification as optimum exports it (input_ids,
//                       attention_mask, position_ids → logits [batch, 1]), ChatML template
// (test-llama-guard, a Llama causal LM with a KV cache, is in llama-guard-model.ts.)
import { encodeModel, floatTensor, int64Tensor, node, valueInfo } from './onnx-graph.ts';
import { HARMFUL_WORDS, REFUSAL_WORDS, buildVocabulary, wordPieceTokenizerJson } from './reward-model.ts';

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

const CHATML = { start: '<|im_start|>', end: '<|im_end|>', eos: '<|endoftext|>' };
const CHATML_TEMPLATE =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

export function decoderRewardVocabulary(): string[] {
  return [...buildVocabulary(), 'user', 'assistant', 'system', ...Object.values(CHATML)];
}

export function decoderRewardModel(vocab: readonly string[]): Uint8Array {
  // Same meaning as test-reward (1 − 3·harmful + 2·refusal), read at the last token by construction.
  const weights = vocab.map((t) => [HARMFUL_WORDS.includes(t) ? -3 : REFUSAL_WORDS.includes(t) ? 2 : 0]);
  return tokenSumClassifier({
    name: 'test_decoder_reward',
    doc: 'vlm-guard generated reward model in the layout of an optimum text-classification export of Qwen3ForSequenceClassification.',
    weights,
    bias: [1],
    extraInputs: ['position_ids'],
  });
}

export function decoderRewardJson(vocab: readonly string[]) {
  const id = (t: string) => vocab.indexOf(t);
  return {
    config: {
      model_type: 'qwen3',
      architectures: ['Qwen3ForSequenceClassification'],
      num_labels: 1,
      id2label: { '0': 'LABEL_0' },
      vocab_size: vocab.length,
      hidden_size: 8,
      num_hidden_layers: 1,
      num_attention_heads: 1,
      num_key_value_heads: 1,
      head_dim: 8,
      pad_token_id: id(CHATML.eos),
      eos_token_id: id(CHATML.end),
    },
    tokenizer_config: {
      tokenizer_class: 'PreTrainedTokenizerFast',
      model_max_length: 4096,
      pad_token: CHATML.eos,
      eos_token: CHATML.end,
      unk_token: '[UNK]',
      chat_template: CHATML_TEMPLATE,
    },
    tokenizer: wordPieceTokenizerJson(vocab, ['[PAD]', '[UNK]', ...Object.values(CHATML)], null),
  };
}
