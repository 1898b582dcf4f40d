// `npm run build` (first step): the npm package (dist/index.js, dist/ai-sdk.js for
// `vlm-guard/ai-sdk`, dist/types) and the
// one-tag script (dist/vlm-guard.js, loading vlm-guard.module.js), with the workers in
// dist/assets/ and ORT's runtime in dist/ort/ — all found relative to the script's own
// URL, so the folder can be copied to any static host or CDN path. (The demo app is
// built after it, into dist/app/.)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';
import { ORT_WASM_FILES } from './src/runtime/defaults.ts';

const ROOT = import.meta.dirname;

function emitStaticFiles(): Plugin {
  return {
    name: 'vlm-guard:emit-static',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: 'vlm-guard.js', source: readFileSync(resolve(ROOT, 'src/embed/loader.js'), 'utf8') });
      for (const file of Object.values(ORT_WASM_FILES)) {
        this.emitFile({ type: 'asset', fileName: `ort/${file}`, source: readFileSync(resolve(ROOT, 'public/ort', file)) });
      }
    },
  };
}

export default defineConfig({
  publicDir: false,
  // Relative URLs: workers and ORT are found beside the script, wherever it is hosted.
  base: './',
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  worker: { format: 'es' },
  plugins: [emitStaticFiles()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsInlineLimit: 0,
    lib: { entry: { index: resolve(ROOT, 'src/index.ts'), 'ai-sdk': resolve(ROOT, 'src/ai-sdk/index.ts'), 'vlm-guard.module': resolve(ROOT, 'src/embed/embed.ts') }, formats: ['es'] },
    rollupOptions: { output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' } },
  },
});
