// A base64 data: URL read into its bytes on the page, in slices. fetch(data:) would do it
// natively, but the browser hands the whole URL back across its IPC with the response and
// the page's main thread canonicalises it there: ~75 ms for a 0.5 MB photo, seconds for a
// 40 MB one. Here the payload is decoded a slice at a time (Uint8Array.fromBase64, else atob,
// on a run of whole base64 quads), yielding to the page between slices. Anything unusual (percent-encoding,
// whitespace) is left to fetch. The URL may also come as its UTF-8 bytes (a request body read as
// bytes): then no string of it is ever made.
import { slicer } from '../concurrency/yield-to-page.ts';
import { BlobParts } from './blob-parts.ts';

/** Base64 characters per slice: a multiple of 4 (whole quads), ~1 ms of atob and copying. */
const SLICE_CHARS = 1 << 18;
const HEADER = /^data:([^,;]*)((?:;[^,;]*)*);base64,/i;
type Base64Decoding = { fromBase64?: (text: string) => Uint8Array<ArrayBuffer> };

/** The bytes of a run of base64 quads; both decoders also skip whitespace, which the caller's length check catches. */
function decode(quads: string): Uint8Array<ArrayBuffer> {
  const native = (Uint8Array as unknown as Base64Decoding).fromBase64;
  if (typeof native === 'function') return native(quads);
  const binary = atob(quads);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

const utf8 = new TextDecoder();

/** A base64 data: URL's media type (lower case; text/plain when none) and where its base64 starts; null for other URLs. */
export function base64Header(url: string | Uint8Array): { mediaType: string; start: number } | null {
  const head = typeof url === 'string' ? url.slice(0, 256) : utf8.decode(url.subarray(0, 256));
  const header = HEADER.exec(head);
  // The header is ASCII, so its length in characters is its length in bytes.
  return header ? { mediaType: header[1]!.toLowerCase() || 'text/plain', start: header[0].length } : null;
}

/** The bytes of a base64 data: URL (a string, or its UTF-8 bytes) as a Blob of its type; null when the URL is not one this reads (fetch it instead). */
export async function dataUrlBlob(url: string | Uint8Array, signal?: AbortSignal): Promise<Blob | null> {
  const header = base64Header(url);
  if (!header) return null;
  const { start } = header;
  const length = url.length - start;
  const parts = new BlobParts();
  const breathe = slicer();
  for (let at = 0; at < length; at += SLICE_CHARS) {
    signal?.throwIfAborted();
    const end = start + Math.min(length, at + SLICE_CHARS);
    // Bytes that are not ASCII decode to characters no base64 decoder takes: the URL is then refused below.
    const chunk = typeof url === 'string' ? url.slice(start + at, end) : utf8.decode(url.subarray(start + at, end));
    if (chunk.length % 4 !== 0) return null;
    // Padding only at the very end: anything else (whitespace, percent-encoding, '=' inside) decodes short or throws.
    const last = at + SLICE_CHARS >= length;
    const padding = last ? (chunk.endsWith('==') ? 2 : chunk.endsWith('=') ? 1 : 0) : 0;
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = decode(chunk);
    } catch {
      return null;
    }
    if (bytes.length !== (chunk.length / 4) * 3 - padding) return null;
    parts.push(bytes);
    await breathe();
  }
  return parts.blob(header.mediaType);
}
