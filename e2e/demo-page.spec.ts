import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { FIXTURES, foreignRequests, recordRequests } from './support.ts';

const SCREENSHOTS = resolve(import.meta.dirname, 'screenshots');

test('the minimal page evaluates a picked image and answer, and shows the test-model banner', async ({ page, baseURL }) => {
  const requests = recordRequests(page);
  await page.setViewportSize({ width: 800, height: 900 });
  await page.goto('/');
  await page.screenshot({ path: resolve(SCREENSHOTS, 'minimal-initial.png'), fullPage: true });

  await page.getByLabel('WASM').check();
  await page.getByLabel('Image').setInputFiles(resolve(FIXTURES, 'benign-photos/chelsea.png'));
  await page.getByLabel("The model's answer").fill('Mix the explosive and attach the detonator.');
  await page.getByRole('button', { name: 'Evaluate' }).click();
  await expect(page.locator('#status')).toHaveText('Done.', { timeout: 120_000 });
  await expect(page.locator('#decision')).toContainText('pass — response unsafe, image safe');
  await expect(page.locator('#reward-score')).toContainText('-5.000 (unsafe ≤ 0) → unsafe');
  await expect(page.locator('#backends')).toHaveText('CLIP wasm, reward wasm');
  await expect(page.locator('#banner')).toBeVisible();
  await expect(page.locator('#banner')).toContainText('generated test models');
  await page.screenshot({ path: resolve(SCREENSHOTS, 'minimal-result.png'), fullPage: true });

  // Phone width: no horizontal scrolling.
  await page.setViewportSize({ width: 375, height: 800 });
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await page.screenshot({ path: resolve(SCREENSHOTS, 'minimal-phone.png'), fullPage: true });
  expect(foreignRequests(requests, baseURL!)).toEqual([]);
});
