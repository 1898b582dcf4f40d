// Whether a decoder evaluator (Llama Guard, a Qwen3 reward model) fits the backend's
// memory, estimated before its weights are fetched: a wasm32 heap holds at most 4 GiB,
// and a model past that crashes the worker with an out-of-memory abort mid-load or at the
// first long prompt. Refusing with MODEL_TOO_LARGE says why, and what to change.
import { GuardError } from '../errors.ts';
import type { Backend } from './contracts.ts';

/** WebAssembly's 32-bit address space: what onnxruntime-web's wasm heap can ever hold. */
export const WASM32_HEAP_BYTES = 4 * 1024 ** 3;

export interface DecoderFootprint {
  /** The ONNX file and its external data, as the manifest lists them. */
  weightBytes: number;
  vocabSize: number;
  layers: number;
  /** Attention heads (the score matrix of a pass is heads × its tokens × the tokens so far). */
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The longest prompt the evaluator reads (manifest maxTokens). */
  maxTokens: number;
  /** Prompt tokens per forward pass. */
  prefillChunk: number;
  /** The graph computes only the last position's logits (num_logits_to_keep). */
  lastLogitsOnly: boolean;
  /** Bytes per KV-cache value (4 for fp32, 2 for fp16 caches). */
  kvBytes: number;
}

export interface MemoryEstimate {
  bytes: number;
  parts: { weights: number; logits: number; kvCache: number; attention: number };
}

/**
 * The wasm heap a decoder needs at its peak: the weights (ORT keeps the model's
 * initializers in the heap), and for the longest prompt read in passes of `prefillChunk`
 * tokens: one pass's logits (its rows of the vocabulary, or one row), its attention
 * scores, and the KV cache at maxTokens. Activations besides these are left out.
 */
export function estimateDecoderMemory(f: DecoderFootprint): MemoryEstimate {
  const pass = Math.min(f.prefillChunk, f.maxTokens);
  const logits = (f.lastLogitsOnly ? 1 : pass) * f.vocabSize * 4;
  const attention = f.heads * pass * f.maxTokens * 4;
  const kvCache = 2 * f.layers * f.kvHeads * f.headDim * f.maxTokens * f.kvBytes;
  return { bytes: f.weightBytes + logits + attention + kvCache, parts: { weights: f.weightBytes, logits, kvCache, attention } };
}

const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(2)} GiB`;

/** MODEL_TOO_LARGE when the estimate does not fit the backend's heap (WebGPU keeps the weights on the GPU). */
export function checkDecoderFits(modelId: string, backend: Backend, f: DecoderFootprint): MemoryEstimate {
  const estimate = estimateDecoderMemory(f);
  const heap = backend === 'wasm' ? estimate.bytes : estimate.bytes - estimate.parts.weights;
  if (heap <= WASM32_HEAP_BYTES) return estimate;
  const { weights, logits, kvCache, attention } = estimate.parts;
  throw new GuardError(
    'MODEL_TOO_LARGE',
    `"${modelId}" needs about ${gib(heap)} of WebAssembly memory on ${backend} (weights ${gib(weights)}, logits ${gib(logits)}, attention ${gib(attention)}, KV cache ${gib(kvCache)} at ${f.maxTokens} tokens), more than the 4 GiB a wasm32 heap holds. ` +
      'Use a smaller dtype (q4) or model, lower reward.prefillChunk or the manifest maxTokens, or run on WebGPU.',
    { model: modelId, backend, bytes: String(heap) },
  );
}
