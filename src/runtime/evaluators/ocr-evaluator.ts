// Text in the image (PP-OCRv4 in the OCR worker), read so typographic attacks are
// caught as text.
import { type ImageInput, forAttempt, toWorkerImage } from '../../images/image-input.ts';
import type { TextLine } from '../../ocr/config.ts';
import type { LoadReport, OcrWorkerApi } from '../contracts.ts';
import type { WorkerHost } from '../worker-host.ts';

export interface ImageTextReading {
  /** Lines in reading order. */
  lines: TextLine[];
  /** The lines joined by newlines. */
  text: string;
  timings: { decodeMs: number; detectMs: number; recogniseMs: number; totalMs: number };
}

export class OcrEvaluator {
  readonly #host: WorkerHost<OcrWorkerApi, LoadReport>;

  constructor(host: WorkerHost<OcrWorkerApi, LoadReport>) {
    this.#host = host;
  }

  get backend() {
    return this.#host.lastReport?.backend;
  }

  async read(image: ImageInput): Promise<ImageTextReading> {
    const t0 = performance.now();
    const workerImage = await toWorkerImage(image);
    const decodeMs = performance.now() - t0;
    const { lines, timings } = await this.#host.call('OCR', (api) => api.readText(forAttempt(workerImage)));
    return { lines, text: lines.map((l) => l.text).join('\n'), timings: { decodeMs, ...timings, totalMs: performance.now() - t0 } };
  }
}
