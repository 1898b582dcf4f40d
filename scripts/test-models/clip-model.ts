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

export function buildClipVisionModel(): Uint8Array {
  // Rows: input channel (R, G, B); columns: redness, greenness, blueness = c − mean(other two).
  const contrast = [1, -0.5, -0.5, -0.5, 1, -0.5, -0.5, -0.5, 1];
  const toAxes = [
    CONTRAST_GAIN[0]!, 0, 0, 0,
    0, 0, CONTRAST_GAIN[1]!, 0,
    0, 0, 0, CONTRAST_GAIN[2]!,
  ];
  return encodeModel({
    name: 'test_clip_vision',
    doc: 'vlm-guard generated CLIP vision tower: mean colour contrast of the normalised image.',
    inputs: [valueInfo('pixel_values', 'float', ['batch_size', 3, 224, 224])],
    outputs: [valueInfo('image_embeds', 'float', ['batch_size', EMBED_DIM])],
    initializers: [
      floatTensor('colour_contrast', [3, 3], contrast),
      floatTensor('contrast_threshold', [3], CONTRAST_THRESHOLD),
      floatTensor('contrast_to_axes', [3, EMBED_DIM], toAxes),
      floatTensor('baseline', [EMBED_DIM], [0, 1, 0, 0]),
    ],
    nodes: [
      node('ReduceMean', ['pixel_values'], ['channel_means'], { axes: [2, 3], keepdims: 0 }),
      node('MatMul', ['channel_means', 'colour_contrast'], ['contrast']),
      node('Sub', ['contrast', 'contrast_threshold'], ['above']),
      node('Relu', ['above'], ['colourfulness']),
      node('MatMul', ['colourfulness', 'contrast_to_axes'], ['projected']),
      node('Add', ['projected', 'baseline'], ['image_embeds']),
    ],
  });
}
