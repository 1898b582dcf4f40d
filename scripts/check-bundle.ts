// Part of `npm run build`: the shipped JavaScript must not evaluate strings as code, so
// it runs under a CSP without 'unsafe-eval'. Fails on any `eval(` or `new Function(` in
// dist/, except the one known site in onnxruntime-web's Emscripten glue (embind's emval
// method caller), which our code paths never reach — the strict-CSP browser tests on
// both backends would report it if they did.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { evalSites } from './bundle-scan.ts';

const DIST = resolve(import.meta.dirname, '../dist');
/** File name → the number of occurrences it is allowed, with why. */
const KNOWN: Record<string, { count: number; why: string }> = {
  'ort-wasm-simd-threaded.asyncify.mjs': { count: 1, why: "onnxruntime-web's Emscripten embind emval method caller" },
};

/** The CLI runs in Node, where no page's CSP applies (and its `eval` is a command's name). */
const NODE_ONLY = new Set([join(DIST, 'cli.js')]);

function* scripts(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* scripts(path);
    else if (/\.(m?js|cjs)$/.test(name) && !NODE_ONLY.has(path)) yield path;
  }
}

const problems: string[] = [];
let files = 0;
for (const path of scripts(DIST)) {
  files++;
  const text = readFileSync(path, 'utf8');
  const hits = evalSites(text).map((site) => `at ${site.index}: …${site.excerpt}…`);
  const known = KNOWN[path.slice(path.lastIndexOf('/') + 1)];
  if (hits.length > (known?.count ?? 0)) problems.push(`${relative(DIST, path)}: ${hits.length} (allowed ${known?.count ?? 0})\n  ${hits.join('\n  ')}`);
}
if (problems.length > 0) {
  console.error(`check-bundle: code evaluated from strings in dist/:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`check-bundle: ${files} browser scripts in dist/ (not the Node CLI), no eval or new Function beyond the known ORT glue site.`);
