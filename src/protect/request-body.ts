// Reads the page's chat request without stalling it. A request body carrying a 40 MB image
// is a ~55 MB JSON string: re-encoding it to bytes took 1 s on the page's main thread, and
// JSON.parse over it another 0.3 s. Here a string body is read as it is (and sent as the
// app made it), other bodies are decoded a slice at a time, and large base64 data: URL
// values are cut out before JSON.parse and put back after as slices of the text (no copy).
import { slicer } from '../concurrency/yield-to-page.ts';

/** Values at least this long are cut out of the text before it is parsed. */
export const LARGE_VALUE_CHARS = 1 << 16;
/** Bytes decoded per slice (~1 ms). */
const DECODE_SLICE_BYTES = 1 << 20;

/** UTF-8 bytes as text, decoded a slice at a time (yielding to the page between slices). */
export async function decodeSliced(bytes: Uint8Array): Promise<string> {
  const decoder = new TextDecoder();
  const parts: string[] = [];
  const breathe = slicer();
  for (let at = 0; at < bytes.length; at += DECODE_SLICE_BYTES) {
    parts.push(decoder.decode(bytes.subarray(at, at + DECODE_SLICE_BYTES), { stream: true }));
    await breathe();
  }
  parts.push(decoder.decode());
  return parts.join('');
}

/**
 * The text of a request body, or null for a body that is no text (FormData). `resend` is
 * set when reading used the body up (a stream): the request then goes out with those bytes.
 */
export async function bodyText(body: BodyInit | null | undefined): Promise<{ text: string | null; resend?: Uint8Array<ArrayBuffer> }> {
  if (body === null || body === undefined || body instanceof FormData) return { text: null };
  if (typeof body === 'string') return { text: body };
  if (body instanceof URLSearchParams) return { text: body.toString() };
  if (body instanceof ArrayBuffer) return { text: await decodeSliced(new Uint8Array(body)) };
  if (ArrayBuffer.isView(body)) return { text: await decodeSliced(new Uint8Array(body.buffer, body.byteOffset, body.byteLength)) };
  // The browser decodes a Blob's text off the page's thread (44 MB: no task over 50 ms).
  if (body instanceof Blob) return { text: await body.text() };
  const bytes = new Uint8Array(await new Response(body).arrayBuffer());
  return { text: await decodeSliced(bytes), resend: bytes };
}

/** Whether the quote at `at` is escaped (an odd run of backslashes before it). */
function escaped(text: string, at: number): boolean {
  let run = 0;
  while (at - run - 1 >= 0 && text.charCodeAt(at - run - 1) === 92) run++;
  return run % 2 === 1;
}

/** Whether the string that closed just before `at` is an object's key (a `:` follows, after any JSON space). */
function isKey(text: string, at: number): boolean {
  while (at < text.length && ' \t\n\r'.includes(text[at]!)) at++;
  return text[at] === ':';
}

/**
 * JSON.parse, with every string value (not key) that starts `data:`, has no escapes and is at least
 * `largeChars` long parsed as a slice of `text` instead. An unescaped `"` followed by
 * `data:` can only open a string (a closing quote is followed by `,` `:` `]` `}` or space),
 * and with no backslash in it the next `"` closes it; the rest is parsed by JSON.parse.
 * (A cut value is not checked for raw control characters, which JSON.parse would refuse:
 * such a body is one the server refuses too.)
 */
export function parseJsonSparing(text: string, largeChars = LARGE_VALUE_CHARS): unknown {
  const cuts: [number, number][] = [];
  let from = 0;
  for (;;) {
    const start = text.indexOf('"data:', from);
    if (start < 0) break;
    const end = text.indexOf('"', start + 1);
    if (end < 0) break;
    from = end + 1;
    const backslash = text.indexOf('\\', start + 1);
    if (end - start - 1 < largeChars || (backslash >= 0 && backslash < end) || escaped(text, start) || isKey(text, end + 1)) {
      from = start + 1;
      continue;
    }
    cuts.push([start + 1, end]);
  }
  if (cuts.length === 0) return JSON.parse(text);
  const marker = `vlm-guard-cut-${crypto.randomUUID()}-`;
  const skeleton: string[] = [];
  let at = 0;
  cuts.forEach(([start, end], i) => {
    skeleton.push(text.slice(at, start), `${marker}${i}`);
    at = end;
  });
  skeleton.push(text.slice(at));
  return JSON.parse(skeleton.join(''), (_key, value: unknown) => {
    if (typeof value !== 'string' || !value.startsWith(marker)) return value;
    const [start, end] = cuts[Number(value.slice(marker.length))]!;
    return text.slice(start, end);
  });
}
