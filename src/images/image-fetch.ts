// Image URLs are fetched once, at the guard's door, under the host's rules: only the
// origins it allows (default: the page's own, data: and blob:), within a time limit,
// and stopped by the call's signal. Everything after works on the bytes fetched, so the
// image that is judged is the image that is sent.
import { GuardError, abortedError } from '../errors.ts';
import { dataUrlBlob } from './data-url.ts';
import type { ImageInput, ImageSource } from './image-input.ts';

export interface ImageFetchPolicy {
  /** Origins (e.g. `https://cdn.example`) the guard may fetch images from, besides the page's own. */
  allowedOrigins: readonly string[];
  /** The page's origin. */
  pageOrigin: string;
  timeoutMs: number;
}

/** How long an image URL may take to arrive (the guard's `timeouts.imageFetchMs` default). */
export const IMAGE_FETCH_TIMEOUT_MS = 30_000;

/** The rules for an image URL given straight to a generator or decoder, outside a guard: the page's own origin only. */
export function pageOnlyPolicy(): ImageFetchPolicy {
  return { allowedOrigins: [], pageOrigin: new URL(globalThis.document?.baseURI ?? globalThis.location.href).origin, timeoutMs: IMAGE_FETCH_TIMEOUT_MS };
}

/** The origin of a URL, or the scheme for data:/blob: (always allowed: the page made them). */
function allowed(url: URL, policy: ImageFetchPolicy): boolean {
  if (url.protocol === 'data:' || url.protocol === 'blob:') return true;
  return url.origin === policy.pageOrigin || policy.allowedOrigins.some((o) => new URL(o).origin === url.origin);
}

/**
 * The file an `<img>` shows, when it is a blob: or data: URL (bytes that cannot change
 * after the element loaded them): read as a file, it is decoded in a worker like any
 * Blob. An element's own pixels are decoded on the page's thread (~0.7 s for 12000² px).
 * Other elements (http URLs may answer differently twice) stay elements.
 */
async function elementFile(img: HTMLImageElement, signal?: AbortSignal): Promise<Blob | null> {
  const src = img.currentSrc || img.src;
  if (!/^(blob|data):/i.test(src)) return null;
  try {
    const blob = await (await fetch(src, signal ? { signal } : {})).blob();
    return blob.size > 0 ? blob : null;
  } catch {
    if (signal?.aborted) throw abortedError('Reading the image');
    return null; // a revoked blob: URL: the element still has its pixels
  }
}

/** The image with a URL replaced by its fetched bytes (a Blob), an `<img>` of a blob:/data: URL by its file; other forms as they are. */
export async function fetchImage(input: ImageInput, policy: ImageFetchPolicy, signal?: AbortSignal): Promise<ImageSource> {
  if (typeof HTMLImageElement !== 'undefined' && input instanceof HTMLImageElement) return (await elementFile(input, signal)) ?? input;
  if (typeof input !== 'string' && !(input instanceof URL)) return input;
  // A base64 data: URL (what chat requests carry) is read here, in slices, not fetched (see data-url.ts).
  if (typeof input === 'string' && /^data:/i.test(input)) {
    const blob = await dataUrlBlob(input, signal).catch((error: unknown) => {
      if (signal?.aborted) throw abortedError('Reading the image');
      throw error;
    });
    if (blob && blob.size > 0) return blob;
  }
  let url: URL;
  try {
    url = new URL(String(input), policy.pageOrigin);
  } catch {
    throw new GuardError('INPUT_INVALID', `The image URL "${String(input).slice(0, 80)}" is not a URL.`);
  }
  if (!allowed(url, policy)) {
    throw new GuardError('INPUT_INVALID', `The guard does not fetch images from ${url.origin}: add it to allowImageOrigins, or pass the image as a Blob.`, { url: url.href });
  }
  const limit = AbortSignal.timeout(policy.timeoutMs);
  const stop = signal ? AbortSignal.any([signal, limit]) : limit;
  try {
    // No redirect is followed: a page cannot see where one leads until the request has gone
    // there, so following any could reach an origin the host did not allow.
    const response = await fetch(url, { signal: stop, credentials: 'same-origin', redirect: 'manual' });
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      throw new GuardError('INPUT_INVALID', `The image at ${url.href} redirects elsewhere; the guard follows no redirect (it cannot see where one leads before following it). Pass the final URL, or the image as a Blob.`, { url: url.href });
    }
    if (!response.ok) throw new GuardError('IMAGE_UNDECODABLE', `Could not fetch the image at ${url.href}: HTTP ${response.status}.`, { url: url.href });
    const blob = await response.blob();
    if (blob.size === 0) throw new GuardError('IMAGE_UNDECODABLE', `The image at ${url.href} is empty (0 bytes).`, { url: url.href });
    return blob;
  } catch (error) {
    if (signal?.aborted) throw abortedError('Fetching the image');
    if (limit.aborted) throw new GuardError('TIMEOUT', `The image at ${url.href} did not arrive within ${policy.timeoutMs} ms.`, { url: url.href });
    if (error instanceof GuardError) throw error;
    throw new GuardError('IMAGE_UNDECODABLE', `Could not fetch the image at ${url.href}: ${String(error)}`, { url: url.href }, { cause: error });
  }
}
