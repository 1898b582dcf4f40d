// Shared Playwright helpers: the harness page, fixtures, synthetic images, request log.
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { test as base, type Page } from '@playwright/test';

export { expect } from '@playwright/test';

/** Anything a test's browser may reach: this machine (dev, preview, test and static servers) and inline data. */
const LOCAL = /^(https?:\/\/(127\.0\.0\.1|localhost)(:\d+)?\/|data:|blob:|file:)/;

/**
 * Every spec's `test`: records every request of the browser context (pages and their
 * workers) and fails the test if one leaves this machine — the runtime never phones home.
 */
export const test = base.extend<{ offMachineRequests: string[] }, { browserVersion: string }>({
  // Printed once per test worker, so that a change of browser (Debian's Chromium moves) is
  // seen in every test log at once.
  browserVersion: [
    async ({ browser }, use) => {
      const version = `${browser.browserType().name()} ${browser.version()}`;
      console.log(`browser: ${version}`);
      await use(version);
    },
    { scope: 'worker', auto: true },
  ],
  offMachineRequests: [
    async ({ context }, use) => {
      const outside: string[] = [];
      context.on('request', (request) => {
        if (!LOCAL.test(request.url())) outside.push(request.url());
      });
      await use(outside);
      base.expect(outside, 'requests that left this machine').toEqual([]);
    },
    { auto: true },
  ],
});

export const FIXTURES = resolve(import.meta.dirname, '../../shared/fixtures');
export const BACKENDS = ['webgpu', 'wasm'] as const;
/**
 * Specs of logic that does not depend on the backend (the AI SDK relay, risk shapes, windows over
 * long answers, several images) run on WASM only, the fast one here: the backends themselves are
 * tested on both by the evaluate, respond, evaluator-kinds, soak, OCR, embed and hub specs.
 */
export const LOGIC_BACKENDS = ['wasm'] as const;

const MIME: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg' };

export interface FixtureFile {
  name: string;
  type: string;
  base64: string;
}

export function fixture(relativePath: string): FixtureFile {
  const path = resolve(FIXTURES, relativePath);
  return { name: relativePath, type: MIME[extname(path).toLowerCase()] ?? 'application/octet-stream', base64: readFileSync(path).toString('base64') };
}

/**
 * A strict CSP, as the README's "Content-Security-Policy" section gives it: no 'unsafe-eval',
 * no inline scripts; WebAssembly needs 'wasm-unsafe-eval'. `connect` adds origins to fetch from.
 */
export function strictCsp(connect: string[] = []): string {
  return [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    ['connect-src', "'self'", 'data:', 'blob:', ...connect].join(' '),
    "img-src 'self' data: blob:",
    "style-src 'self'",
  ].join('; ');
}

/** CSP violations the page reports (a blocked eval, inline script or request would show here). */
export function recordCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

/** Every request the page (and its workers) makes, for the "nothing leaves the origin" checks. */
export function recordRequests(page: Page): string[] {
  const urls: string[] = [];
  page.on('request', (request) => urls.push(request.url()));
  return urls;
}

export const TEST_SERVER = 'http://127.0.0.1:8787';

/** Requests to anything but the page's origin and the configured generator endpoint. */
export function foreignRequests(urls: readonly string[], origin: string, allowed: readonly string[] = [TEST_SERVER]): string[] {
  return urls.filter(
    (url) => ![origin, ...allowed].some((o) => url.startsWith(`${o}/`)) && !url.startsWith('data:') && !url.startsWith('blob:'),
  );
}

/** Scripts the test server's next responses ('500', '429', 'stall', 'malformed', 'drop', 'ok'). */
export async function scriptTestServer(faults: string[] = []): Promise<void> {
  await fetch(`${TEST_SERVER}/__control`, { method: 'POST', body: JSON.stringify({ script: faults }) });
}

export async function openHarness(page: Page): Promise<void> {
  await page.goto('/e2e/harness.html');
  await page.waitForFunction(() => window.harnessReady === true);
}

/** Page-side helpers installed once per page (kept here so tests stay declarative). */
export async function installPageHelpers(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as Record<string, unknown>;
    w.blobOf = (file: { base64: string; type: string }) =>
      new Blob([Uint8Array.from(atob(file.base64), (c) => c.charCodeAt(0))], { type: file.type });
    /** A synthetic "unsafe" image for the generated CLIP: saturated colour with mild noise. */
    w.solidImage = (rgb: [number, number, number], size = 256) => {
      const canvas = new OffscreenCanvas(size, size);
      const ctx = canvas.getContext('2d')!;
      const img = ctx.createImageData(size, size);
      let seed = 7;
      for (let i = 0; i < img.data.length; i += 4) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const jitter = (seed % 21) - 10;
        img.data[i] = rgb[0] + jitter;
        img.data[i + 1] = rgb[1] + jitter;
        img.data[i + 2] = rgb[2] + jitter;
        img.data[i + 3] = 255;
      }
      return img;
    };
    /** solidImage as a PNG data: URL, as chat apps put images in their requests. */
    w.solidDataUrl = async (rgb: [number, number, number], size = 96) => {
      const canvas = new OffscreenCanvas(size, size);
      canvas.getContext('2d')!.putImageData((w.solidImage as (c: typeof rgb, s: number) => ImageData)(rgb, size), 0, 0);
      const blob = await canvas.convertToBlob({ type: 'image/png' });
      return new Promise<string>((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(String(reader.result));
        reader.readAsDataURL(blob);
      });
    };
    /** Black text lines on white, e.g. a typographic prompt for OCR. */
    w.textImage = (lines: string[], o: { width?: number; height?: number; font?: string; lineHeight?: number; x?: number; y?: number } = {}) => {
      const { width = 760, height = 760, font = 'bold 40px monospace', lineHeight = 64, x = 20, y = 75 } = o;
      const ctx = new OffscreenCanvas(width, height).getContext('2d')!;
      ctx.fillStyle = 'white';
      ctx.fillRect(0, 0, width, height);
      ctx.fillStyle = 'black';
      ctx.font = font;
      lines.forEach((line, i) => ctx.fillText(line, x, y + i * lineHeight));
      return ctx.getImageData(0, 0, width, height);
    };
    /** The main thread's longest stall since the last reset: a 10 ms timer that should tick on time. */
    w.stallMeter = () => {
      let last = performance.now();
      let longest = 0;
      const ticker = setInterval(() => {
        const now = performance.now();
        longest = Math.max(longest, now - last - 10);
        last = now;
      }, 10);
      return {
        longest: () => longest,
        reset: () => void (longest = 0),
        stop: () => clearInterval(ticker),
      };
    };
  });
}

/**
 * Visible text closer than `minPx` to the viewport's left or right edge (on a phone, text
 * that touches the edge is hard to read): each offender as its first words and distance.
 */
export async function textAtEdges(page: Page, minPx = 8): Promise<string[]> {
  return page.evaluate((min) => {
    const width = document.documentElement.clientWidth;
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent?.trim();
      if (!text) continue;
      // Text in a box that scrolls sideways (a wide table) is seen through that box: clip to it.
      let [left, right] = [0, width];
      for (let el = node.parentElement; el; el = el.parentElement) {
        if (getComputedStyle(el).overflowX === 'visible') continue;
        const box = el.getBoundingClientRect();
        [left, right] = [Math.max(left, box.left), Math.min(right, box.right)];
      }
      const range = document.createRange();
      range.selectNodeContents(node);
      for (const rect of range.getClientRects()) {
        const [from, to] = [Math.max(rect.left, left), Math.min(rect.right, right)];
        if (to - from <= 0 || rect.height === 0) continue;
        const gap = Math.min(from, width - to);
        if (gap < min) out.push(`${Math.round(gap)} px: "${text.slice(0, 40)}"`);
      }
    }
    return out;
  }, minPx);
}
