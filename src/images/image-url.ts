// The image as an `image_url` for a chat request: a data URL of the encoded bytes
// (or, for pixel sources, a PNG made on a canvas); http(s)/data URL strings pass through.
import { GuardError } from '../errors.ts';
import { type ImageInput, decodeImage } from './image-input.ts';

/**
 * A data URL of the Blob's bytes, encoded by the browser (FileReader: native, not a loop
 * in page JavaScript); where there is no FileReader (node), in chunks with btoa.
 */
async function blobToDataUrl(blob: Blob): Promise<string> {
  if (typeof FileReader === 'undefined') {
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    const CHUNK = 0x8000; // String.fromCharCode's argument limit
    for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
    return `data:${blob.type || 'application/octet-stream'};base64,${btoa(binary)}`;
  }
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(new GuardError('IMAGE_UNDECODABLE', `The image could not be read: ${reader.error?.message ?? 'unknown error'}`));
    reader.readAsDataURL(blob);
  });
}

/**
 * One encoding per Blob: a call sends the same image in several requests (vanilla,
 * alignment, risk list). Only Blobs are remembered: they never change, a canvas may.
 */
const encoded = new WeakMap<Blob, Promise<string>>();

export function imageToUrl(image: ImageInput): Promise<string> {
  if (!(image instanceof Blob)) return encode(image);
  let url = encoded.get(image);
  if (!url) {
    url = encode(image);
    encoded.set(image, url);
    url.catch(() => encoded.delete(image));
  }
  return url;
}

async function encode(image: ImageInput): Promise<string> {
  if (typeof image === 'string' || image instanceof URL) {
    const url = String(image);
    if (/^(https?:|data:image\/)/.test(url)) return url;
    throw new GuardError('INPUT_INVALID', `An image URL for a remote VLM must be http(s) or a data:image URL, got "${url.slice(0, 40)}".`);
  }
  if (image instanceof Blob) {
    if (!image.type.startsWith('image/')) throw new GuardError('IMAGE_UNDECODABLE', `The image Blob has type "${image.type || 'none'}", not image/*.`);
    return blobToDataUrl(image);
  }
  const pixels = await decodeImage(image);
  const canvas = new OffscreenCanvas(pixels.width, pixels.height);
  canvas.getContext('2d')!.putImageData(new ImageData(pixels.data, pixels.width, pixels.height), 0, 0);
  return blobToDataUrl(await canvas.convertToBlob({ type: 'image/png' }));
}
