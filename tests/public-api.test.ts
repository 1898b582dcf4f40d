// The public API is small and documented: the README's API table lists exactly the
// values src/index.ts exports (types aside), and each exists.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('public API', () => {
  it('the README lists every value export, and nothing else', async () => {
    const api = await import('../src/index.ts');
    const readme = readFileSync(resolve(import.meta.dirname, '../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## API'), readme.indexOf('\n## ', readme.indexOf('## API') + 1));
    // First cell of each table row: `name`, `name(args)` or `a`, `b`.
    const listed = section
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .flatMap((line) => [...line.split('|')[1]!.matchAll(/`([A-Za-z]+)/g)].map((m) => m[1]!));
    expect(listed.sort()).toEqual(Object.keys(api).sort());
    expect(listed.length).toBeLessThanOrEqual(12);
  });
});
