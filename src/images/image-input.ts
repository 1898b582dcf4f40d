// Turns every image form a page has into what a model worker takes (an encoded file as
// it is, other forms as RGBA pixels read here), plus content keys for the cache.
import { sha256 } from '@noble/hashes/sha2.js';
import { imageSize } from 'image-size';
import * as Comlink from 'comlink';
import { slicer } from '../concurrency/yield-to-page.ts';
import { GuardError } from '../errors.ts';
import { fetchImage, pageOnlyPolicy } from './image-fetch.ts';

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
  /** The size before decoding scaled it down (MAX_DECODED_SIDE), so positions can be mapped back. */
  scaledFrom?: { width: number; height: number };
}

function undecodable(message: string, cause?: unknown): GuardError {
  return new GuardError('IMAGE_UNDECODABLE', message, {}, { cause });
}

/** Whether a value is one of the image forms the guard takes (checked before any work starts). */
export function isImageInput(value: unknown): value is ImageInput {
  if (typeof value === 'string' || value instanceof URL || value instanceof Blob) return true;
  const classes = ['ImageBitmap', 'ImageData', 'HTMLImageElement', 'HTMLCanvasElement', 'OffscreenCanvas', 'SVGImageElement', 'HTMLVideoElement'] as const;
  return classes.some((name) => {
    const cls = (globalThis as Record<string, unknown>)[name];
    return typeof cls === 'function' && value instanceof (cls as new () => unknown);
  });
}

const IMAGE_FORMS = 'a Blob, ImageBitmap, ImageData, <img>/<canvas>/<video>, OffscreenCanvas or URL';
const describeValue = (value: unknown) => (value === null ? 'null' : typeof value === 'object' ? `a ${(value as object).constructor?.name ?? 'plain'} object` : typeof value);

/** INPUT_INVALID, naming the call and what it got, for an argument that is no image form. */
export function checkImageArgument(where: string, image: unknown): void {
  if (!isImageInput(image)) throw new GuardError('INPUT_INVALID', `${where}: image must be ${IMAGE_FORMS}, got ${describeValue(image)}.`);
}

/** One image, or several: every image the answer may refer to (each is judged). */
export type ImageInputs = ImageInput | readonly ImageInput[];

/** The images of a call as a list (one image is a list of one). */
export function imageList<T>(images: T | readonly T[]): T[] {
  return Array.isArray(images) ? [...(images as readonly T[])] : [images as T];
}

/** Per text, its highest score over the images: a text is as close to several images as to the closest one. */
export async function closestOverImages(images: ImageInputs, texts: string[], score: (image: ImageInput, texts: string[]) => Promise<number[]>): Promise<number[]> {
  const rows = await Promise.all(imageList(images).map((image) => score(image, texts)));
  return texts.map((_, i) => Math.max(...rows.map((row) => row[i]!)));
}

/** INPUT_INVALID unless `images` is an image form or a non-empty list of at most `max` of them. */
export function checkImagesArgument(where: string, images: unknown, max: number): void {
  if (!Array.isArray(images)) return checkImageArgument(where, images);
  if (images.length === 0) throw new GuardError('INPUT_INVALID', `${where}: image is an empty list; give one image or several.`);
  if (images.length > max) throw new GuardError('INPUT_INVALID', `${where}: ${images.length} images is more than maxImages (${max}).`);
  images.forEach((image, i) => checkImageArgument(`${where} image[${i}]`, image));
}

/** An input whose bytes or pixels are at hand: URLs are fetched into Blobs. */
export type ImageSource = Exclude<ImageInput, string | URL>;

/**
 * The input's bytes or pixels. The guard fetches URLs at its door (image-fetch.ts, the
 * host's rules); a URL that reaches here — a generator or decoder used on its own — is
 * fetched by the same code under the page-only rules.
 */
export async function resolveImageSource(input: ImageInput): Promise<ImageSource> {
  const source = typeof input === 'string' || input instanceof URL ? await fetchImage(input, pageOnlyPolicy()) : input;
  if (source instanceof Blob && source.size === 0) throw undecodable('The image is empty (0 bytes).');
  return source;
}

async function toBitmapSource(input: ImageSource): Promise<ImageBitmapSource> {
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

/**
 * Larger images are scaled down (aspect kept) before their pixels are read: CLIP sees
 * 224 px and OCR at most 960, while a 12000² image would be 576 MB of RGBA copied on
 * the page's thread. The scaling runs in createImageBitmap, off the main thread.
 */
export const MAX_DECODED_SIDE = 2048;

/**
 * Beyond this ratio of long to short side an image cannot be read faithfully: CLIP's
 * 224-px square and OCR's resize would see a sliver or a smear (a 2048×4 image scored
 * as an all-black one). Such an image is IMAGE_UNDECODABLE — `unknown` for the policy.
 */
export const MAX_ASPECT_RATIO = 20;

function checkShape(width: number, height: number): void {
  if (width === 0 || height === 0) throw undecodable('The image has no pixels (0×0).');
  const ratio = Math.max(width, height) / Math.min(width, height);
  if (ratio > MAX_ASPECT_RATIO) {
    throw undecodable(`The image is ${width}×${height} (aspect ratio ${ratio.toFixed(0)}:1, over ${MAX_ASPECT_RATIO}:1): it cannot be read faithfully, so it is not judged as if it were.`);
  }
}

/** The pixel size of a source before decoding, where it is known without decoding (a file's header, an element's natural size). */
async function sourceSize(source: ImageBitmapSource): Promise<{ width: number; height: number } | null> {
  if (source instanceof Blob) return headerSize(source);
  if (typeof HTMLImageElement !== 'undefined' && source instanceof HTMLImageElement) return { width: source.naturalWidth, height: source.naturalHeight };
  if (typeof HTMLVideoElement !== 'undefined' && source instanceof HTMLVideoElement) return { width: source.videoWidth, height: source.videoHeight };
  const sized = source as { width?: unknown; height?: unknown };
  return typeof sized.width === 'number' && typeof sized.height === 'number' ? { width: sized.width, height: sized.height } : null;
}

/** A file's pixel size from its header (PNG, JPEG, GIF, WebP, …), upright; null when unknown. */
async function headerSize(blob: Blob): Promise<{ width: number; height: number } | null> {
  try {
    // JPEG size markers may follow long EXIF segments: 256 KiB covers them in practice.
    const size = imageSize(new Uint8Array(await blob.slice(0, 256 * 1024).arrayBuffer()));
    const turned = size.orientation !== undefined && size.orientation >= 5;
    return turned ? { width: size.height, height: size.width } : { width: size.width, height: size.height };
  } catch {
    return null;
  }
}

const PNG_SIGNATURE = [137, 80, 78, 71, 13, 10, 26, 10];

/**
 * A PNG ends with its IEND chunk; a file without one was cut short (an interrupted upload)
 * and browsers decode it partly blank, which the checks would then score as if whole.
 * (JPEG has no such test: valid photos may carry megabytes after their end marker.)
 */
async function isTruncatedPng(blob: Blob): Promise<boolean> {
  const head = new Uint8Array(await blob.slice(0, PNG_SIGNATURE.length).arrayBuffer());
  if (!PNG_SIGNATURE.every((byte, i) => head[i] === byte)) return false;
  const tail = new TextDecoder('latin1').decode(await blob.slice(-1024).arrayBuffer());
  return !tail.includes('IEND');
}

const scaledTo = (width: number, height: number) => {
  const scale = MAX_DECODED_SIDE / Math.max(width, height);
  return scale >= 1 ? null : { resizeWidth: Math.max(1, Math.round(width * scale)), resizeHeight: Math.max(1, Math.round(height * scale)), resizeQuality: 'high' as const };
};

/**
 * What a model worker takes as an image: decoded pixels, or an encoded file it decodes
 * itself — decoding a large file on the page's thread stalls it (0.1–0.5 s for 12000² px).
 */
export type WorkerImage = PixelImage | Blob;

/** Pixels as they are, or an encoded file decoded here (in a worker: off the page's thread). */
export async function pixelsFrom(image: WorkerImage): Promise<PixelImage> {
  return image instanceof Blob ? decodeImage(image) : image;
}

/**
 * Decodes any supported input to RGBA pixels (EXIF orientation applied), at most
 * MAX_DECODED_SIDE a side. Whatever goes wrong — a tainted canvas, a fake Blob, a closed
 * bitmap — is IMAGE_UNDECODABLE, never a raw browser error.
 */
export async function decodeImage(input: ImageInput): Promise<PixelImage> {
  try {
    return await decode(input);
  } catch (error) {
    if (error instanceof GuardError) throw error;
    throw undecodable(`The image could not be read: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`, error);
  }
}

async function decode(input: ImageInput): Promise<PixelImage> {
  const resolved = await resolveImageSource(input);
  const isImageData = typeof ImageData !== 'undefined' && resolved instanceof ImageData;
  if (isImageData) checkShape(resolved.width, resolved.height);
  if (isImageData && Math.max(resolved.width, resolved.height) <= MAX_DECODED_SIDE) {
    // The caller's pixels, not a copy: they are only read, and forAttempt copies before a transfer.
    return { width: resolved.width, height: resolved.height, data: resolved.data };
  }
  if (resolved instanceof Blob && (await isTruncatedPng(resolved))) {
    throw undecodable(`The PNG file is cut short (${resolved.size} bytes, no IEND chunk at its end): it would decode partly blank.`);
  }
  const source = await toBitmapSource(resolved);
  // A large file or element is decoded straight at the smaller size (off the main thread)
  // when its size is known; a full-size decode first would hold hundreds of MB.
  const known = await sourceSize(source);
  if (known) checkShape(known.width, known.height);
  const early = known ? scaledTo(known.width, known.height) : null;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(source, { imageOrientation: 'from-image', ...early });
  } catch (cause) {
    const what = source instanceof Blob ? `${source.type || 'unknown type'}, ${source.size} bytes` : 'element';
    throw undecodable(`The image could not be decoded (${what}): ${cause instanceof Error ? cause.message : String(cause)}`, cause);
  }
  try {
    checkShape(bitmap.width, bitmap.height);
    const late = scaledTo(bitmap.width, bitmap.height);
    const scaledFrom = early && known ? known : late ? { width: bitmap.width, height: bitmap.height } : undefined;
    if (late) {
      const full = bitmap;
      bitmap = await createImageBitmap(full, late).finally(() => full.close());
    }
    return { ...pixelsOf(bitmap, bitmap.width, bitmap.height), ...(scaledFrom ? { scaledFrom } : {}) };
  } finally {
    bitmap.close();
  }
}

/**
 * A copy of the pixels whose buffer moves to the worker without a clone. A copy, so a
 * call retried on a restarted worker still has its pixels (the first buffer went to the dead one).
 */
export function transferablePixels(image: PixelImage): PixelImage {
  const copy = { ...image, data: image.data.slice() };
  return Comlink.transfer(copy, [copy.data.buffer]);
}

/**
 * An input ready for a worker: an encoded file goes as it is and is decoded there, off
 * the page's thread; elements, bitmaps and canvases are read here (only the page can).
 */
export async function toWorkerImage(input: ImageInput): Promise<WorkerImage> {
  const source = await resolveImageSource(input);
  return source instanceof Blob ? source : decodeImage(source);
}

/** What one attempt sends: a Blob as it is (its bytes are shared, not copied), pixels as a transferred copy. */
export function forAttempt(image: WorkerImage): WorkerImage {
  return image instanceof Blob ? image : transferablePixels(image);
}

const hex = (digest: ArrayBuffer | Uint8Array) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');

/** Bytes hashed per slice on the page (~5 ms). */
const HASH_SLICE_BYTES = 1 << 20;

/**
 * SHA-256 of some bytes, as lowercase hex. crypto.subtle hashes on the page's own thread
 * in one task (158 ms for a 44 MB image in Chromium here), so more than a slice is hashed
 * a slice at a time, yielding to the page between slices.
 */
export async function sha256Hex(data: BufferSource): Promise<string> {
  const bytes = ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data);
  if (bytes.length <= HASH_SLICE_BYTES) return hex(await crypto.subtle.digest('SHA-256', bytes));
  const hash = sha256.create();
  const breathe = slicer();
  for (let at = 0; at < bytes.length; at += HASH_SLICE_BYTES) {
    hash.update(bytes.subarray(at, at + HASH_SLICE_BYTES));
    await breathe();
  }
  return hex(hash.digest());
}

/** Keys of Blobs already hashed: a Blob's bytes never change, so the same object needs one hash. */
const blobKeys = new WeakMap<Blob, string>();

/**
 * A content key without decoding, when the input is encoded bytes (Blob/File/URL):
 * a cache hit then costs one hash of the file, not a decode — and nothing for a Blob
 * seen before (the usual chat: several questions about one uploaded File).
 */
export async function encodedContentKey(source: ImageSource): Promise<string | null> {
  if (!(source instanceof Blob)) return null;
  const known = blobKeys.get(source);
  if (known) return known;
  const key = `bytes:${await sha256Hex(await source.arrayBuffer())}`;
  blobKeys.set(source, key);
  return key;
}

/** A content key of decoded pixels: equal pixels ⇒ equal key, whatever element or bitmap held them. */
export async function pixelContentKey(image: PixelImage): Promise<string> {
  return `pixels:${image.width}x${image.height}:${await sha256Hex(image.data)}`;
}
