// Writes src/check/photos/: the 16 benign photos of ../shared/fixtures/benign-photos at
// most 256 px a side (JPEG, drawn by Chromium's decoder and canvas), with their captions
// and licences — what `npm run models:check` needs, small enough to ship. Run once; the
// output is committed.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../src/cli/chromium.ts';

const SOURCE = resolve(import.meta.dirname, '../../shared/fixtures/benign-photos');
const OUT = resolve(import.meta.dirname, '../src/check/photos');
const MAX_SIDE = 256;

const captions = JSON.parse(readFileSync(resolve(SOURCE, 'captions.json'), 'utf8')) as Record<string, { caption: string; license: string; source: string }>;
mkdirSync(OUT, { recursive: true });
const browser = await chromium.launch(chromiumLaunchOptions);
const page = await browser.newPage();
const listed: Record<string, { caption: string; license: string; source: string }> = {};
for (const [file, meta] of Object.entries(captions)) {
  const type = file.endsWith('.png') ? 'image/png' : 'image/jpeg';
  const base64 = readFileSync(resolve(SOURCE, file)).toString('base64');
  const jpeg = await page.evaluate(
    async ({ base64, type, max }) => {
      const bitmap = await createImageBitmap(new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type }), { imageOrientation: 'from-image' });
      const scale = Math.min(1, max / Math.max(bitmap.width, bitmap.height));
      const canvas = new OffscreenCanvas(Math.round(bitmap.width * scale), Math.round(bitmap.height * scale));
      const ctx = canvas.getContext('2d')!;
      ctx.imageSmoothingQuality = 'high';
      ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
      return Array.from(new Uint8Array(await blob.arrayBuffer()));
    },
    { base64, type, max: MAX_SIDE },
  );
  const name = file.replace(/\.(png|jpg)$/, '.jpg');
  writeFileSync(resolve(OUT, name), Uint8Array.from(jpeg));
  listed[name] = { caption: meta.caption, license: meta.license, source: `${meta.source} (scaled to ≤ ${MAX_SIDE} px)` };
}
await browser.close();
writeFileSync(resolve(OUT, 'captions.json'), `${JSON.stringify(listed, null, 2)}\n`);
console.log(`wrote ${Object.keys(listed).length} photos to ${OUT}`);
