// Part of `npm run build`: the npm package as `npm pack` would publish it. Prints its size;
// fails when an `exports` target is not in it, when its code or the declarations its
// entry points reach import a package that `dependencies` / `peerDependencies` do not
// name, when `dependencies` name a package nothing shipped imports, or when a relative link
// in a shipped Markdown file (the README on npm, docs/) points at a file the package lacks.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, normalize, resolve } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(import.meta.dirname, '..');
interface PackageJson {
  name: string;
  exports: Record<string, string | { types?: string; import?: string }>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as PackageJson;
const [packed] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [{ size: number; unpackedSize: number; files: { path: string; size: number }[] }];
const files = new Set(packed.files.map((f) => f.path));
const problems: string[] = [];

for (const [entry, targets] of Object.entries(pkg.exports)) {
  for (const target of typeof targets === 'string' ? [targets] : Object.values(targets)) if (target && !files.has(normalize(target))) problems.push(`exports["${entry}"] → ${target} is not in the package`);
}

/** The package a bare specifier names ('@scope/name/sub' → '@scope/name'); null for relative ones. */
function packageOf(specifier: string): string | null {
  // Node's own modules: onnxruntime-web's Emscripten glue imports them only when it runs under Node.
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:') || builtinModules.includes(specifier)) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}
/** Static and dynamic imports, found by TypeScript's scanner (strings that only look like imports are not). */
const specifiersOf = (text: string) => ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);

const declared = new Set([...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {})]);
const used = new Map<string, string>();
// Every script in the package (they are bundled: a bare import would have to be installed).
for (const file of files) {
  if (!/\.(m?js)$/.test(file)) continue;
  for (const name of specifiersOf(readFileSync(join(ROOT, file), 'utf8')).map(packageOf)) if (name) used.set(name, file);
}
// The declarations the entry points' types reach (others are never loaded by a consumer's tsc).
const seen = new Set<string>();
const pending = Object.values(pkg.exports).flatMap((t) => (typeof t !== 'string' && t.types ? [normalize(t.types)] : []));
while (pending.length > 0) {
  const file = pending.pop()!;
  if (seen.has(file) || !files.has(file)) continue;
  seen.add(file);
  for (const specifier of specifiersOf(readFileSync(join(ROOT, file), 'utf8'))) {
    const name = packageOf(specifier);
    if (name) used.set(name, file);
    else pending.push(normalize(join(dirname(file), specifier.replace(/\.js$/, '.d.ts'))));
  }
}
for (const [name, file] of used) if (!declared.has(name)) problems.push(`${file} imports ${name}, which package.json does not declare`);
for (const name of Object.keys(pkg.dependencies ?? {})) if (!used.has(name)) problems.push(`dependency ${name} is imported by nothing in the package`);

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
// Markdown links read on npm or in node_modules must resolve inside the package.
for (const file of [...files].filter((f) => f.endsWith('.md'))) {
  for (const [, target] of readFileSync(resolve(ROOT, file), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target!)) continue; // https:, mailto:
    const path = normalize(join(dirname(file), target!));
    if (!files.has(path) && ![...files].some((f) => f.startsWith(`${path}/`))) problems.push(`${file} links to ${target}, which is not in the package`);
  }
}

console.log(`check-package: ${pkg.name} packs ${packed.files.length} files, ${mib(packed.size)} (${mib(packed.unpackedSize)} unpacked); ${seen.size} declaration files reachable from ${Object.keys(pkg.exports).length} entry points; imports ${[...used.keys()].sort().join(', ') || 'nothing'} outside itself`);
if (problems.length > 0) {
  console.error(`check-package:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
