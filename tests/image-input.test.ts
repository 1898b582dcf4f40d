import { describe, expect, it, vi } from 'vitest';
import { solidPng } from '../e2e/bad-inputs.ts';
import { decodeImage, encodedContentKey } from '../src/images/image-input.ts';

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
