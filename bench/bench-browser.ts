// The bench runners' way into a bench page: a fresh browser context (no HTTP cache), the bench
// photo served from the fixtures, the page opened and waited for until it says it is ready.
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';

const PHOTO = resolve(import.meta.dirname, '../../shared/fixtures/benign-photos/astronaut.png');

/** `ready`: the window flag the page sets once its bench functions are installed. */
export async function openBenchPage(browser: Browser, url: string, ready: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route('**/bench/photo', (route) => route.fulfill({ path: PHOTO, contentType: 'image/png' }));
  await page.goto(url);
  await page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, ready, { timeout: 120_000 });
  return { context, page };
}
