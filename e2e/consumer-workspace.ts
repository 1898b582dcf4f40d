// Fresh apps that use the packed package as a new user meets it: `npm pack`, installed into
// a new folder offline from npm's cache (a lockfile made from ours names the exact versions
// and their integrity, so npm never asks the registry), models from `npx vlm-guard init`.
// The bundlers are this repo's own (vite, webpack, typescript), run on the app with no
// configuration: they resolve `vlm-guard` from the app's node_modules.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const APP_FILES = resolve(ROOT, 'e2e/consumer-app');
export const PHOTO = resolve(ROOT, '../shared/fixtures/benign-photos/chelsea.png');

interface LockEntry {
  version: string;
  integrity?: string;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

const run = (command: string, args: string[], cwd: string) => execFileSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Our lockfile's entries for `names` and everything they depend on (npm ci then needs only the cache). */
function lockEntries(names: string[]): Record<string, LockEntry> {
  const lock = JSON.parse(readFileSync(resolve(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
  const entries: Record<string, LockEntry> = {};
  const pending = [...names];
  while (pending.length > 0) {
    const name = pending.pop()!;
    const key = `node_modules/${name}`;
    if (entries[key]) continue;
    const entry = lock.packages[key];
    if (!entry) throw new Error(`consumer workspace: ${name} is not in package-lock.json at the top level`);
    entries[key] = entry;
    pending.push(...Object.keys(entry.dependencies ?? {}));
  }
  return entries;
}

export interface ConsumerWorkspace {
  dir: string;
  /** `npx vlm-guard …` in the workspace. */
  cli(args: string[], cwd?: string): string;
  /** Copies a file of e2e/consumer-app (or the photo) into the workspace. */
  put(file: string, to: string): void;
}

/** Packs the package (dist/ must be built) and installs it into a new folder, offline. */
export function makeConsumerWorkspace(): ConsumerWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'vlm-guard-consumer-'));
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], ROOT)) as [{ filename: string }];
  const pkg = JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
    peerDependencies: Record<string, string>;
    peerDependenciesMeta: Record<string, { optional: boolean }>;
    bin: Record<string, string>;
  };
  const spec = `file:${packed.filename}`;
  // playwright-core: the optional peer `vlm-guard check` drives Chromium with.
  const manifest = { name: 'consumer-app', private: true, type: 'module', dependencies: { 'vlm-guard': spec }, devDependencies: { 'playwright-core': pkg.devDependencies['playwright-core']! } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  const lock = {
    name: manifest.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: manifest.name, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
      'node_modules/vlm-guard': { version: pkg.version, resolved: spec, dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta, bin: pkg.bin },
      ...lockEntries([...Object.keys(pkg.dependencies), 'playwright-core']),
    },
  };
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
  return {
    dir,
    cli: (args, cwd = dir) => run('npx', ['--offline', 'vlm-guard', ...args], cwd),
    put: (file, to) => {
      mkdirSync(resolve(dir, to, '..'), { recursive: true });
      copyFileSync(file === 'photo' ? PHOTO : join(APP_FILES, file), join(dir, to));
    },
  };
}
