// The bench runners' way into a bench page: the dev server that serves it (the bench photo
// from the fixtures among its files), a fresh browser context (no HTTP cache), the page opened
// and waited for until it says it is ready.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { type ServerOptions, type ViteDevServer, createServer } from 'vite';

const PHOTO = resolve(import.meta.dirname, '../../shared/fixtures/benign-photos/astronaut.png');

const ROOT = resolve(import.meta.dirname, '..');

/**
 * The repo's dev server for a bench, listening, with no HMR and no file watching (an edit in the
 * tree must not reload a page mid-measurement). The photo is one of its files, not a route of
 * the browser's: a routed page has every request — a chat request's megabytes of body too —
 * handed through the DevTools protocol, a main-thread cost that is the harness's, not the page's.
 */
export async function benchServer(server: ServerOptions & { port: number }): Promise<ViteDevServer> {
  const dev = await createServer({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.ts'),
    server: { hmr: false, watch: { ignored: ['**/*'] }, ...server },
    logLevel: 'warn',
    plugins: [
      {
        name: 'bench-photo',
        configureServer: (vite) => {
          vite.middlewares.use('/bench/photo', (_req, res) => {
            res.setHeader('content-type', 'image/png');
            res.end(readFileSync(PHOTO));
          });
        },
      },
    ],
  });
  await dev.listen();
  return dev;
}

/** `ready`: the window flag the page sets once its bench functions are installed. */
export async function openBenchPage(browser: Browser, url: string, ready: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  const isReady = (timeout: number) => page.waitForFunction((flag) => (window as unknown as Record<string, unknown>)[flag] === true, ready, { timeout });
  // On a first run Vite may find dependencies to pre-bundle only as the page loads, and the page
  // it served before that never starts (without HMR nothing reloads it): load it once more.
  await isReady(60_000).catch(async () => {
    await page.reload();
    await isReady(120_000);
  });
  return { context, page };
}
