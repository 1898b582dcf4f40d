// Serves a folder under a URL path on a vite dev/preview server with real 404s, so a
// missing file is reported as missing rather than answered with an HTML page.
import sirv from 'sirv';
import type { Plugin } from 'vite';

type Middlewares = {
  use: (path: string, fn: (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, next: () => void) => void) => unknown;
};

function mount(middlewares: Middlewares, path: string, dir: string): void {
  const serve = sirv(dir, { dev: true, etag: true });
  middlewares.use(path, (req, res, next) => {
    // A module import of a file there (the runtime imports models/manifest.json) is Vite's to transform.
    if (req.headers['sec-fetch-dest'] === 'script') return next();
    serve(req, res, () => {
      res.statusCode = 404;
      res.end(`not found: ${path}${req.url ?? ''}`);
    });
  });
}

/** A vite plugin that serves each [url path, folder] pair (dev server, and preview when asked). */
export function serveFolders(name: string, folders: readonly [string, string][], options: { preview?: boolean } = {}): Plugin {
  return {
    name,
    configureServer(server) {
      for (const [path, dir] of folders) mount(server.middlewares, path, dir);
    },
    ...(options.preview
      ? {
          configurePreviewServer(server) {
            for (const [path, dir] of folders) mount(server.middlewares, path, dir);
          },
        }
      : {}),
  };
}
