// Reads the page's chat request without stalling it. A request body carrying a 40 MB image
// is a ~55 MB JSON string or byte array: re-encoding a string to bytes took 1 s on the page's
// main thread, Blob.text() 200 ms in one task, and JSON.parse over the text another 0.3 s.
// Here a string body is read as it is (and sent as the app made it), a byte body (bytes, a
// Blob, a stream) stays bytes, and large base64 data: URL values are cut out before
// JSON.parse: from a string as slices of it (no copy), from bytes as views of them
// (DataUrlBytes) that no string is ever made of.
import { slicer } from '../concurrency/yield-to-page.ts';
import { bytesBlob } from '../images/blob-parts.ts';
import { base64Header, dataUrlBlob } from '../images/data-url.ts';
import type { ImageInput } from '../images/image-input.ts';
import { InlineImage, sendsAs } from '../images/image-url.ts';

/** Values at least this long (characters, or bytes of a byte body) are cut out before the body is parsed. */
export const LARGE_VALUE_CHARS = 1 << 16;
/** Bytes decoded or searched per slice (~1 ms). */
const SLICE_BYTES = 1 << 20;

/** UTF-8 bytes as text, decoded a slice at a time (yielding to the page between slices). */
export async function decodeSliced(bytes: Uint8Array): Promise<string> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const breathe = slicer();
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
    parts.push(decoder.decode(bytes.subarray(at, at + SLICE_BYTES), { stream: true }));
    await breathe();
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/** A large data: URL value of a body read as bytes: its UTF-8 bytes, a view into the body. */
export class DataUrlBytes {
  constructor(readonly bytes: Uint8Array<ArrayBuffer>) {}

  /** The value as a string (for a URL that is not plain base64 and is fetched instead). */
  text(): Promise<string> {
    return decodeSliced(this.bytes);
  }
}

/** A body as read: its text as the app gave it, its bytes, or null for a body that is no text (FormData). */
export type BodyContent = string | Uint8Array<ArrayBuffer> | null;

/**
 * The content of a request body. `resend` is set when reading used the body up (a stream):
 * the request then goes out with those bytes.
 */
export async function readBody(body: BodyInit | null | undefined): Promise<{ content: BodyContent; resend?: Uint8Array<ArrayBuffer> }> {
  if (body === null || body === undefined || body instanceof FormData) return { content: null };
  if (typeof body === 'string') return { content: body };
  if (body instanceof URLSearchParams) return { content: body.toString() };
  if (body instanceof ArrayBuffer) return { content: new Uint8Array(body) };
  if (ArrayBuffer.isView(body)) return { content: new Uint8Array(body.buffer as ArrayBuffer, body.byteOffset, body.byteLength) };
  // The browser reads a Blob's bytes off the page's thread.
  if (body instanceof Blob) return { content: new Uint8Array(await body.arrayBuffer()) };
  const bytes = new Uint8Array(await new Response(body).arrayBuffer());
  return { content: bytes, resend: bytes };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const DATA = [...'data:'].map((c) => c.charCodeAt(0));
const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/** The body's code units (characters of a string, bytes of UTF-8: the ASCII the scan looks for is the same in both). */
interface Units {
  length: number;
  at(i: number): number;
  /** Where `unit` first occurs in [from, to), or -1. */
  find(unit: number, from: number, to?: number): Promise<number>;
}

function stringUnits(text: string): Units {
  return {
    length: text.length,
    at: (i) => text.charCodeAt(i),
    // One native scan: ~1.5 ms over 55 MB.
    find: async (unit, from, to = text.length) => {
      const i = text.indexOf(String.fromCharCode(unit), from);
      return i >= 0 && i < to ? i : -1;
    },
  };
}

function byteUnits(bytes: Uint8Array): Units {
  return {
    length: bytes.length,
    at: (i) => bytes[i]!,
    // ~15 ms over 55 MB: searched a slice at a time, yielding between.
    find: async (unit, from, to = bytes.length) => {
      const breathe = slicer();
      for (let at = from; at < to; at += SLICE_BYTES) {
        const i = bytes.subarray(at, Math.min(to, at + SLICE_BYTES)).indexOf(unit);
        if (i >= 0) return at + i;
        await breathe();
      }
      return -1;
    },
  };
}

/** Whether the unit at `at` is escaped (an odd run of backslashes before it). */
function escaped(units: Units, at: number): boolean {
  let run = 0;
  while (at - run - 1 >= 0 && units.at(at - run - 1) === BACKSLASH) run++;
  return run % 2 === 1;
}

/** Whether the string that closed just before `at` is an object's key (a `:` follows, after any JSON space). */
function isKey(units: Units, at: number): boolean {
  while (at < units.length && JSON_SPACE.has(units.at(at))) at++;
  return units.at(at) === COLON;
}

const opensData = (units: Units, quote: number) => DATA.every((unit, i) => units.at(quote + 1 + i) === unit);

/**
 * Where the values to cut are: every string value (not key) that starts `data:`, has no
 * escapes and is at least `large` units long. An unescaped `"` followed by `data:` can only
 * open a string (a closing quote is followed by `,` `:` `]` `}` or space), and with no
 * backslash in it the next `"` closes it. Each cut is [first unit, closing quote).
 */
async function cutsOf(units: Units, large: number): Promise<[number, number][]> {
  const cuts: [number, number][] = [];
  let from = 0;
  for (;;) {
    const start = await units.find(QUOTE, from);
    if (start < 0) break;
    from = start + 1;
    if (!opensData(units, start) || escaped(units, start)) continue;
    const end = await units.find(QUOTE, start + 1);
    if (end < 0) break;
    if (end - start - 1 < large || isKey(units, end + 1) || (await units.find(BACKSLASH, start + 1, end)) >= 0) continue;
    cuts.push([start + 1, end]);
    from = end + 1;
  }
  return cuts;
}

/**
 * JSON.parse of a body's content, with every large data: string value (see cutsOf) parsed
 * apart: from a string as a slice of it, from bytes as a DataUrlBytes. The rest is parsed by
 * JSON.parse. (A cut value is not checked for raw control characters, which JSON.parse would
 * refuse: such a body is one the server refuses too.)
 */
export async function parseJsonSparing(content: string | Uint8Array<ArrayBuffer>, large = LARGE_VALUE_CHARS): Promise<unknown> {
  const text = typeof content === 'string';
  const cuts = await cutsOf(text ? stringUnits(content) : byteUnits(content), large);
  if (cuts.length === 0) return JSON.parse(text ? content : await decodeSliced(content));
  const decoder = new TextDecoder();
  const piece = (from: number, to: number) => (text ? content.slice(from, to) : decoder.decode(content.subarray(from, to), { stream: true }));
  const marker = `vlm-guard-cut-${crypto.randomUUID()}-`;
  const skeleton: string[] = [];
  let at = 0;
  cuts.forEach(([start, end], i) => {
    skeleton.push(piece(at, start), `${marker}${i}`);
    at = end;
  });
  skeleton.push(piece(at, content.length), text ? '' : decoder.decode());
  return JSON.parse(skeleton.join(''), (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(marker)) return value;
    const [start, end] = cuts[Number(value.slice(marker.length))]!;
    return text ? content.slice(start, end) : new DataUrlBytes(content.subarray(start, end));
  });
}

/**
 * An image URL of the request as the guard takes it. A data: URL held as bytes becomes its
 * image (a Blob), which the alignment requests send on as the base64 it came as; one that is
 * not plain base64 becomes a string after all (fetched, like any such URL).
 */
export async function requestImage(url: string | DataUrlBytes, signal?: AbortSignal): Promise<ImageInput> {
  if (typeof url === 'string') return url;
  const header = base64Header(url.bytes);
  const image = header ? await dataUrlBlob(url.bytes, signal) : null;
  if (!header || !image) return url.text();
  sendsAs(image, new InlineImage(header.mediaType, await bytesBlob(url.bytes.subarray(header.start), 'text/plain')));
  return image;
}
