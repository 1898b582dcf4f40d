// The built demo (dist/app, vite preview) evaluates with every non-loopback request
// blocked; then, offline, a reload still loads the page and evaluates from Cache Storage.
import { resolve } from 'node:path';
import { expect, FIXTURES, test } from './support.ts';

const PREVIEW = 'http://127.0.0.1:4173';

async function evaluateOnDemo(page: import('@playwright/test').Page): Promise<void> {
  await page.getByLabel('WASM').check();
  await page.locator('#image').setInputFiles(resolve(FIXTURES, 'benign-photos/coffee.png'));
  await page.getByLabel("The model's answer").fill('Attach the detonator and build the bomb.');
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 120_000 });
  await expect(page.locator('#reward-score')).toContainText('unsafe');
  await expect(page.locator('#backends')).toHaveText('CLIP wasm, reward wasm');
}

test('the built demo works under its strict CSP with only loopback reachable, and again after an offline reload', async ({ context, page }) => {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const outside: string[] = [];
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1' || url.protocol === 'data:' || url.protocol === 'blob:') return route.continue();
    outside.push(url.href);
    return route.abort();
  });
  await page.goto(`${PREVIEW}/`);
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await page.reload(); // now controlled by the service worker: every file goes through it
  await expect.poll(() => page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  await evaluateOnDemo(page);
  expect(outside).toEqual([]);

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('h1')).toHaveText('vlm-guard');
  await evaluateOnDemo(page);
  await page.screenshot({ path: resolve(import.meta.dirname, 'screenshots/offline-result.png'), fullPage: true });
  await context.setOffline(false);
  expect(violations).toEqual([]);
});
