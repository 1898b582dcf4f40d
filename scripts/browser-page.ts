// The repo's pages run in Chromium from a script (npm run eval, npm run models:check): a
// vite server on a free port (no HMR, no watching: an edit must not reload a page mid-run),
// extra folders served beside the app, Chromium launched as the tests launch it.
import { createServer as createNetServer } from 'node:net';
import { resolve } from 'node:path';
import { type Page, chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';
import { serveFolders } from './serve-folder.ts';

const ROOT = resolve(import.meta.dirname, '..');

async function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const probe = createNetServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', reject);
  });
}

/**
 * Opens `pagePath` (relative to the repo root) once `readyFlag` is true on its window,
 * runs `work`, and closes the browser and the server whatever happens.
 */
export async function withRepoPage<T>(
  options: { pagePath: string; readyFlag: string; folders?: [string, string][]; onLine?: (line: string) => void },
  work: (page: Page, origin: string) => Promise<T>,
): Promise<T> {
  const port = await freePort();
  const server = await createServer({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    server: { port, strictPort: true, hmr: false, watch: { ignored: ['**/*'] } },
    plugins: options.folders?.length ? [serveFolders('vlm-guard:script-folders', options.folders)] : [],
    logLevel: 'warn',
  });
  await server.listen();
  const browser = await chromium.launch(chromiumLaunchOptions);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (error) => console.error(`page error: ${error.message}`));
    if (options.onLine) await page.exposeFunction('reportProgress', options.onLine);
    const origin = `http://127.0.0.1:${port}`;
    await page.goto(`${origin}/${options.pagePath}`);
    await page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, options.readyFlag, { timeout: 120_000 });
    return await work(page, origin);
  } finally {
    await browser.close();
    await server.close();
  }
}
