// A base64 data: URL read into its bytes on the page, in slices. fetch(data:) would do it
// natively, but the browser hands the whole URL back across its IPC with the response and
// the page's main thread canonicalises it there: ~75 ms for a 0.5 MB photo, seconds for a
// 40 MB one. Here the payload is decoded a slice at a time (atob on a run of whole base64
// quads), yielding to the page between slices. Anything unusual (percent-encoding,
// whitespace) is left to fetch.
import { slicer } from '../concurrency/yield-to-page.ts';

/** Base64 characters per slice: a multiple of 4 (whole quads), ~1 ms of atob and copying. */
const SLICE_CHARS = 1 << 18;
const HEADER = /^data:([^,;]*)((?:;[^,;]*)*);base64,/i;
const QUADS = /^[A-Za-z0-9+/]*={0,2}$/;

/** The bytes of a base64 data: URL as a Blob of its type; null when the URL is not one this reads (fetch it instead). */
export async function dataUrlBlob(url: string, signal?: AbortSignal): Promise<Blob | null> {
  const header = HEADER.exec(url.slice(0, 256));
  if (!header) return null;
  const start = header[0].length;
  const length = url.length - start;
  const parts: Uint8Array<ArrayBuffer>[] = [];
  const breathe = slicer();
  for (let at = 0; at < length; at += SLICE_CHARS) {
    signal?.throwIfAborted();
    const chunk = url.slice(start + at, start + Math.min(length, at + SLICE_CHARS));
    // Padding only at the very end; a slice of anything else is not plain base64.
    if (!QUADS.test(chunk) || (chunk.includes('=') && at + SLICE_CHARS < length) || chunk.length % 4 !== 0) return null;
    const binary = atob(chunk);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    parts.push(bytes);
    await breathe();
  }
  return new Blob(parts, { type: header[1]!.toLowerCase() || 'text/plain' });
}
