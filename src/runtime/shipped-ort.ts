// Where ORT's runtime (.mjs + .wasm) is when `ortBase` is not set.
//
// In the npm package, beside the module: the library build replaces this file
// (vite.lib.config.ts, `shippedOrtRuntime`) with `new URL('../ort/…', import.meta.url)` for
// each file — the form Vite, webpack and Rollup follow to copy the files into an app — so a
// bundled app needs no configuration and a static copy of dist/ finds them in dist/ort/.
// From the repo's source (the demo, the tests), the files are public/ort/, served at /ort/ —
// as absolute URLs: a worker served by Vite's dev server would get a root-relative one
// rewritten into a module import of the public folder (`?import`), which Vite refuses.
import { ORT_WASM_FILES } from './defaults.ts';

export function shippedOrtFiles(): { mjs: string; wasm: string } {
  const page = globalThis.document?.baseURI ?? globalThis.location.href;
  return { mjs: new URL(`/ort/${ORT_WASM_FILES.mjs}`, page).href, wasm: new URL(`/ort/${ORT_WASM_FILES.wasm}`, page).href };
}
