// Turns every image form a page has into RGBA pixels the CLIP worker can take
// (the buffer is transferred, not copied), plus a content hash for the cache.
import { GuardError } from '../errors.ts';

export type ImageInput =
  | Blob
  | ImageBitmap
  | ImageData
  | HTMLImageElement
  | HTMLCanvasElement
  | OffscreenCanvas
  | SVGImageElement
  | HTMLVideoElement
  | URL
  | string;

/** RGBA, row-major, 8 bits per channel — the layout of ImageData. */
export interface PixelImage {
  width: number;
  height: number;
  data: Uint8ClampedArray<ArrayBuffer>;
}

function undecodable(message: string, cause?: unknown): GuardError {
  return new GuardError('IMAGE_UNDECODABLE', message, {}, { cause });
}

async function fetchImageBlob(url: string): Promise<Blob> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw undecodable(`Could not fetch the image at ${url}: ${String(cause)}`, cause);
  }
  if (!response.ok) throw undecodable(`Could not fetch the image at ${url}: HTTP ${response.status}.`);
  return response.blob();
}

async function toBitmapSource(input: ImageInput): Promise<ImageBitmapSource> {
  if (typeof input === 'string' || input instanceof URL) return fetchImageBlob(String(input));
  if (input instanceof Blob) {
    if (input.size === 0) throw undecodable('The image is empty (0 bytes).');
    return input;
  }
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) {
    try {
      await input.decode();
    } catch (cause) {
      throw undecodable(`The <img> element (${input.currentSrc || input.src || 'no src'}) could not be decoded.`, cause);
    }
  }
  return input;
}

function pixelsOf(source: CanvasImageSource, width: number, height: number): PixelImage {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw undecodable('No 2D canvas context is available to read the image pixels.');
  ctx.drawImage(source, 0, 0);
  const { data } = ctx.getImageData(0, 0, width, height, { colorSpace: 'srgb' });
  return { width, height, data };
}

/** Decodes any supported input to RGBA pixels (EXIF orientation applied). */
export async function decodeImage(input: ImageInput): Promise<PixelImage> {
  if (typeof ImageData !== 'undefined' && input instanceof ImageData) {
    return { width: input.width, height: input.height, data: new Uint8ClampedArray(input.data) };
  }
  const source = await toBitmapSource(input);
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source, { imageOrientation: 'from-image' });
  } catch (cause) {
    const what = source instanceof Blob ? `${source.type || 'unknown type'}, ${source.size} bytes` : 'element';
    throw undecodable(`The image could not be decoded (${what}): ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  try {
    if (bitmap.width === 0 || bitmap.height === 0) throw undecodable('The image has no pixels (0×0).');
    return pixelsOf(bitmap, bitmap.width, bitmap.height);
  } finally {
    bitmap.close();
  }
}

/** A content key: dimensions + SHA-256 of the RGBA bytes. Equal pixels ⇒ equal key, whatever the input form. */
export async function imageContentKey(image: PixelImage): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', image.data);
  const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${image.width}x${image.height}:${hex}`;
}
