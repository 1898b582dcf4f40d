// A decoder-only ONNX model (Llama/Qwen layout, optimum or transformers.js export) on
// bare onnxruntime-web: one forward pass over a prompt, then single-token steps that
// feed the KV cache back. Handles exports with and without past_key_values/position_ids.
import * as ort from 'onnxruntime-web/webgpu';
import type { Backend } from '../../src/runtime/contracts.ts';

export interface DecoderShape {
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
}

/** The KV-cache geometry from a Hugging Face config.json (text_config for multimodal ones). */
export function decoderShape(config: Record<string, unknown>): DecoderShape {
  const c = (config.text_config ?? config) as Record<string, number | undefined>;
  const heads = c.num_attention_heads ?? 1;
  return {
    layers: c.num_hidden_layers ?? 1,
    heads,
    kvHeads: c.num_key_value_heads ?? heads,
    headDim: c.head_dim ?? Math.floor((c.hidden_size ?? heads) / heads),
  };
}

/** The inputs by which exports ask how many last positions' logits to compute (older and newer names). */
const LOGITS_TO_KEEP = ['num_logits_to_keep', 'logits_to_keep'];

/** The vocabulary size from a Hugging Face config.json (text_config for multimodal ones). */
export function vocabSizeOf(config: Record<string, unknown>): number {
  const c = (config.text_config ?? config) as Record<string, number | undefined>;
  return c.vocab_size ?? 0;
}

const int64 = (values: readonly number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), dims);

export class DecoderSession {
  readonly #session: ort.InferenceSession;
  readonly #shape: DecoderShape;
  readonly #pastType: 'float32' | 'float16';
  #past: Record<string, ort.Tensor> = {};
  #length = 0;

  private constructor(session: ort.InferenceSession, shape: DecoderShape) {
    this.#session = session;
    this.#shape = shape;
    const pastMeta = session.inputMetadata.find((m) => m.name.startsWith('past_key_values.'));
    this.#pastType = pastMeta && pastMeta.isTensor && pastMeta.type === 'float16' ? 'float16' : 'float32';
  }

  static async create(model: Uint8Array, backend: Backend, shape: DecoderShape, externalData: { path: string; data: Uint8Array }[] = []): Promise<DecoderSession> {
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [backend],
      ...(externalData.length ? { externalData } : {}),
    });
    return new DecoderSession(session, shape);
  }

  get hasCache(): boolean {
    return this.#session.inputNames.some((n) => n.startsWith('past_key_values.'));
  }

  /** Forgets the KV cache: the next step starts a new sequence. */
  reset(): void {
    for (const tensor of Object.values(this.#past)) tensor.dispose();
    this.#past = {};
    this.#length = 0;
  }

  /**
   * The next-token logits after `ids` (following what came before, or from scratch after
   * reset()). A long prompt goes through the KV cache `chunk` tokens at a time, and only
   * the last position's row is read: a full [1, S, vocab] copy is gigabytes for Llama's
   * 128256-token vocabulary. A graph that declares num_logits_to_keep computes that one row only.
   */
  async next(ids: readonly number[], chunk: number): Promise<Float32Array> {
    // Without a cache the model must see the whole sequence in one pass.
    const size = this.hasCache ? Math.max(1, chunk) : ids.length;
    let row: Float32Array = new Float32Array(0);
    for (let start = 0; start < ids.length; start += size) row = await this.#run(ids.slice(start, start + size));
    return row;
  }

  async #run(ids: readonly number[]): Promise<Float32Array> {
    const names = this.#session.inputNames;
    const total = this.#length + ids.length;
    const feeds: Record<string, ort.Tensor> = { input_ids: int64(ids, [1, ids.length]) };
    if (names.includes('attention_mask')) feeds.attention_mask = int64(new Array<number>(total).fill(1), [1, total]);
    if (names.includes('position_ids')) feeds.position_ids = int64(ids.map((_, i) => this.#length + i), [1, ids.length]);
    for (const name of LOGITS_TO_KEEP.filter((n) => names.includes(n))) feeds[name] = int64([1], []);
    for (const name of names.filter((n) => n.startsWith('past_key_values.'))) {
      const { kvHeads, headDim } = this.#shape;
      feeds[name] = this.#past[name] ?? new ort.Tensor(this.#pastType, this.#pastType === 'float16' ? new Uint16Array(0) : new Float32Array(0), [1, kvHeads, 0, headDim]);
    }
    const outputs = await this.#session.run(feeds);
    const logits = outputs.logits ?? outputs[this.#session.outputNames[0]!]!;
    const width = logits.dims.at(-1)!;
    // The last row alone leaves the session's memory (on the CPU a view, sliced once).
    const data = (logits.location === 'cpu' ? logits.data : await logits.getData()) as Float32Array;
    const row = data.slice(data.length - width);
    // The cache for the next step: present.N.* becomes past_key_values.N.*; everything else is freed.
    const next: Record<string, ort.Tensor> = {};
    for (const [name, tensor] of Object.entries(outputs)) {
      if (name.startsWith('present.')) next[name.replace('present.', 'past_key_values.')] = tensor;
      else tensor.dispose();
    }
    for (const [name, tensor] of Object.entries(feeds)) if (!name.startsWith('past_key_values.') || this.#past[name] !== tensor) tensor.dispose();
    for (const tensor of Object.values(this.#past)) tensor.dispose();
    this.#past = next;
    this.#length = total;
    return row;
  }
}
