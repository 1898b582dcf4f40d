// `npm run build` (first step): the npm package (dist/index.js, dist/ai-sdk.js for
// `vlm-guard/ai-sdk`, dist/types) and the
// one-tag script (dist/vlm-guard.js, loading vlm-guard.module.js), with the workers in
// dist/assets/ and ORT's runtime in dist/ort/ — all found relative to the script's own
// URL, so the folder can be copied to any static host or CDN path; and the pages the CLI's
// `check` and `eval` drive (dist/cli-pages/). (The CLI, dist/cli.js, is vite.cli.config.ts;
// the demo app is built after both, into dist/app/.)
import { readFileSync, readdirSync } from 'node:fs';
import { posix, resolve } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { CHART_JS } from './src/evaluation/html-report.ts';
import { ORT_WASM_FILES } from './src/runtime/defaults.ts';

const ROOT = import.meta.dirname;

/** A page the CLI drives in Chromium: its module is a library entry (cli-pages/<name>.js). */
const cliPage = (name: string, title: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${title}</title>
    <script type="module" src="./${name}.js"></script>
  </head>
  <body>
    <p>${title}, driven by <code>vlm-guard ${name}</code>.</p>
  </body>
</html>
`;

function emitStaticFiles(): Plugin {
  return {
    name: 'vlm-guard:emit-static',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'vlm-guard.js', source: readFileSync(resolve(ROOT, 'src/embed/loader.js'), 'utf8') });
      for (const file of Object.values(ORT_WASM_FILES)) {
        this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(resolve(ROOT, 'public/ort', file)) });
      }
      // The CLI's pages, the photos `check` probes CLIP with, and Chart.js for `eval`'s HTML report.
      this.emitFile({ type: 'asset', fileName: 'cli-pages/check.html', source: cliPage('check', 'vlm-guard model self-check') });
      this.emitFile({ type: 'asset', fileName: 'cli-pages/eval.html', source: cliPage('eval', 'vlm-guard evaluation of a labelled set') });
      for (const file of readdirSync(resolve(ROOT, 'src/cli-pages/photos'))) {
        this.emitFile({ type: 'asset', fileName: `cli-pages/photos/${file}`, source: readFileSync(resolve(ROOT, 'src/cli-pages/photos', file)) });
      }
      this.emitFile({ type: 'asset', fileName: `cli-pages/${CHART_JS}`, source: readFileSync(resolve(ROOT, 'node_modules/chart.js/dist', CHART_JS)) });
    },
  };
}

/**
 * ORT's runtime beside the module (src/runtime/shipped-ort.ts says why): the module becomes
 * `new URL(<placeholder>, import.meta.url)` per file, and once the chunk's place in dist/ is
 * known each placeholder becomes the literal path from there to dist/ort/ — a literal, so
 * that an app's bundler follows it (an identifier keeps this build's asset plugin off it).
 */
function shippedOrtRuntime(): Plugin {
  const MODULE = resolve(ROOT, 'src/runtime/shipped-ort.ts');
  const placeholder = (kind: keyof typeof ORT_WASM_FILES) => `__VLM_GUARD_ORT_${kind.toUpperCase()}__`;
  return {
    name: 'vlm-guard:shipped-ort',
    load(id) {
      if (id !== MODULE) return null;
      const url = (kind: keyof typeof ORT_WASM_FILES) => `new URL(${placeholder(kind)}, import.meta.url).href`;
      return `export function shippedOrtFiles() { return { mjs: ${url('mjs')}, wasm: ${url('wasm')} }; }`;
    },
    renderChunk(code, chunk) {
      if (!code.includes(placeholder('mjs'))) return null;
      const fromChunk = posix.relative(posix.dirname(chunk.fileName), 'ort');
      let out = code;
      for (const kind of Object.keys(ORT_WASM_FILES) as (keyof typeof ORT_WASM_FILES)[]) {
        const path = `${fromChunk.startsWith('.') ? fromChunk : `./${fromChunk}`}/${ORT_WASM_FILES[kind]}`;
        out = out.replaceAll(placeholder(kind), JSON.stringify(path));
      }
      return { code: out, map: null };
    },
  };
}

/**
 * Vite's library build writes each worker as
 * `new Worker(new URL(new URL('../assets/x.js', import.meta.url).href, '' + import.meta.url))`.
 * An app's bundler only follows the plain form — Next.js (Turbopack and webpack) turned the
 * inner URL root-relative and the outer base `file:///` (issue 29) — so each becomes
 * `new Worker(new URL('../assets/x.js', import.meta.url), …)`, one `new URL` per file.
 */
export const NESTED_WORKER_URL = /new URL\(\s*(?:\/\*\s*@vite-ignore\s*\*\/\s*)?new URL\(("[^"]+"), import\.meta\.url\)\.href,\s*"" \+ import\.meta\.url\s*\)/g;

function plainWorkerUrls(): Plugin {
  return {
    name: 'vlm-guard:plain-worker-urls',
    enforce: 'post',
    renderChunk(code) {
      if (!code.includes('new Worker(')) return null;
      return { code: code.replace(NESTED_WORKER_URL, 'new URL($1, import.meta.url)'), map: null };
    },
  };
}

/**
 * ORT's bundle (in each worker) names itself for its proxy worker, a feature we leave off:
 * `new URL('ort.webgpu.min.mjs', import.meta.url)`, a file that is not shipped. An app's
 * bundler that follows it fails (Turbopack: "Module not found"; ORT's own guard against that,
 * `const URL2 = URL`, does not survive minification), so in worker chunks the base becomes
 * the worker's `self.location.href` — the same URL at run time, which no bundler follows.
 */
export const WORKER_FILE_URL = /new URL\((`[^`]+`|"[^"]+"),\s*import\.meta\.url\)/g;

function opaqueWorkerFileUrls(): Plugin {
  return {
    name: 'vlm-guard:opaque-worker-file-urls',
    enforce: 'post',
    renderChunk(code) {
      return code.includes('import.meta.url') ? { code: code.replace(WORKER_FILE_URL, 'new URL($1, self.location.href)'), map: null } : null;
    },
  };
}

export default defineConfig({
  publicDir: false,
  // Relative URLs: workers and ORT are found beside the script, wherever it is hosted.
  base: './',
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es', plugins: () => [opaqueWorkerFileUrls()] },
  plugins: [emitStaticFiles(), shippedOrtRuntime(), plainWorkerUrls()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    lib: {
      entry: {
        index: resolve(ROOT, 'src/index.ts'),
        'ai-sdk': resolve(ROOT, 'src/ai-sdk/index.ts'),
        'vlm-guard.module': resolve(ROOT, 'src/embed/embed.ts'),
        'cli-pages/check': resolve(ROOT, 'src/cli-pages/check-page.ts'),
        'cli-pages/eval': resolve(ROOT, 'src/cli-pages/eval-page.ts'),
      },
      formats: ['es'],
    },
    rollupOptions: { output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' } },
  },
});
