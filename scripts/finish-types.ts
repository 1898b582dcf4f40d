// tsc keeps our source's `.ts` import specifiers in the .d.ts files it emits; the
// published declarations sit beside `.js` files, so point them at `.js`.
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const TYPES = resolve(import.meta.dirname, '../dist/types');
const SPECIFIER = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g;

let files = 0;
for (const entry of readdirSync(TYPES, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.d.ts')) continue;
  const path = join(entry.parentPath, entry.name);
  const text = readFileSync(path, 'utf8');
  const fixed = text.replace(SPECIFIER, '$1$2.js$3');
  if (fixed !== text) writeFileSync(path, fixed);
  files++;
}
console.log(`types: ${files} declaration files in dist/types`);
