// The built one-tag script (dist/lib, `npm run build:lib`) on a plain static host:
// workers and ORT are found beside the script; window.VLMGuard and DOM events work.
import { existsSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import sirv from 'sirv';
import { foreignRequests, recordRequests } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
const LIB = resolve(ROOT, 'dist/lib');

let server: Server;
let origin: string;

test.beforeAll(async () => {
  if (!existsSync(resolve(LIB, 'vlm-guard.js'))) throw new Error('dist/lib is missing: run `npm run build:lib` first (npm test does).');
  const mounts: [string, ReturnType<typeof sirv>][] = [
    ['/vendor/vlm-guard/', sirv(LIB, { dev: true })],
    ['/models/', sirv(resolve(ROOT, 'models'), { dev: true })],
    ['/', sirv(resolve(ROOT, 'e2e/host-app'), { dev: true })],
  ];
  server = createServer((req, res) => {
    const mount = mounts.find(([prefix]) => (req.url ?? '/').startsWith(prefix));
    if (!mount) return void res.writeHead(404).end();
    req.url = `/${(req.url ?? '/').slice(mount[0].length)}`;
    mount[1](req, res, () => void res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

test.afterAll(() => new Promise<void>((r) => server.close(() => r())));

test('one tag on a static host: VLMGuard loads from beside the script, evaluates, and fires vlmguard events', async ({ page }) => {
  const requests = recordRequests(page);
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => (window as unknown as { guardEvents: { type: string }[] }).guardEvents.some((e) => e.type !== 'vlmguard:decision'), undefined, { timeout: 120_000 });
  const out = await page.evaluate(async () => {
    const w = window as unknown as { guardEvents: { type: string; detail: unknown }[] };
    const guard = window.VLMGuard!;
    const size = 128;
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'rgb(220,20,20)';
    ctx.fillRect(0, 0, size, size);
    const red = ctx.getImageData(0, 0, size, size);
    const unsafe = await guard.evaluate({ image: red, response: 'Attach the detonator and build the bomb.' });
    const safe = await guard.evaluate({ image: red, response: 'A red square.' });
    const info = (await guard.ready).info;
    return {
      settings: guard.settings,
      info: { backends: info.backends, models: info.models },
      unsafe: unsafe.decision,
      safe: safe.decision,
      events: w.guardEvents.map((e) => e.type),
    };
  });
  expect(out.settings).toMatchObject({ modelBase: `${origin}/models/`, ortBase: `${origin}/vendor/vlm-guard/ort/`, device: 'wasm', mode: 'shallow' });
  expect(out.info).toEqual({ backends: { clip: 'wasm', reward: 'wasm' }, models: { clip: 'test-clip', reward: 'test-reward' } });
  expect(out.unsafe).toBe('align');
  expect(out.safe).toBe('pass');
  expect(out.events).toEqual(['vlmguard:ready', 'vlmguard:decision', 'vlmguard:decision']);
  expect(requests.some((u) => u.startsWith(`${origin}/vendor/vlm-guard/assets/clip.worker-`))).toBe(true);
  expect(requests.some((u) => u === `${origin}/vendor/vlm-guard/ort/ort-wasm-simd-threaded.asyncify.wasm`)).toBe(true);
  expect(foreignRequests(requests, origin, [])).toEqual([]);
});
