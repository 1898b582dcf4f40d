// Base64 data: URLs are read on the page in slices (not fetched): any bytes, any size
// across slice boundaries, as a string or its bytes, come back exactly; a URL this does not read is left to fetch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dataUrlBlob } from '../src/images/data-url.ts';

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
const bytesOf = async (blob: Blob | null) => (blob ? new Uint8Array(await blob.arrayBuffer()) : null);

describe('dataUrlBlob', () => {
  it('any bytes and type come back exactly, with their type', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.constantFrom('image/png', 'IMAGE/JPEG', 'image/webp'), fc.constantFrom('', ';charset=x'), async (bytes, type, params) => {
        const url = `data:${type}${params};base64,${b64(bytes)}`;
        for (const form of [url, new TextEncoder().encode(url)]) {
          const blob = await dataUrlBlob(form);
          expect(await bytesOf(blob)).toEqual(bytes);
          expect(blob!.type).toBe(type.toLowerCase());
        }
      }),
    );
  });

  it('sizes at and across slice boundaries decode exactly', async () => {
    for (const size of [(1 << 18) * 3 / 4, (1 << 18) * 3 / 4 + 1, (1 << 18) * 3 / 2 + 2]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 7919) % 251);
      expect(await bytesOf(await dataUrlBlob(`data:image/png;base64,${b64(bytes)}`))).toEqual(bytes);
    }
  });

  it('what is not plain base64 is left to fetch (null), never half-read', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 3, maxLength: 60 }), fc.constantFrom(' ', '\n', '%2B', '-', '_', '=A', 'é'), fc.nat(), async (bytes, odd, where) => {
        const text = b64(bytes);
        const at = where % text.length;
        const url = `data:image/png;base64,${text.slice(0, at)}${odd}${text.slice(at)}`;
        expect(await dataUrlBlob(url)).toBeNull();
        expect(await dataUrlBlob(new TextEncoder().encode(url))).toBeNull();
      }),
    );
    expect(await dataUrlBlob('data:image/svg+xml,%3Csvg%3E')).toBeNull();
    expect(await dataUrlBlob('data:image/png;base64,AAA')).toBeNull(); // unpadded
  });
});
