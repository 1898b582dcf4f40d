// Fetch protection's reading of the page's request: any body type to text, and JSON parsed
// with large data: URL values taken as slices of the text — always the value JSON.parse gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bodyText, decodeSliced, parseJsonSparing } from '../src/protect/request-body.ts';

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

describe('parseJsonSparing', () => {
  it('gives what JSON.parse gives, for any JSON, any spacing, any cut threshold', () => {
    fc.assert(
      fc.property(json, fc.constantFrom(undefined, 2, '\t'), fc.integer({ min: 0, max: 40 }), (value, space, large) => {
        const text = JSON.stringify(value, null, space);
        expect(parseJsonSparing(text, large)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('refuses what JSON.parse refuses', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 8 }), (text, large) => {
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expect(() => parseJsonSparing(text, large)).toThrow();
          return;
        }
        expect(parseJsonSparing(text, large)).toEqual(expected);
      }),
    );
  });

  it('takes a large image URL as a slice of the text (no JSON.parse over it)', () => {
    const url = `data:image/png;base64,${'QUJD'.repeat(50_000)}`;
    const text = JSON.stringify({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url } }, { type: 'text', text: 'say "data:x"' }] }] });
    const parsed = parseJsonSparing(text) as { messages: { content: { image_url?: { url: string }; text?: string }[] }[] };
    expect(parsed.messages[0]!.content[0]!.image_url!.url).toBe(url);
    expect(parsed.messages[0]!.content[1]!.text).toBe('say "data:x"');
  });
});

describe('bodyText', () => {
  it('reads every body type a chat call uses as the same text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), async (text) => {
        const bytes = new TextEncoder().encode(text);
        expect((await bodyText(text)).text).toBe(text);
        expect((await bodyText(bytes)).text).toBe(text);
        expect((await bodyText(bytes.buffer)).text).toBe(text);
        expect((await bodyText(new Blob([bytes]))).text).toBe(text);
        const streamed = await bodyText(new Blob([bytes]).stream());
        expect(streamed.text).toBe(text);
        expect(streamed.resend).toEqual(bytes); // a stream is used up: its bytes go out instead
      }),
      { numRuns: 30 },
    );
    expect(await bodyText(null)).toEqual({ text: null });
    expect(await bodyText(new FormData())).toEqual({ text: null });
  });

  it('decodes UTF-8 split anywhere across slices', async () => {
    const text = 'é🙂'.repeat(300_000); // multi-byte characters across the 1 MiB slice edges
    expect(await decodeSliced(new TextEncoder().encode(text))).toBe(text);
  });
});
