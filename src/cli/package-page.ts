// The pages the CLI drives (dist/cli-pages/: `check`, `eval`): the package's dist/ and the
// user's folders on a local static host, one Chromium page through playwright-core (an
// optional peer, imported only here), its progress lines printed. Everything is closed
// whatever happens.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumLaunchOptions } from './chromium.ts';
import { CliError } from './cli-error.ts';
import { packageRoot } from './package-root.ts';
import { serveStatic } from './static-server.ts';

async function launchChromium() {
  let chromium: typeof import('playwright-core').chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    throw new CliError('this command runs the models in Chromium through Playwright: npm install --save-dev playwright-core');
  }
  try {
    return await chromium.launch(chromiumLaunchOptions);
  } catch (error) {
    throw new CliError(`could not start Chromium (Debian: apt-get install chromium; elsewhere: npx playwright install chromium): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
}

/**
 * Opens dist/cli-pages/<name>.html once window[readyFlag] is true, with `folders`
 * ([url prefix, folder]) served beside it, and runs `work` with the page and its origin.
 */
export async function withPackagePage<T>(
  options: { name: 'check' | 'eval'; readyFlag: string; folders: [string, string][] },
  work: (page: Page, origin: string) => Promise<T>,
): Promise<T> {
  const dist = join(packageRoot(), 'dist');
  if (!existsSync(join(dist, 'cli-pages', `${options.name}.html`))) throw new CliError(`${dist} has no cli-pages/${options.name}.html: build the package (npm run build).`);
  const host = await serveStatic([...options.folders, ['/', dist]]);
  try {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
      await page.exposeFunction('reportProgress', (line: string) => console.log(`  ${line}`));
      await page.goto(`${host.origin}/cli-pages/${options.name}.html`);
      await page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, options.readyFlag, { timeout: 120_000 });
      return await work(page, host.origin);
    } finally {
      await browser.close();
    }
  } finally {
    await host.close();
  }
}
