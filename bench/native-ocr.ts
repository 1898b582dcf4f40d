// PP-OCRv4 on native onnxruntime-node with the pipeline the OCR worker runs: the bench's
// yardstick for OCR in the page (same images, same code, decoding included on both sides).
import { readFileSync } from 'node:fs';
import { RawImage } from '@huggingface/transformers';
import { readImageText } from '../src/ocr/pipeline.ts';
import { nodeOcr } from '../tests/support/ocr-node.ts';
import { type StageStats, measure } from './stats.ts';

export interface NativeOcrBench {
  /** onnxruntime-node's intra-op threads; null: its default (one per physical core). */
  threads: number | null;
  warmup: number;
  warm: StageStats;
}

export async function runNativeOcr(files: readonly string[], threads: number | null, warmup: number, runs: number): Promise<NativeOcrBench> {
  const ocr = await nodeOcr(threads === null ? {} : { intraOpNumThreads: threads });
  const images = files.map((f) => new Blob([readFileSync(f)], { type: 'image/png' }));
  const warm = await measure(async (i) => {
    const rgba = (await RawImage.fromBlob(images[Math.abs(i) % images.length]!)).rgba();
    await readImageText({ width: rgba.width, height: rgba.height, data: new Uint8ClampedArray(rgba.data) }, ocr.runners, ocr.dictionary, ocr.config);
  }, runs, warmup);
  return { threads, warmup, warm };
}
