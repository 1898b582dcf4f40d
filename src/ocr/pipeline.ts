// The OCR pipeline over two model runners: detect text regions, then recognise
// each one. Runner-agnostic, so the worker feeds it onnxruntime-web and the unit
// tests onnxruntime-node.
import type { PixelImage } from '../images/image-input.ts';
import { boxesFromProbabilityMap } from './boxes.ts';
import type { OcrConfig, TextLine } from './config.ts';
import { ctcGreedyDecode } from './ctc.ts';
import { DETECTION_NORMALISATION, RECOGNITION_NORMALISATION, cropResizeNormalise, detectionSize } from './image-ops.ts';

export interface OcrRunners {
  /** [1,3,H,W] → text probability map [H·W]. */
  detect(input: Float32Array, width: number, height: number): Promise<Float32Array>;
  /** [1,3,48,W] → per-step class probabilities. */
  recognise(input: Float32Array, width: number, height: number): Promise<{ probabilities: Float32Array; steps: number; classes: number }>;
}

export interface OcrResult {
  lines: TextLine[];
  timings: { detectMs: number; recogniseMs: number };
}

export async function readImageText(image: PixelImage, runners: OcrRunners, dictionary: readonly string[], config: OcrConfig): Promise<OcrResult> {
  const t0 = performance.now();
  const size = detectionSize(image.width, image.height, config.maxSide);
  const full = { x: 0, y: 0, width: image.width, height: image.height };
  const map = await runners.detect(cropResizeNormalise(image, full, size.width, size.height, DETECTION_NORMALISATION), size.width, size.height);
  const boxes = boxesFromProbabilityMap(map, size.width, size.height, image, config);
  const t1 = performance.now();
  const lines: TextLine[] = [];
  for (const box of boxes) {
    const width = Math.min(config.maxRecWidth, Math.max(8, Math.ceil((config.recHeight * box.width) / box.height)));
    const input = cropResizeNormalise(image, box, width, config.recHeight, RECOGNITION_NORMALISATION);
    const { probabilities, steps, classes } = await runners.recognise(input, width, config.recHeight);
    const { text, confidence } = ctcGreedyDecode(probabilities, steps, classes, dictionary);
    // NFKC: the Chinese-English dictionary has full-width Latin letters ("ｈｉgh" → "high").
    const trimmed = text.normalize('NFKC').trim();
    if (trimmed && confidence >= config.minLineConfidence) {
      const { score, ...rect } = box;
      lines.push({ text: trimmed, confidence, box: rect, detectionScore: score });
    }
  }
  return { lines: inSourceCoordinates(joinLines(lines), image), timings: { detectMs: t1 - t0, recogniseMs: performance.now() - t1 } };
}

/** Boxes in the caller's image: a large image was read scaled down (MAX_DECODED_SIDE). */
export function inSourceCoordinates(lines: TextLine[], image: Pick<PixelImage, 'width' | 'height' | 'scaledFrom'>): TextLine[] {
  if (!image.scaledFrom) return lines;
  const sx = image.scaledFrom.width / image.width;
  const sy = image.scaledFrom.height / image.height;
  return lines.map((line) => ({
    ...line,
    box: { x: line.box.x * sx, y: line.box.y * sy, width: line.box.width * sx, height: line.box.height * sy },
  }));
}

/**
 * The detector often finds one region per word; regions side by side on the same
 * baseline (in reading order already) become one line, words joined by spaces.
 */
export function joinLines(words: readonly TextLine[]): TextLine[] {
  const lines: TextLine[][] = [];
  for (const word of words) {
    const line = lines.at(-1);
    const last = line?.at(-1);
    const centre = (w: TextLine) => w.box.y + w.box.height / 2;
    if (line && last && Math.abs(centre(last) - centre(word)) < Math.min(last.box.height, word.box.height) / 2 && word.box.x >= last.box.x) {
      line.push(word);
    } else {
      lines.push([word]);
    }
  }
  return lines.map((parts) => {
    const x = Math.min(...parts.map((p) => p.box.x));
    const y = Math.min(...parts.map((p) => p.box.y));
    const right = Math.max(...parts.map((p) => p.box.x + p.box.width));
    const bottom = Math.max(...parts.map((p) => p.box.y + p.box.height));
    const mean = (f: (p: TextLine) => number) => parts.reduce((a, p) => a + f(p), 0) / parts.length;
    return {
      text: parts.map((p) => p.text).join(' '),
      confidence: mean((p) => p.confidence),
      box: { x, y, width: right - x, height: bottom - y },
      detectionScore: mean((p) => p.detectionScore),
    };
  });
}

/** The dictionary file: one character per line (PaddleOCR's ppocr_keys). */
export function parseDictionary(text: string): string[] {
  return text.replace(/\r/g, '').split('\n').filter((line, i, all) => line.length > 0 || i < all.length - 1);
}
