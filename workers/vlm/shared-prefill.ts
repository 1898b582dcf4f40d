// Deep alignment asks the VLM for N candidates of one prompt (image tokens, question, the
// answer so far). Reading that prompt N times — a batch of N identical rows — costs N
// prefills. Here the decoder reads it once: a batch-1 pass fills the KV cache up to the
// last prompt token, the cache is copied into N rows, and the N sequences start from it
// (each samples its own first token from the last prompt token's logits).
import { DynamicCache, type PreTrainedModel, Tensor, cat } from '@huggingface/transformers';

export type PromptInputs = { input_ids: Tensor; attention_mask: Tensor } & Record<string, unknown>;

/** What the N-row generation starts from: the prompt's rows and the cache of all but its last token. */
export interface SharedPrompt {
  input_ids: Tensor;
  attention_mask: Tensor;
  /** Absent for a one-token prompt (nothing before its last token; it cannot hold an image). */
  past_key_values?: DynamicCache;
}

/**
 * transformers.js's generate() with its options as it reads them at run time (its typings
 * take neither a cache nor a plain streamer object): sequences, or with
 * return_dict_in_generate the sequences and the final cache.
 */
export const generate = (model: PreTrainedModel, options: Record<string, unknown>) =>
  (model.generate as unknown as (options: Record<string, unknown>) => Promise<Tensor | { sequences: Tensor; past_key_values: DynamicCache }>)(options);

const rowsOf = (tensor: Tensor, rows: number) => cat(Array.from({ length: rows }, () => tensor), 0);

/** A cache entry on the CPU (WebGPU keeps the cache in GPU buffers: read back once, then released). */
async function onCpu(tensor: Tensor): Promise<Tensor> {
  if (tensor.location !== 'gpu-buffer') return tensor;
  const data = await tensor.ort_tensor.getData(true);
  return new Tensor(tensor.type, data as Float32Array, tensor.dims);
}

/** Prefills the batch-1 text-and-image `inputs` once and returns them as `rows` rows with the shared cache. */
export async function sharePrompt(model: PreTrainedModel, inputs: PromptInputs, rows: number): Promise<SharedPrompt> {
  const length = inputs.input_ids.dims[1]!;
  if (inputs.input_ids.dims[0] !== 1) throw new Error('sharePrompt takes one prompt row');
  const prompt = { input_ids: rowsOf(inputs.input_ids, rows), attention_mask: rowsOf(inputs.attention_mask, rows) };
  if (length < 2) return prompt;
  const head = { ...inputs, input_ids: inputs.input_ids.slice(null, [0, length - 1]), attention_mask: inputs.attention_mask.slice(null, [0, length - 1]) };
  // One new token is the least generate() runs; the cache it returns is the prefill's.
  const { past_key_values: cache } = (await generate(model, { ...head, max_new_tokens: 1, do_sample: false, return_dict_in_generate: true })) as { past_key_values: DynamicCache };
  const entries: Record<string, Tensor> = {};
  for (const [name, tensor] of Object.entries(cache) as [string, Tensor][]) entries[name] = rowsOf(await onCpu(tensor), rows);
  await cache.dispose();
  return { ...prompt, past_key_values: new DynamicCache(entries) };
}

/** How many prompt rows the decoder has read (a pass over more than one token is a prefill). */
export class PrefillCounter {
  readonly stats = { prefills: 0, rows: 0 };

  constructor(model: PreTrainedModel) {
    const target = model as unknown as { forward: (inputs: { input_ids?: Tensor }) => Promise<unknown> };
    const forward = target.forward.bind(model);
    target.forward = (inputs) => {
      const dims = inputs.input_ids?.dims;
      if (dims && dims[1]! > 1) {
        this.stats.prefills++;
        this.stats.rows += dims[0]!;
      }
      return forward(inputs);
    };
  }
}
