// Part of `npm run build`: the shipped JavaScript must not evaluate strings as code, so
// it runs under a CSP without 'unsafe-eval'. Fails on any `eval(` or `new Function(` in
// dist/, except the one known site in onnxruntime-web's Emscripten glue (embind's emval
// method caller), which our code paths never reach — the strict-CSP browser tests on
// both backends would report it if they did.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { evalSites } from './bundle-scan.ts';

const DIST = resolve(import.meta.dirname, '../dist');
/** File name → the number of occurrences it is allowed, with why. */
const KNOWN: Record<string, { count: number; why: string }> = {
  'ort-wasm-simd-threaded.asyncify.mjs': { count: 1, why: "onnxruntime-web's Emscripten embind emval method caller" },
};

/** The CLI runs in Node, where no page's CSP applies (and its `eval` is a command's name). */
const NODE_ONLY = new Set([join(DIST, 'cli.js')]);

/**
 * What an app's bundler follows (issue 29): every `new URL('…', import.meta.url)` names a shipped
 * file, workers are `new Worker(new URL('…', import.meta.url))` (not Vite's nested form), and a
 * worker's own chunk references nothing (the build makes ORT's proxy self-URL opaque).
 */
function fileReferenceProblems(path: string, text: string): string[] {
  const out: string[] = [];
  const where = relative(DIST, path);
  if (/new URL\(\s*(\/\*[^*]*\*\/\s*)?("" \+ )?new URL\(\s*(["'`])[^"'`]+\3,\s*import\.meta\.url\s*\)/.test(text)) out.push(`${where}: a nested new URL(new URL(…)) that bundlers do not follow`);
  for (const match of text.matchAll(/new URL\(\s*(["'`])([^"'`]+)\1,\s*import\.meta\.url\s*\)/g)) {
    const file = match[2]!;
    if (/\.worker-[^/]*\.js$/.test(path)) out.push(`${where}: references ${file} (a worker's chunk must reference no file)`);
    else if (!existsSync(resolve(dirname(path), file))) out.push(`${where}: references ${file}, which is not in dist/`);
  }
  return out;
}

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
  if (!relative(DIST, path).startsWith('app/')) problems.push(...fileReferenceProblems(path, text)); // (the demo app is not shipped)
}
if (problems.length > 0) {
  console.error(`check-bundle: problems in dist/:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log(`check-bundle: ${files} browser scripts in dist/ (not the Node CLI), no eval or new Function beyond the known ORT glue site; every file reference an app's bundler follows is plain and shipped.`);
