// Inline images: base64 made in slices into a Blob, and JSON bodies written around such Blobs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Base64Text, base64Blob } from '../src/images/base64-blob.ts';
import { jsonBody } from '../src/generators/remote/json-body.ts';

const base64Of = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

describe('base64Blob', () => {
  it('is the base64 of any bytes, whatever the slice size', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), fc.integer({ min: 1, max: 20 }), async (bytes, slices) => {
        const blob = await base64Blob(new Blob([bytes]), undefined, slices * 3);
        expect(await blob.text()).toBe(base64Of(bytes));
      }),
    );
  });

  it('stops when aborted, and refuses a slice size that would pad mid-text', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(base64Blob(new Blob([new Uint8Array(9)]), controller.signal)).rejects.toThrow();
    await expect(base64Blob(new Blob([new Uint8Array(9)]), undefined, 4)).rejects.toThrow(RangeError);
  });
});

/** A JSON value where some strings are held as Base64Text, and the same value with those as plain strings. */
const held = fc
  .tuple(fc.string({ unit: 'binary', maxLength: 12 }), fc.uint8Array({ maxLength: 30 }))
  .map(([head, bytes]) => ({ held: new Base64Text(head, new Blob([base64Of(bytes)])), plain: head + base64Of(bytes) }));
const values = fc.letrec<{ value: { held: unknown; plain: unknown } }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 0 }).map((v) => ({ held: v, plain: v })),
    held,
    fc.array(tie('value'), { maxLength: 4 }).map((items) => ({ held: items.map((i) => i.held), plain: items.map((i) => i.plain) })),
    fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }).map((entries) => ({
      held: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.held])),
      plain: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.plain])),
    })),
  ),
}));

describe('jsonBody', () => {
  it('reads back as the value with each held text in place, byte for byte as JSON.stringify writes it', async () => {
    await fc.assert(
      fc.asyncProperty(values.value, async ({ held, plain }) => {
        const body = jsonBody(held);
        const text = typeof body === 'string' ? body : await body.text();
        expect(text).toBe(JSON.stringify(plain));
      }),
    );
  });

  it('is a Blob exactly when something is held as one (a big image never becomes one string)', () => {
    expect(typeof jsonBody({ a: 'x' })).toBe('string');
    expect(jsonBody({ a: [new Base64Text('data:image/png;base64,', new Blob(['AAAA']))] })).toBeInstanceOf(Blob);
  });
});
