// Bench variants of the test models: transformer layers of a real model's shapes (distinct
// weights per layer, pre-norm attention with grouped KV heads, an MLP, a KV cache where the
// real export has one) added to a designed graph. Their result enters one output times
// zero, so the scores stay the designed ones while the cost, the weights' memory and the
// cache's size are a real model's. Left out as a small share of the cost: rotary position
// embeddings, the causal mask and the exact activation functions.
import onnxProto from 'onnx-proto';
import { floatTensor, int64Tensor, node, valueInfo } from './onnx-graph.ts';

export interface TransformerShape {
  /** Hidden size. */
  width: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** MLP inner size. */
  mlp: number;
  /** SwiGLU MLP (Llama, Qwen) rather than two matrices (BERT, CLIP). */
  gated: boolean;
  layers: number;
}

/** How the workload reads the model's input. */
export type WorkloadFront =
  | { tokens: 'input_ids'; vocab: number }
  | { patches: 'pixel_values'; patch: number; channels: number };

export interface Workload {
  /** What it stands for, said in the model's description. */
  name: string;
  shape: TransformerShape;
  front: WorkloadFront;
  /** The designed graph's output the zero term is added to. */
  output: string;
  /** KV cache layers after the designed graph's own (present.N / past_key_values.N from N = firstLayer). */
  cache?: { firstLayer: number };
  /** A language-model head on the token embedding (tied, like Qwen3-0.6B and Llama 3.2 1B), over the positions after the designed graph's `keepFrom` (num_logits_to_keep). */
  lmHead?: { keepFrom: string };
}

/** ViT-B/32's vision tower: 7×7 patches of 32² pixels, 12 layers of width 768. */
export const VIT_B32_VISION: Omit<Workload, 'output'> = {
  name: 'ViT-B/32 vision tower',
  shape: { width: 768, heads: 12, kvHeads: 12, headDim: 64, mlp: 3072, gated: false, layers: 12 },
  front: { patches: 'pixel_values', patch: 32, channels: 3 },
};
/** CLIP ViT-B/32's text tower: 12 layers of width 512 over its 49408-token vocabulary. */
export const CLIP_B32_TEXT: Omit<Workload, 'output'> = {
  name: 'CLIP ViT-B/32 text tower',
  shape: { width: 512, heads: 8, kvHeads: 8, headDim: 64, mlp: 2048, gated: false, layers: 12 },
  front: { tokens: 'input_ids', vocab: 49408 },
};
/** BERT-base (toxic-bert): 12 layers of width 768 over a 30522-token vocabulary. */
export const BERT_BASE: Omit<Workload, 'output'> = {
  name: 'BERT-base',
  shape: { width: 768, heads: 12, kvHeads: 12, headDim: 64, mlp: 3072, gated: false, layers: 12 },
  front: { tokens: 'input_ids', vocab: 30522 },
};
/** Qwen3-0.6B's layer shapes (it has 28 such layers; the bench takes fewer, see QWEN3_BENCH_LAYERS). */
export function qwen3Layers(layers: number, vocab: number): Omit<Workload, 'output'> {
  return {
    name: `${layers} of Qwen3-0.6B's 28 layers`,
    shape: { width: 1024, heads: 16, kvHeads: 8, headDim: 128, mlp: 3072, gated: true, layers },
    front: { tokens: 'input_ids', vocab },
  };
}
/** Layers of Qwen3-0.6B's shape in the bench's decoder models: a full 28 takes tens of seconds a call on two cores' WASM. */
export const QWEN3_BENCH_LAYERS = 4;

/** Deterministic weights, uniform with variance 1/fanIn, so activations stay bounded. */
export function scaledNoise(count: number, fanIn: number, seed: number): Float32Array {
  const bound = Math.sqrt(3 / fanIn);
  const values = new Float32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32) * 2 * bound - bound;
  }
  return values;
}

/** The weights a workload adds (for a model's description and the bench's memory figures). */
export function workloadParameters({ shape: s, front }: Omit<Workload, 'output'>): number {
  const attention = s.width * (s.heads + 2 * s.kvHeads) * s.headDim + s.heads * s.headDim * s.width;
  const mlp = (s.gated ? 3 : 2) * s.width * s.mlp;
  const embedding = 'tokens' in front ? front.vocab * s.width : s.width * front.channels * front.patch ** 2;
  return s.layers * (attention + mlp + 4 * s.width) + embedding;
}

type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

/** The nodes and weights of one pre-norm transformer layer from `x` to `wl_x{i + 1}`. */
function layer(i: number, s: TransformerShape, cacheIndex: number | null): { nodes: Node[]; initializers: Tensor[] } {
  const p = (name: string) => `wl_${name}${i}`;
  const seed = 1000 + 16 * i;
  const x = p('x');
  const w = (name: string, rows: number, cols: number, k: number) => floatTensor(p(name), [rows, cols], scaledNoise(rows * cols, rows, seed + k));
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const initializers = [
    w('wq', s.width, q, 1),
    w('wk', s.width, kv, 2),
    w('wv', s.width, kv, 3),
    w('wo', q, s.width, 4),
    ...(s.gated ? [w('wg', s.width, s.mlp, 5), w('wu', s.width, s.mlp, 6)] : [w('wi', s.width, s.mlp, 5)]),
    w('wd', s.mlp, s.width, 7),
  ];
  // [b, s, heads·dim] → [b, heads, s, dim]
  const split = (from: string, to: string, heads: 'wl_q_heads' | 'wl_kv_heads') => [
    node('Reshape', [from, heads], [`${to}_bshd`]),
    node('Transpose', [`${to}_bshd`], [to], { perm: [0, 2, 1, 3] }),
  ];
  const keys = cacheIndex === null ? p('k') : `present.${cacheIndex}.key`;
  const values = cacheIndex === null ? p('v') : `present.${cacheIndex}.value`;
  const grouped = s.heads !== s.kvHeads;
  // Grouped-query attention: each KV head serves heads/kvHeads query heads.
  const repeat = (from: string, to: string) =>
    grouped
      ? [node('Unsqueeze', [from, 'wl_axis_group'], [`${to}_u`]), node('Mul', [`${to}_u`, 'wl_group_ones'], [`${to}_e`]), node('Reshape', [`${to}_e`, 'wl_q_grouped'], [to])]
      : [node('Identity', [from], [to])];
  const nodes: Node[] = [
    node('LayerNormalization', [x, 'wl_ln_scale', 'wl_ln_bias'], [p('n1')], { axis: -1 }),
    node('MatMul', [p('n1'), p('wq')], [p('q_flat')]),
    node('MatMul', [p('n1'), p('wk')], [p('k_flat')]),
    node('MatMul', [p('n1'), p('wv')], [p('v_flat')]),
    ...split(p('q_flat'), p('q'), 'wl_q_heads'),
    ...split(p('k_flat'), cacheIndex === null ? p('k') : p('k_new'), 'wl_kv_heads'),
    ...split(p('v_flat'), cacheIndex === null ? p('v') : p('v_new'), 'wl_kv_heads'),
    ...(cacheIndex === null
      ? []
      : [
          node('Concat', [`past_key_values.${cacheIndex}.key`, p('k_new')], [keys], { axis: 2 }),
          node('Concat', [`past_key_values.${cacheIndex}.value`, p('v_new')], [values], { axis: 2 }),
        ]),
    ...repeat(keys, p('k_all')),
    ...repeat(values, p('v_all')),
    node('Transpose', [p('k_all')], [p('k_t')], { perm: [0, 1, 3, 2] }),
    node('MatMul', [p('q'), p('k_t')], [p('scores')]),
    node('Mul', [p('scores'), 'wl_scale'], [p('scaled')]),
    node('Softmax', [p('scaled')], [p('probs')], { axis: -1 }),
    node('MatMul', [p('probs'), p('v_all')], [p('ctx')]),
    node('Transpose', [p('ctx')], [p('ctx_bshd')], { perm: [0, 2, 1, 3] }),
    node('Reshape', [p('ctx_bshd'), 'wl_merge_heads'], [p('ctx_flat')]),
    node('MatMul', [p('ctx_flat'), p('wo')], [p('attn')]),
    node('Add', [x, p('attn')], [p('h')]),
    node('LayerNormalization', [p('h'), 'wl_ln_scale', 'wl_ln_bias'], [p('n2')], { axis: -1 }),
    ...(s.gated
      ? [
          node('MatMul', [p('n2'), p('wg')], [p('gate')]),
          node('Sigmoid', [p('gate')], [p('gate_s')]),
          node('Mul', [p('gate'), p('gate_s')], [p('silu')]),
          node('MatMul', [p('n2'), p('wu')], [p('up')]),
          node('Mul', [p('silu'), p('up')], [p('inner')]),
        ]
      : [node('MatMul', [p('n2'), p('wi')], [p('up')]), node('Relu', [p('up')], [p('inner')])]),
    node('MatMul', [p('inner'), p('wd')], [p('down')]),
    node('Add', [p('h'), p('down')], [`wl_x${i + 1}`]),
  ];
  return { nodes, initializers };
}

/**
 * `model` with the workload added: its layers run from the model's input, and
 * `output` becomes the designed value + 0 · mean(the workload's result).
 */
export function withWorkload(model: Uint8Array, workload: Workload): Uint8Array {
  const { onnx } = onnxProto;
  const decoded = onnx.ModelProto.decode(model);
  const graph = decoded.graph!;
  const { shape: s, front } = workload;
  const producer = graph.node!.find((n) => n.output!.includes(workload.output));
  if (!producer) throw new Error(`workload: no node makes ${workload.output}`);
  producer.output = producer.output!.map((o) => (o === workload.output ? `${o}_designed` : o));
  producer.name = `${producer.name}_designed`;

  const initializers: Tensor[] = [
    floatTensor('wl_ln_scale', [s.width], new Float32Array(s.width).fill(1)),
    floatTensor('wl_ln_bias', [s.width], new Float32Array(s.width)),
    floatTensor('wl_scale', [], [1 / Math.sqrt(s.headDim)]),
    floatTensor('wl_zero', [], [0]),
    int64Tensor('wl_q_heads', [4], [0, 0, s.heads, s.headDim]),
    int64Tensor('wl_kv_heads', [4], [0, 0, s.kvHeads, s.headDim]),
    int64Tensor('wl_merge_heads', [3], [0, 0, s.heads * s.headDim]),
    int64Tensor('wl_axis_group', [1], [2]),
    floatTensor('wl_group_ones', [1, 1, s.heads / s.kvHeads, 1, 1], new Float32Array(s.heads / s.kvHeads).fill(1)),
    int64Tensor('wl_q_grouped', [4], [0, s.heads, -1, s.headDim]),
  ];
  const nodes: Node[] = [];
  if ('tokens' in front) {
    initializers.push(floatTensor('wl_embedding', [front.vocab, s.width], scaledNoise(front.vocab * s.width, 1, 7)));
    nodes.push(node('Gather', ['wl_embedding', front.tokens], ['wl_x0'], { axis: 0 }));
  } else {
    const fanIn = front.channels * front.patch ** 2;
    initializers.push(
      floatTensor('wl_patch_embedding', [s.width, front.channels, front.patch, front.patch], scaledNoise(s.width * fanIn, fanIn, 7)),
      int64Tensor('wl_tokens_shape', [3], [0, s.width, -1]),
    );
    nodes.push(
      node('Conv', [front.patches, 'wl_patch_embedding'], ['wl_patch_grid'], { kernel_shape: [front.patch, front.patch], strides: [front.patch, front.patch] }),
      node('Reshape', ['wl_patch_grid', 'wl_tokens_shape'], ['wl_tokens_by_channel']),
      node('Transpose', ['wl_tokens_by_channel'], ['wl_x0'], { perm: [0, 2, 1] }),
    );
  }
  const cacheInputs: onnxProto.onnx.IValueInfoProto[] = [];
  const cacheOutputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (let i = 0; i < s.layers; i++) {
    const cacheIndex = workload.cache ? workload.cache.firstLayer + i : null;
    const built = layer(i, s, cacheIndex);
    nodes.push(...built.nodes);
    initializers.push(...built.initializers);
    if (cacheIndex !== null) {
      for (const part of ['key', 'value']) {
        cacheInputs.push(valueInfo(`past_key_values.${cacheIndex}.${part}`, 'float', ['batch_size', s.kvHeads, 'past_sequence_length', s.headDim]));
        cacheOutputs.push(valueInfo(`present.${cacheIndex}.${part}`, 'float', ['batch_size', s.kvHeads, 'total_sequence_length', s.headDim]));
      }
    }
  }
  let result = `wl_x${s.layers}`;
  if (workload.lmHead) {
    if (!('tokens' in front)) throw new Error('workload: a language-model head needs a token embedding');
    initializers.push(int64Tensor('wl_rows', [2], [-1, s.width]));
    nodes.push(
      node('LayerNormalization', [result, 'wl_ln_scale', 'wl_ln_bias'], ['wl_final'], { axis: -1 }),
      node('Slice', ['wl_final', workload.lmHead.keepFrom, 'int_max_1d', 'axis_position_1d'], ['wl_kept']),
      node('Reshape', ['wl_kept', 'wl_rows'], ['wl_kept_rows']),
      // Tied weights: the head is the embedding, read transposed (no second copy).
      { ...node('Gemm', ['wl_kept_rows', 'wl_embedding'], ['wl_logits']), attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: 1 }] },
    );
    result = 'wl_logits';
  }
  nodes.push(
    node('ReduceMean', [result], ['wl_mean'], { keepdims: 0 }),
    node('Mul', ['wl_mean', 'wl_zero'], ['wl_zero_term']),
    node('Add', [`${workload.output}_designed`, 'wl_zero_term'], [workload.output]),
  );
  graph.node!.push(...nodes);
  graph.initializer!.push(...initializers);
  // The cache's inputs and outputs go after the designed ones, in layer order as exports list them.
  const firstExtra = graph.input!.findIndex((i) => i.name === 'num_logits_to_keep');
  graph.input!.splice(firstExtra < 0 ? graph.input!.length : firstExtra, 0, ...cacheInputs);
  graph.output!.push(...cacheOutputs);
  graph.docString = `${graph.docString ?? ''} Bench variant: plus ${workload.name} whose result enters ${workload.output} times zero.`;
  const problem = onnx.ModelProto.verify(decoded);
  if (problem) throw new Error(`workload: invalid model: ${problem}`);
  return onnx.ModelProto.encode(decoded).finish();
}
