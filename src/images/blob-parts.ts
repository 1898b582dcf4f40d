// A Blob made of many byte arrays without one long copy: new Blob([...arrays]) copies every
// byte in one task (56 MB: 160–210 ms on the page's main thread in Chromium). A Blob per
// few MB, then one Blob of those Blobs (which refers to them, no copy), keeps each copy short.
import { slicer } from '../concurrency/yield-to-page.ts';

/** Bytes copied into one Blob at a time (~10 ms). */
const GROUP_BYTES = 4 << 20;

export class BlobParts {
  readonly #blobs: Blob[] = [];
  #pending: Uint8Array<ArrayBuffer>[] = [];
  #pendingBytes = 0;

  push(bytes: Uint8Array<ArrayBuffer>): void {
    this.#pending.push(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes >= GROUP_BYTES) this.#group();
  }

  /** Everything pushed, as one Blob of `type`. */
  blob(type: string): Blob {
    this.#group();
    return new Blob(this.#blobs, { type });
  }

  #group(): void {
    if (this.#pending.length) this.#blobs.push(new Blob(this.#pending));
    this.#pending = [];
    this.#pendingBytes = 0;
  }
}

/** A copy of `bytes` as a Blob, a group at a time (yielding to the page between groups). */
export async function bytesBlob(bytes: Uint8Array<ArrayBuffer>, type = ''): Promise<Blob> {
  const parts = new BlobParts();
  const breathe = slicer();
  for (let at = 0; at < bytes.length; at += GROUP_BYTES) {
    parts.push(bytes.subarray(at, at + GROUP_BYTES));
    await breathe();
  }
  return parts.blob(type);
}
