import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig } from 'vite';
import { serveFolders } from './scripts/serve-folder.ts';

const MODELS_DIR = resolve(import.meta.dirname, 'models');

/**
 * The top-level `models/` folder at `/models/` (dev and preview) with real 404s, so a
 * missing model file is reported as missing rather than parsed as HTML.
 */
const serveModels = () => serveFolders('vlm-guard:serve-models', [['/models', MODELS_DIR]], { preview: true });

/**
 * Cross-origin isolation (COOP same-origin + COEP require-corp) gives the page
 * SharedArrayBuffer, which onnxruntime-web's WASM threads need. Off by default (every
 * cross-origin resource then needs CORS or CORP); `npm run demo:isolated` and the bench
 * turn it on. Hosts send the same two headers on the page and on the worker scripts.
 */
export const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const isolated = process.env.VLM_GUARD_ISOLATED === '1';

export default defineConfig({
  // 'mpa': missing files are 404s, not the SPA's index.html.
  appType: 'mpa',
  plugins: [serveModels()],
  // ORT's default "bundle" build inlines its 20+ MB .wasm as base64 into every worker;
  // this condition selects the build that loads the .wasm we serve from /ort/.
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web', '@huggingface/transformers'] },
  // The demo takes the next free port when 5173 is busy (the e2e config pins its own with --strictPort).
  server: { host: '127.0.0.1', port: 5173, strictPort: false, headers: isolated ? ISOLATION_HEADERS : {} },
  preview: {
    host: '127.0.0.1',
    port: 4173,
    strictPort: true,
    // The built demo is served (and tested) under a strict CSP: no 'unsafe-eval', no inline
    // script; WebAssembly needs 'wasm-unsafe-eval'. Remote VLM endpoints go in connect-src.
    headers: {
      ...(isolated ? ISOLATION_HEADERS : {}),
      'content-security-policy':
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src 'self'; connect-src 'self' data: blob: http://127.0.0.1:8787; img-src 'self' data: blob:; style-src 'self'",
    },
  },
  build: {
    // dist/ holds the package (vite.lib.config.ts, built first); the demo app goes in dist/app.
    outDir: 'dist/app',
    target: 'es2022',
    rollupOptions: {
      input: { main: resolve(import.meta.dirname, 'index.html') },
    },
  },
});
