// The bad-input corpus's files, made here rather than stored: truncated and corrupted
// fixtures, and small hand-assembled files (a 12000×12000 PNG, an animated GIF, an
// Adobe CMYK JPEG, an EXIF-rotated JPEG, an SVG with a script).
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import { FIXTURES } from './support.ts';

export interface BadFile {
  name: string;
  type: string;
  base64: string;
}

const file = (name: string, type: string, bytes: Uint8Array): BadFile => ({ name, type, base64: Buffer.from(bytes).toString('base64') });
const fixtureBytes = (path: string) => readFileSync(resolve(FIXTURES, path));

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/** A solid-colour RGB PNG of any size: rows of one filter byte and the pixels, deflated (compresses to almost nothing). */
export function solidPng(width: number, height: number, rgb: [number, number, number]): Buffer {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.alloc(row.length * height);
  for (let y = 0; y < height; y++) row.copy(raw, y * row.length);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter method, no interlace
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Two 1×1 frames (red, then blue), looping: browsers decode the first. */
function animatedGif(): Buffer {
  const frame = (lzw: number[]) => [0x21, 0xf9, 0x04, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0x00, 0x02, 0x02, ...lzw, 0x00];
  return Buffer.from([
    ...Buffer.from('GIF89a'), 1, 0, 1, 0, 0x80, 0, 0, // 1×1, 2-colour global table
    0xff, 0, 0, 0, 0, 0xff,
    0x21, 0xff, 0x0b, ...Buffer.from('NETSCAPE2.0'), 0x03, 0x01, 0x00, 0x00, 0x00,
    ...frame([0x44, 0x01]), // colour 0
    ...frame([0x4c, 0x01]), // colour 1
    0x3b,
  ]);
}

/**
 * An 8×8 four-component (Adobe CMYK) baseline JPEG: every block's DC difference is 0 and
 * its AC run ends at once, so each component is flat mid-grey; one-code Huffman tables.
 */
function cmykJpeg(): Buffer {
  const seg = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const oneCodeTable = (tableClass: number) => [(tableClass << 4) | 0, 1, ...new Array<number>(15).fill(0), 0];
  return Buffer.from([
    0xff, 0xd8,
    ...seg(0xee, [...Buffer.from('Adobe'), 0, 100, 0, 0, 0, 0, 0]), // APP14, transform 0: CMYK
    ...seg(0xdb, [0, ...new Array<number>(64).fill(1)]),
    ...seg(0xc0, [8, 0, 8, 0, 8, 4, 1, 0x11, 0, 2, 0x11, 0, 3, 0x11, 0, 4, 0x11, 0]),
    ...seg(0xc4, oneCodeTable(0)),
    ...seg(0xc4, oneCodeTable(1)),
    ...seg(0xda, [4, 1, 0, 2, 0, 3, 0, 4, 0, 0, 63, 0]),
    0x00, // four blocks × (DC "0" + EOB "0") = eight 0-bits
    0xff, 0xd9,
  ]);
}

/** A JPEG with an EXIF Orientation of 6 (rotate 90° clockwise) inserted after SOI. */
function exifRotated(jpeg: Buffer): Buffer {
  const tiff = Buffer.from([0x49, 0x49, 0x2a, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0, 0, 0, 0, 0]);
  const payload = Buffer.concat([Buffer.from('Exif\0\0', 'binary'), tiff]);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1, (payload.length + 2) >> 8, (payload.length + 2) & 0xff]), payload]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

export function badImageFiles(): Record<string, BadFile> {
  const png = fixtureBytes('benign-photos/coffee.png');
  const jpeg = fixtureBytes('benign-photos/rocket.jpg');
  const corruptPng = Buffer.from(png);
  corruptPng.fill(0, 100, 2000);
  const corruptJpeg = Buffer.from(jpeg);
  corruptJpeg.fill(0x55, 2, 200); // the header segments
  return {
    truncatedPng: file('truncated.png', 'image/png', png.subarray(0, 200)),
    truncatedPngHalf: file('truncated-half.png', 'image/png', png.subarray(0, png.length >> 1)),
    corruptPng: file('corrupt.png', 'image/png', corruptPng),
    truncatedJpeg: file('truncated.jpg', 'image/jpeg', jpeg.subarray(0, jpeg.length >> 1)),
    corruptJpeg: file('corrupt.jpg', 'image/jpeg', corruptJpeg),
    zeroBytes: file('empty.png', 'image/png', new Uint8Array(0)),
    onePixel: file('1x1.png', 'image/png', solidPng(1, 1, [220, 20, 20])),
    huge: file('12000x12000.png', 'image/png', solidPng(12000, 12000, [220, 20, 20])),
    animatedGif: file('animated.gif', 'image/gif', animatedGif()),
    svgWithScript: file('script.svg', 'image/svg+xml', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>window.svgRan = true</script><rect width="10" height="10" fill="red"/></svg>')),
    textAsImage: file('notes.txt', 'text/plain', Buffer.from('hello, not an image')),
    htmlAsPng: file('page.png', 'image/png', Buffer.from('<!doctype html><title>404</title>')),
    pngLabelledJpeg: file('mislabelled.jpg', 'image/jpeg', png),
    exifRotated: file('rotated.jpg', 'image/jpeg', exifRotated(jpeg)),
    cmykJpeg: file('cmyk.jpg', 'image/jpeg', cmykJpeg()),
  };
}
