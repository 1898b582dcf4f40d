// The pixel work OCR needs, in plain TypeScript (runs in a worker or in node tests):
// crop + bilinear resize to a planar float tensor with per-channel normalisation.
import type { PixelImage } from '../images/image-input.ts';
import type { TextBox } from './config.ts';

export interface Normalisation {
  /** Per output channel, applied as (value/255 − mean) / std. */
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
  /** Source channel for each output channel (RGBA indices): PaddleOCR models read BGR. */
  channels: readonly [number, number, number];
}

/** PaddleOCR det: ImageNet mean/std on BGR. */
export const DETECTION_NORMALISATION: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], channels: [2, 1, 0] };
/** PaddleOCR rec: (x/255 − 0.5) / 0.5 on BGR. */
export const RECOGNITION_NORMALISATION: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], channels: [2, 1, 0] };

/**
 * Crops `region` out of `image`, resizes it bilinearly to outWidth×outHeight (into a
 * tensor `tensorWidth` wide, zero-padded on the right) and normalises it, as CHW.
 */
export function cropResizeNormalise(
  image: PixelImage,
  region: TextBox,
  outWidth: number,
  outHeight: number,
  norm: Normalisation,
  tensorWidth = outWidth,
): Float32Array {
  const out = new Float32Array(3 * outHeight * tensorWidth);
  const plane = outHeight * tensorWidth;
  const sx = region.width / outWidth;
  const sy = region.height / outHeight;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  for (let c = 0; c < 3; c++) {
    const pad = (0 - norm.mean[c]!) / norm.std[c]!; // zero pixels, normalised
    out.fill(pad, c * plane, (c + 1) * plane);
  }
  for (let oy = 0; oy < outHeight; oy++) {
    const fy = Math.min(maxY, Math.max(0, region.y + (oy + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(maxY, y0 + 1);
    const wy = fy - y0;
    for (let ox = 0; ox < outWidth; ox++) {
      const fx = Math.min(maxX, Math.max(0, region.x + (ox + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(maxX, x0 + 1);
      const wx = fx - x0;
      const i00 = (y0 * image.width + x0) * 4;
      const i01 = (y0 * image.width + x1) * 4;
      const i10 = (y1 * image.width + x0) * 4;
      const i11 = (y1 * image.width + x1) * 4;
      for (let c = 0; c < 3; c++) {
        const ch = norm.channels[c]!;
        const d = image.data;
        const top = d[i00 + ch]! * (1 - wx) + d[i01 + ch]! * wx;
        const bottom = d[i10 + ch]! * (1 - wx) + d[i11 + ch]! * wx;
        const value = top * (1 - wy) + bottom * wy;
        out[c * plane + oy * tensorWidth + ox] = (value / 255 - norm.mean[c]!) / norm.std[c]!;
      }
    }
  }
  return out;
}

/** The detector's input size: the image scaled so its longest side is ≤ maxSide, both sides multiples of 32. */
export function detectionSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  const round32 = (v: number) => Math.max(32, Math.round((v * scale) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}
