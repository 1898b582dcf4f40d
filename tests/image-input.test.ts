import { describe, expect, it, vi } from 'vitest';
import { solidPng } from '../e2e/bad-inputs.ts';
import { decodeImage, encodedContentKey, sha256Hex } from '../src/images/image-input.ts';

describe('encodedContentKey', () => {
  it('hashes a Blob once, keys equal bytes alike and other bytes apart', async () => {
    const blob = new Blob([new Uint8Array([137, 80, 78, 71, 1, 2, 3])], { type: 'image/png' });
    const read = vi.spyOn(blob, 'arrayBuffer');
    const first = await encodedContentKey(blob);
    const again = await encodedContentKey(blob);
    expect(again).toBe(first);
    expect(read).toHaveBeenCalledTimes(1); // the second lookup reads nothing
    expect(await encodedContentKey(new Blob([await blob.arrayBuffer()], { type: 'image/png' }))).toBe(first);
    expect(await encodedContentKey(new Blob([new Uint8Array([137, 80, 78, 71, 1, 2, 4])]))).not.toBe(first);
    expect(first).toMatch(/^bytes:[0-9a-f]{64}$/);
  });

  it('gives no key for decoded forms (their pixels can change)', async () => {
    expect(await encodedContentKey({ width: 1, height: 1, data: new Uint8ClampedArray(4) } as unknown as ImageData)).toBeNull();
  });
});

describe('decodeImage', () => {
  it('refuses a PNG cut short (no IEND chunk) before the browser decodes it partly blank', async () => {
    const png = solidPng(64, 64, [220, 20, 20]);
    const cut = new Blob([new Uint8Array(png.subarray(0, png.length - 20))], { type: 'image/png' });
    await expect(decodeImage(cut)).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE', message: expect.stringMatching(/cut short/) });
  });
});

describe('sha256Hex', () => {
  it('hashes any size the same as SHA-256, sliced or not', async () => {
    const { createHash } = await import('node:crypto');
    for (const size of [0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 17]) {
      const bytes = new Uint8Array(size).map((_, i) => (i * 2654435761) >>> 24);
      expect(await sha256Hex(bytes), `size ${size}`).toBe(createHash('sha256').update(bytes).digest('hex'));
      expect(await sha256Hex(bytes.buffer)).toBe(createHash('sha256').update(bytes).digest('hex'));
    }
  });
});
