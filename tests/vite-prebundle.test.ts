import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { packageFileUrl, packageFileUrls, spawnWorker } from '../src/runtime/vite-prebundle.ts';

const DEPS_MODULE = 'http://127.0.0.1:5173/node_modules/.vite/deps/vlm-guard.js?v=1a2b3c';

describe('Vite 6/7 pre-bundling: URLs resolved into the dependency cache point back into the package', () => {
  const realWorker = globalThis.Worker;
  afterEach(() => {
    globalThis.Worker = realWorker;
  });

  it('maps a worker and ORT file Vite 7 pointed into node_modules/.vite/ (what its dev server emitted), keeping the query', () => {
    expect(packageFileUrl('http://127.0.0.1:5173/node_modules/.vite/assets/clip.worker-CAu1l4jg.js?worker_file&type=module')).toBe(
      'http://127.0.0.1:5173/node_modules/vlm-guard/dist/assets/clip.worker-CAu1l4jg.js?worker_file&type=module',
    );
    expect(packageFileUrls({ mjs: 'http://h/node_modules/.vite/ort/a.mjs', wasm: 'http://h/node_modules/.vite/ort/a.wasm' }, DEPS_MODULE)).toEqual({
      mjs: 'http://h/node_modules/vlm-guard/dist/ort/a.mjs',
      wasm: 'http://h/node_modules/vlm-guard/dist/ort/a.wasm',
    });
  });

  it('leaves every other URL as it is: pre-bundled modules, the package, any app path; and nothing at all when not pre-bundled', () => {
    fc.assert(
      fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (url) => {
        const href = new URL(url).href;
        if (!new URL(href).pathname.startsWith('/node_modules/.vite/')) expect(packageFileUrl(href)).toBe(href);
      }),
    );
    expect(packageFileUrl('http://h/node_modules/.vite/deps/vlm-guard.js?v=1')).toBe('http://h/node_modules/.vite/deps/vlm-guard.js?v=1');
    const cached = { wasm: 'http://h/node_modules/.vite/ort/a.wasm' };
    expect(packageFileUrls(cached, 'http://h/node_modules/vlm-guard/dist/chunks/src-x.js')).toBe(cached);
  });

  it('spawns the worker from the package when pre-bundled, and restores the global Worker even when the spawn throws', () => {
    const made: string[] = [];
    class RecordingWorker {
      readonly url: string;
      constructor(url: string | URL) {
        this.url = String(url);
        made.push(this.url);
      }
    }
    globalThis.Worker = RecordingWorker as unknown as typeof Worker;
    const spawn = () => new Worker(new URL('/node_modules/.vite/assets/clip.worker-x.js?worker_file&type=module', DEPS_MODULE), { type: 'module' });
    expect(spawnWorker(spawn, DEPS_MODULE)).toBeInstanceOf(RecordingWorker);
    spawnWorker(spawn, 'http://h/src/runtime/worker-host.ts');
    expect(made).toEqual(['http://127.0.0.1:5173/node_modules/vlm-guard/dist/assets/clip.worker-x.js?worker_file&type=module', 'http://127.0.0.1:5173/node_modules/.vite/assets/clip.worker-x.js?worker_file&type=module']);
    expect(() =>
      spawnWorker(() => {
        throw new Error('no');
      }, DEPS_MODULE),
    ).toThrow('no');
    expect(globalThis.Worker).toBe(RecordingWorker);
  });
});
