// Vite 6 and 7's dev server pre-bundle the package into node_modules/.vite/deps/ and resolve
// its `new URL('../assets/x.js', import.meta.url)` from there — to node_modules/.vite/assets/,
// where nothing is (the server answers with its index.html, and the worker dies on it). The
// files are in the package's own folder, which the dev server serves. Vite 8's optimizer
// rewrites the URLs itself, and a build copies the files: neither reaches this.

/** Vite's dependency cache (its default `cacheDir`), and where the package's files really are. */
const VITE_CACHE = '/node_modules/.vite/';
const VITE_DEPS = `${VITE_CACHE}deps/`;
const PACKAGE_DIST = '/node_modules/vlm-guard/dist/';

/** Whether this module runs pre-bundled in Vite's dependency cache. */
const prebundled = (moduleUrl: string) => moduleUrl.includes(VITE_DEPS);

/** A URL Vite ≤ 7 pointed into its cache (not at a pre-bundled module) → the same file in the package. */
export function packageFileUrl(url: string): string {
  const parsed = new URL(url);
  if (!parsed.pathname.startsWith(VITE_CACHE) || parsed.pathname.startsWith(VITE_DEPS)) return url;
  parsed.pathname = PACKAGE_DIST + parsed.pathname.slice(VITE_CACHE.length);
  return parsed.href;
}

/**
 * Runs a worker's `spawn` (its `new Worker(new URL(…, import.meta.url))`, kept literal so that
 * bundlers follow it) with the worker's URL mapped by `packageFileUrl` when pre-bundled. The
 * global `Worker` is swapped only for that synchronous call.
 */
export function spawnWorker(spawn: () => Worker, moduleUrl: string): Worker {
  if (!prebundled(moduleUrl)) return spawn();
  const RealWorker = globalThis.Worker;
  const redirecting = function (url: string | URL, options?: WorkerOptions) {
    return new RealWorker(packageFileUrl(String(url)), options);
  } as unknown as typeof Worker;
  globalThis.Worker = redirecting;
  try {
    return spawn();
  } finally {
    globalThis.Worker = RealWorker;
  }
}

/** ORT's runtime files, mapped the same way. */
export function packageFileUrls<T extends Record<string, string>>(urls: T, moduleUrl: string): T {
  if (!prebundled(moduleUrl)) return urls;
  return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, packageFileUrl(v)])) as T;
}
