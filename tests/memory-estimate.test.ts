// Decoder evaluators are checked against the wasm32 heap before their weights are fetched.
import { describe, expect, it } from 'vitest';
import { isGuardError } from '../src/errors.ts';
import { WASM32_HEAP_BYTES, checkDecoderFits, estimateDecoderMemory } from '../src/runtime/memory-estimate.ts';

// Llama Guard 3 1B as onnx-community exports it: model_q4.onnx (1.82 GB), Llama 3.2 1B's shape.
const llamaGuard = { weightBytes: 1.82e9, vocabSize: 128256, layers: 16, heads: 32, kvHeads: 8, headDim: 64, maxTokens: 4096, prefillChunk: 256, lastLogitsOnly: false, kvBytes: 4 };

describe('decoder memory estimate', () => {
  it('Llama Guard 3 1B q4 fits the wasm heap when the prompt goes through in 256-token chunks', () => {
    const estimate = checkDecoderFits('llama-guard-3-1b', 'wasm', llamaGuard);
    expect(estimate.parts.logits).toBe(256 * 128256 * 4); // ≈ 131 MB, not [1, 4096, 128256]
    expect(estimate.parts.kvCache).toBe(2 * 16 * 8 * 64 * 4096 * 4);
    expect(estimate.bytes).toBeLessThan(WASM32_HEAP_BYTES);
  });

  it('the whole prompt in one pass (logits [1, 4096, 128256] and attention scores, 2.1 GB each) does not: MODEL_TOO_LARGE', () => {
    const oneShot = { ...llamaGuard, prefillChunk: 4096 };
    expect(estimateDecoderMemory(oneShot).parts.logits).toBe(4096 * 128256 * 4);
    let error: unknown;
    try {
      checkDecoderFits('llama-guard-3-1b', 'wasm', oneShot);
    } catch (e) {
      error = e;
    }
    expect(isGuardError(error, 'MODEL_TOO_LARGE')).toBe(true);
    expect(String(error)).toMatch(/weights 1\.70 GiB, logits 1\.96 GiB, attention 2\.00 GiB/);
  });

  it('num_logits_to_keep makes the logits one row; on WebGPU the weights do not count against the heap', () => {
    expect(estimateDecoderMemory({ ...llamaGuard, prefillChunk: 4096, lastLogitsOnly: true }).parts.logits).toBe(128256 * 4);
    expect(() => checkDecoderFits('big', 'webgpu', { ...llamaGuard, weightBytes: 6e9 })).not.toThrow();
    expect(() => checkDecoderFits('big', 'wasm', { ...llamaGuard, weightBytes: 6e9 })).toThrow(/MODEL_TOO_LARGE|4 GiB/);
  });
});
