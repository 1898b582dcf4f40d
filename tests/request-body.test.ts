// Fetch protection's reading of the page's request: any body type as its text or bytes, and
// JSON parsed with large data: URL values taken as slices of the text or views of the bytes —
// always the value JSON.parse gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InlineImage, imageToUrl } from '../src/images/image-url.ts';
import { DataUrlBytes, decodeSliced, parseJsonSparing, readBody, requestImage } from '../src/protect/request-body.ts';

/** Strings that look like what a cut must get right: data: URLs, quotes, backslashes, escapes. */
const tricky = fc.oneof(
  fc.string(),
  fc.string({ unit: fc.constantFrom('A', 'b', '+', '/', '=', '"', '\\', 'data:', ',', ' ', '\n', 'é') }),
  fc.base64String().map((b64) => `data:image/png;base64,${b64}`),
);
const json = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    tricky,
    fc.jsonValue({ maxDepth: 0 }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(tricky, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** The parsed value with every cut held as bytes read back as its text (what JSON.parse gives there). */
async function asText(value: unknown): Promise<unknown> {
  if (value instanceof DataUrlBytes) return value.text();
  if (Array.isArray(value)) return Promise.all(value.map(asText));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await asText(v)])));
}

/** parseJsonSparing over the text and over its UTF-8 bytes: each must be what JSON.parse gives, or throw where it throws. */
async function expectLikeJsonParse(text: string, large: number) {
  let expected: unknown;
  try {
    expected = JSON.parse(text);
  } catch {
    await expect(parseJsonSparing(text, large)).rejects.toThrow();
    await expect(parseJsonSparing(new TextEncoder().encode(text), large)).rejects.toThrow();
    return;
  }
  expect(await parseJsonSparing(text, large)).toEqual(expected);
  expect(await asText(await parseJsonSparing(new TextEncoder().encode(text), large))).toEqual(expected);
}

describe('parseJsonSparing', () => {
  it('gives what JSON.parse gives, for any JSON, any spacing, any cut threshold, as text or bytes', async () => {
    await fc.assert(
      fc.asyncProperty(json, fc.constantFrom(undefined, 2, '\t'), fc.integer({ min: 0, max: 40 }), (value, space, large) =>
        expectLikeJsonParse(JSON.stringify(value, null, space), large),
      ),
    );
  });

  it('refuses what JSON.parse refuses', async () => {
    await fc.assert(fc.asyncProperty(fc.string(), fc.integer({ min: 0, max: 8 }), (text, large) => expectLikeJsonParse(text, large)));
  });

  it('takes a large image URL as a slice of the text, or a view of the bytes (no JSON.parse over it)', async () => {
    const url = `data:image/png;base64,${'QUJD'.repeat(50_000)}`;
    const text = JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: 'say "data:x" é' }] }] });
    type Parsed = { messages: { content: { image_url?: { url: unknown }; text?: string }[] }[] };
    const parsed = (await parseJsonSparing(text)) as Parsed;
    expect(parsed.messages[0]!.content[0]!.image_url!.url).toBe(url);
    expect(parsed.messages[0]!.content[1]!.text).toBe('say "data:x" é');
    const bytes = new TextEncoder().encode(text);
    const fromBytes = (await parseJsonSparing(bytes)) as Parsed;
    const held = fromBytes.messages[0]!.content[0]!.image_url!.url;
    expect(held).toBeInstanceOf(DataUrlBytes);
    expect((held as DataUrlBytes).bytes.buffer).toBe(bytes.buffer); // a view, not a copy
    expect(await (held as DataUrlBytes).text()).toBe(url);
    expect(fromBytes.messages[0]!.content[1]!.text).toBe('say "data:x" é');
  });
});

describe('requestImage', () => {
  it('a data: URL held as bytes is its image, sent on as the base64 it came as (not encoded again)', async () => {
    const image = new Uint8Array(100_000).map((_, i) => (i * 31) % 256);
    const url = `data:image/png;base64,${Buffer.from(image).toString('base64')}`;
    const got = await requestImage(new DataUrlBytes(new TextEncoder().encode(url)));
    expect(got).toBeInstanceOf(Blob);
    expect((got as Blob).type).toBe('image/png');
    expect(new Uint8Array(await (got as Blob).arrayBuffer())).toEqual(image);
    const sent = await imageToUrl(got as Blob);
    expect(sent).toBeInstanceOf(InlineImage);
    expect(await (sent as InlineImage).dataUrl().text()).toBe(url);
  });

  it('a data: URL that is not plain base64 becomes its text (fetched like any URL)', async () => {
    const url = 'data:image/svg+xml,%3Csvg%3E';
    expect(await requestImage(new DataUrlBytes(new TextEncoder().encode(url)))).toBe(url);
    expect(await requestImage('data:image/png;base64,AAAA')).toBe('data:image/png;base64,AAAA');
  });
});

describe('readBody', () => {
  it('reads every body type a chat call uses: a string as it is, the rest as the same bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), async (text) => {
        const bytes = new TextEncoder().encode(text);
        expect((await readBody(text)).content).toBe(text);
        expect((await readBody(new URLSearchParams({ q: text }))).content).toBe(new URLSearchParams({ q: text }).toString());
        expect((await readBody(bytes)).content).toEqual(bytes);
        expect((await readBody(new DataView(bytes.buffer))).content).toEqual(bytes);
        expect((await readBody(bytes.buffer)).content).toEqual(bytes);
        expect((await readBody(new Blob([bytes]))).content).toEqual(bytes);
        const streamed = await readBody(new Blob([bytes]).stream());
        expect(streamed.content).toEqual(bytes);
        expect(streamed.resend).toEqual(bytes); // a stream is used up: its bytes go out instead
      }),
      { numRuns: 30 },
    );
    expect(await readBody(null)).toEqual({ content: null });
    expect(await readBody(new FormData())).toEqual({ content: null });
  });

  it('decodes UTF-8 split anywhere across slices', async () => {
    const text = 'é🙂'.repeat(300_000); // multi-byte characters across the 1 MiB slice edges
    expect(await decodeSliced(new TextEncoder().encode(text))).toBe(text);
  });
});
