// A plain static host for the CLI's check page and for tests: URL prefixes mapped to folders (sirv, real 404s), the
// same headers on every answer (e.g. a CSP). Stands in for any CDN or web server.
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import sirv from 'sirv';

export interface StaticHost {
  origin: string;
  close(): Promise<void>;
}

export async function serveStatic(mounts: [prefix: string, folder: string][], headers: Record<string, string> = {}): Promise<StaticHost> {
  const handlers = mounts.map(([prefix, folder]) => [prefix, sirv(folder, { dev: true })] as const);
  const server: Server = createServer((req, res) => {
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    const mount = handlers.find(([prefix]) => (req.url ?? '/').startsWith(prefix));
    if (!mount) return void res.writeHead(404).end();
    req.url = `/${(req.url ?? '/').slice(mount[0].length)}`;
    mount[1](req, res, () => void res.writeHead(404).end('not found'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    // Ends open connections too: a page still loading (a worker fetching a model) would otherwise hold close() forever.
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
