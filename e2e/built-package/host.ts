// Hosts the BUILT package (dist/, as npm ships it) beside test files, for the specs that
// test what users install rather than the source.
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from '@playwright/test';
import sirv from 'sirv';
import { installPageHelpers } from '../support.ts';

export interface Host {
  origin: string;
  hits: string[];
  close(): Promise<void>;
}

/** A static host for the built package; `routes` answers extra paths (a redirect) before the files. */
export async function host(mounts: [string, string][], routes: Record<string, (res: ServerResponse) => void> = {}): Promise<Host> {
  const handlers = mounts.map(([prefix, folder]) => [prefix, sirv(folder, { dev: true })] as const);
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    res.setHeader('access-control-allow-origin', '*');
    const route = routes[url.split('?')[0]!];
    if (route) return route(res);
    const mount = handlers.find(([prefix]) => url.startsWith(prefix));
    if (!mount) return void res.writeHead(404).end();
    req.url = `/${url.slice(mount[0].length)}`;
    mount[1](req, res, () => void res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, hits, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** Opens the built-package page (e2e/built-package/index.html) on a host and installs the page helpers. */
export async function openBuiltAt(page: Page, origin: string): Promise<void> {
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => (window as unknown as { harnessReady?: boolean }).harnessReady === true);
  await installPageHelpers(page);
}
