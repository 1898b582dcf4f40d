// The folder of the vlm-guard package this CLI runs from: `dist/cli.js` in an installed
// package, `src/cli/*.ts` in the repo. Found by walking up to our package.json, so both work.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function packageRoot(from: string = import.meta.dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'vlm-guard') return dir;
    if (dirname(dir) === dir) throw new Error(`vlm-guard: no vlm-guard package.json above ${from}`);
  }
}
