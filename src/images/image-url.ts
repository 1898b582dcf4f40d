// The image as an `image_url` for a chat request: an encoded file's bytes go inline as
// base64 held in a Blob (never one big string on the page; see base64-blob.ts); pixel
// sources become a PNG made on a canvas; http(s)/data URL strings pass through.
import { GuardError } from '../errors.ts';
import { Base64Text, base64Blob } from './base64-blob.ts';
import { type ImageInput, decodeImage } from './image-input.ts';

/** An image sent inline: its media type and the base64 text of its bytes. */
export class InlineImage {
  constructor(
    readonly mediaType: string,
    readonly base64: Blob,
  ) {}

  /** As a `data:` URL (OpenAI's image_url). */
  dataUrl(): Base64Text {
    return new Base64Text(`data:${this.mediaType};base64,`, this.base64);
  }

  /** The bare base64 (llama.cpp's multimodal_data). */
  payload(): Base64Text {
    return new Base64Text('', this.base64);
  }
}

/** A URL string the server fetches or decodes itself, or an image sent inline. */
export type ImageUrl = string | InlineImage;

/** The base64 of a `data:…;base64,` URL string, or of an inline image; null for other URLs. */
export function imagePayload(url: ImageUrl): Base64Text | string | null {
  if (url instanceof InlineImage) return url.payload();
  const comma = url.indexOf(',');
  return url.startsWith('data:') && /;base64$/i.test(url.slice(0, comma)) ? url.slice(comma + 1) : null;
}

/** The URL as a JSON value of a request: a string, or base64 text held in a Blob. */
export function imageUrlValue(url: ImageUrl): Base64Text | string {
  return url instanceof InlineImage ? url.dataUrl() : url;
}

/**
 * One encoding per Blob: a call sends the same image in several requests (vanilla,
 * alignment, risk list). Only Blobs are remembered: they never change, a canvas may.
 */
const encoded = new WeakMap<Blob, Promise<ImageUrl>>();

/** Records that `blob` is sent as `image` (an image that came inline, e.g. in the app's request, is not encoded again). */
export function sendsAs(blob: Blob, image: InlineImage): void {
  encoded.set(blob, Promise.resolve(image));
}

export function imageToUrl(image: ImageInput): Promise<ImageUrl> {
  if (!(image instanceof Blob)) return encode(image);
  let url = encoded.get(image);
  if (!url) {
    url = encode(image);
    encoded.set(image, url);
    url.catch(() => encoded.delete(image));
  }
  return url;
}

async function inline(blob: Blob): Promise<InlineImage> {
  try {
    return new InlineImage(blob.type, await base64Blob(blob));
  } catch (error) {
    throw new GuardError('IMAGE_UNDECODABLE', `The image could not be read: ${error instanceof Error ? error.message : String(error)}`, {}, { cause: error });
  }
}

async function encode(image: ImageInput): Promise<ImageUrl> {
  if (typeof image === 'string' || image instanceof URL) {
    const url = String(image);
    if (/^(https?:|data:image\/)/.test(url)) return url;
    throw new GuardError('INPUT_INVALID', `An image URL for a remote VLM must be http(s) or a data:image URL, got "${url.slice(0, 40)}".`);
  }
  if (image instanceof Blob) {
    if (!image.type.startsWith('image/')) throw new GuardError('IMAGE_UNDECODABLE', `The image Blob has type "${image.type || 'none'}", not image/*.`);
    return inline(image);
  }
  const pixels = await decodeImage(image);
  const canvas = new OffscreenCanvas(pixels.width, pixels.height);
  canvas.getContext('2d')!.putImageData(new ImageData(pixels.data, pixels.width, pixels.height), 0, 0);
  return inline(await canvas.convertToBlob({ type: 'image/png' }));
}
