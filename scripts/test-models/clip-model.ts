// A tiny CLIP pair whose scores mean something a test can assert.
//
// Embedding axes (EMBED_DIM = 4):
//   0 "unsafe"  — text: unsafe/violence words; image: strongly red images
//   1 baseline  — a constant 1 on both towers, so every cosine is defined
//   2 "green"   — text: nature words;          image: strongly green images
//   3 "blue"    — text: sky/water words;       image: strongly blue images
// So ETA's unsafe description ("…unsafe/…/violent/…/harmful/illegal/privacy…")
// points along axis 0 and scores high only against saturated red images, while
// everyday photos (means near grey) sit on the baseline axis and score low.
import { encodeModel, floatTensor, int64Tensor, node, valueInfo } from './onnx-graph.ts';

export const EMBED_DIM = 4;

export const CLIP_CONCEPT_WORDS: Record<number, readonly string[]> = {
  0: ['unsafe', 'violent', 'violence', 'harmful', 'illegal', 'privacy', 'bomb', 'explosive', 'weapon',
    'weapons', 'kill', 'poison', 'murder', 'gun', 'blood', 'nude', 'drugs', 'attack', 'dangerous', 'knife',
    // DREAM's risk categories (src/risk-categories.ts descriptions), so each has an unsafe word.
    'leaked', 'passwords', 'hateful', 'racist', 'insulting', 'explicit', 'sexually', 'fake', 'misleading',
    'false', 'forged', 'counterfeit', 'propaganda', 'extremist', 'manipulation', 'pills', 'prescription', 'diagnosis'],
  2: ['green', 'grass', 'tree', 'forest', 'plant', 'leaf'],
  3: ['blue', 'sky', 'sea', 'water', 'ocean'],
};

/** Colour-contrast thresholds in CLIP-normalised units: a mean contrast below it reads as "no colour". */
const CONTRAST_THRESHOLD = [1.8, 1.0, 1.0];
const CONTRAST_GAIN = [4, 2, 2];

export interface Tokenize {
  /** Token ids of one word without special tokens. */
  (word: string): number[];
}

export function buildClipTextModel(tokenize: Tokenize): Uint8Array {
  const ids: number[] = [];
  const projection: number[] = []; // [K, EMBED_DIM], row k = direction of word k
  for (const [axis, words] of Object.entries(CLIP_CONCEPT_WORDS)) {
    for (const word of words) {
      const tokenIds = tokenize(word);
      if (tokenIds.length !== 1) throw new Error(`concept word "${word}" is not one CLIP token: ${tokenIds.join(',')}`);
      ids.push(tokenIds[0]!);
      projection.push(...Array.from({ length: EMBED_DIM }, (_, d) => (d === Number(axis) ? 1 : 0)));
    }
  }
  const k = ids.length;
  return encodeModel({
    name: 'test_clip_text',
    doc: 'vlm-guard generated CLIP text tower: counts concept tokens up to the pooled position, argmax(input_ids) as in the real tower, and projects them onto fixed axes.',
    inputs: [valueInfo('input_ids', 'int64', ['batch_size', 'sequence_length'])],
    outputs: [valueInfo('text_embeds', 'float', ['batch_size', EMBED_DIM])],
    initializers: [
      int64Tensor('concept_ids', [k], ids),
      int64Tensor('axis_last', [1], [2]),
      int64Tensor('axis_seq', [1], [1]),
      floatTensor('concept_projection', [k, EMBED_DIM], projection),
      floatTensor('baseline', [EMBED_DIM], [0, 1, 0, 0]),
      floatTensor('one', [], [1]),
      floatTensor('zero_f', [], [0]),
      int64Tensor('axis_seq_scalar', [], [1]),
    ],
    nodes: [
      node('Unsqueeze', ['input_ids', 'axis_last'], ['ids_col']),
      node('Equal', ['ids_col', 'concept_ids'], ['is_concept']),
      node('Cast', ['is_concept'], ['is_concept_f'], { to: 1 }),
      // The real tower is causal and pools at argmax(input_ids) — the end token, the largest
      // id, when it is there: the pooled vector has seen the tokens up to that position only.
      node('Cast', ['input_ids'], ['ids_f'], { to: 1 }),
      node('ArgMax', ['ids_f'], ['pooled_at'], { axis: 1, keepdims: 1 }),
      node('Cast', ['pooled_at'], ['pooled_at_f'], { to: 1 }),
      node('Mul', ['ids_f', 'zero_f'], ['zeros']),
      node('Add', ['zeros', 'one'], ['ones']),
      node('CumSum', ['ones', 'axis_seq_scalar'], ['counted']),
      node('Sub', ['counted', 'one'], ['positions']),
      node('LessOrEqual', ['positions', 'pooled_at_f'], ['seen']),
      node('Cast', ['seen'], ['seen_f'], { to: 1 }),
      node('Unsqueeze', ['seen_f', 'axis_last'], ['seen_col']),
      node('Mul', ['is_concept_f', 'seen_col'], ['seen_concepts']),
      node('ReduceSum', ['seen_concepts', 'axis_seq'], ['concept_counts'], { keepdims: 0 }),
      node('MatMul', ['concept_counts', 'concept_projection'], ['projected']),
      node('Add', ['projected', 'baseline'], ['text_embeds']),
    ],
  });
}

/**
 * Compute shaped like a real vision tower (patch embedding, then MLP blocks over the
 * patches) that leaves the output unchanged: the bench's stand-in for CLIP's cost, so
 * fixed costs (worker messaging, caching) are weighed against realistic inference.
 */
export interface VisionWorkload {
  patch: number;
  width: number;
  hidden: number;
  /** Blocks; they share one set of weights (compute of `layers` blocks, file of one). */
  layers: number;
}

/** About ViT-B/32's multiply-adds per 224² image (~3 G; its attention is left out). */
export const VIT_B32_WORKLOAD: VisionWorkload = { patch: 32, width: 768, hidden: 3072, layers: 12 };

/** Deterministic weights, uniform with variance 1/fanIn, so activations stay bounded through the blocks. */
function scaledNoise(count: number, fanIn: number, seed: number): Float32Array {
  const bound = Math.sqrt(3 / fanIn);
  const values = new Float32Array(count);
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    values[i] = (state / 2 ** 32) * 2 * bound - bound;
  }
  return values;
}

/** The workload's nodes and weights; its result is multiplied by zeros and added to `image_embeds`. */
function workloadGraph({ patch, width, hidden, layers }: VisionWorkload) {
  const patches = (224 / patch) ** 2;
  const blocks = Array.from({ length: layers }, (_, i) => {
    const input = i === 0 ? 'tokens' : `block${i - 1}`;
    return [
      node('MatMul', [input, 'mlp_in'], [`up${i}`]),
      node('Relu', [`up${i}`], [`act${i}`]),
      node('MatMul', [`act${i}`, 'mlp_out'], [`down${i}`]),
      node('Add', [input, `down${i}`], [`block${i}`]),
    ];
  });
  return {
    initializers: [
      floatTensor('patch_embedding', [width, 3, patch, patch], scaledNoise(width * 3 * patch * patch, 3 * patch * patch, 1)),
      int64Tensor('tokens_shape', [3], [-1, width, patches]),
      floatTensor('mlp_in', [width, hidden], scaledNoise(width * hidden, width, 2)),
      floatTensor('mlp_out', [hidden, width], scaledNoise(hidden * width, hidden * layers, 3)),
      floatTensor('workload_to_embeds', [width, EMBED_DIM], new Float32Array(width * EMBED_DIM)),
    ],
    nodes: [
      node('Conv', ['pixel_values', 'patch_embedding'], ['patch_grid'], { kernel_shape: [patch, patch], strides: [patch, patch] }),
      node('Reshape', ['patch_grid', 'tokens_shape'], ['tokens_by_channel']),
      node('Transpose', ['tokens_by_channel'], ['tokens'], { perm: [0, 2, 1] }),
      ...blocks.flat(),
      node('ReduceMean', [`block${layers - 1}`], ['pooled'], { axes: [1], keepdims: 0 }),
      node('MatMul', ['pooled', 'workload_to_embeds'], ['workload_zero']),
    ],
  };
}

export function buildClipVisionModel(workload?: VisionWorkload): Uint8Array {
  // Rows: input channel (R, G, B); columns: redness, greenness, blueness = c − mean(other two).
  const contrast = [1, -0.5, -0.5, -0.5, 1, -0.5, -0.5, -0.5, 1];
  const toAxes = [
    CONTRAST_GAIN[0]!, 0, 0, 0,
    0, 0, CONTRAST_GAIN[1]!, 0,
    0, 0, 0, CONTRAST_GAIN[2]!,
  ];
  const extra = workload ? workloadGraph(workload) : null;
  return encodeModel({
    name: 'test_clip_vision',
    doc: `vlm-guard generated CLIP vision tower: mean colour contrast of the normalised image${extra ? ', plus a ViT-sized workload that does not change it' : ''}.`,
    inputs: [valueInfo('pixel_values', 'float', ['batch_size', 3, 224, 224])],
    outputs: [valueInfo('image_embeds', 'float', ['batch_size', EMBED_DIM])],
    initializers: [
      floatTensor('colour_contrast', [3, 3], contrast),
      floatTensor('contrast_threshold', [3], CONTRAST_THRESHOLD),
      floatTensor('contrast_to_axes', [3, EMBED_DIM], toAxes),
      floatTensor('baseline', [EMBED_DIM], [0, 1, 0, 0]),
      ...(extra?.initializers ?? []),
    ],
    nodes: [
      node('ReduceMean', ['pixel_values'], ['channel_means'], { axes: [2, 3], keepdims: 0 }),
      node('MatMul', ['channel_means', 'colour_contrast'], ['contrast']),
      node('Sub', ['contrast', 'contrast_threshold'], ['above']),
      node('Relu', ['above'], ['colourfulness']),
      node('MatMul', ['colourfulness', 'contrast_to_axes'], ['projected']),
      ...(extra ? [...extra.nodes, node('Add', ['projected', 'workload_zero'], ['projected_all'])] : []),
      node('Add', [extra ? 'projected_all' : 'projected', 'baseline'], ['image_embeds']),
    ],
  });
}
