// Fresh apps that use the packed package as a new user meets it: `npm pack`, installed into
// a new folder offline from npm's cache (a lockfile made from ours names the exact versions
// and their integrity, so npm never asks the registry), models from `npx vlm-guard init`.
// The bundlers are this repo's own (vite, webpack, typescript), run on the app with no
// configuration: they resolve `vlm-guard` from the app's node_modules.
import { execFileSync } from 'node:child_process';
import { cpSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  /** Removes the workspace and its apps. */
  dispose(): void;
  /** `npx vlm-guard …` in the workspace. */
  cli(args: string[], cwd?: string): string;
  /** Copies a file of e2e/consumer-app (or the photo) into the workspace. */
  put(file: string, to: string): void;
  /**
   * An app with its own bundler, as its developer has it: e2e/consumer-app/apps/<name>/ (its
   * files, and a package.json + lockfile made with `npm install -E --package-lock-only
   * <bundler>@<version>`), copied beside the workspace, the packed vlm-guard added, installed
   * (from npm's cache when it has the versions, else the registry). Returns its absolute folder;
   * `put` and `cli` take paths in it as absolute paths.
   */
  app(name: string): string;
}

/** Packs the package (dist/ must be built) and installs it into a new folder, offline. */
export function makeConsumerWorkspace(): ConsumerWorkspace {
  // The workspace and each app() side by side: an app's folder has no lockfile above it (Next.js
  // takes the highest one it finds for the project's root).
  const root = mkdtempSync(join(tmpdir(), 'vlm-guard-consumer-'));
  const dir = join(root, 'workspace');
  mkdirSync(dir);
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
  /** vlm-guard as a dependency of a folder `from` the workspace, with the lock entries it needs. */
  const vlmGuardEntries = (from: string) => ({
    'node_modules/vlm-guard': { version: pkg.version, resolved: `${from}${packed.filename}`, dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta, bin: pkg.bin },
    ...lockEntries(Object.keys(pkg.dependencies)),
  });
  // playwright-core: the optional peer `vlm-guard check` drives Chromium with.
  const manifest = { name: 'consumer-app', private: true, type: 'module', dependencies: { 'vlm-guard': spec }, devDependencies: { 'playwright-core': pkg.devDependencies['playwright-core']! } };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  const lock = {
    name: manifest.name,
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: manifest.name, dependencies: manifest.dependencies, devDependencies: manifest.devDependencies },
      ...vlmGuardEntries('file:'),
      ...lockEntries(['playwright-core']),
    },
  };
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify(lock, null, 2));
  run('npm', ['ci', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
  return {
    dir,
    dispose: () => rmSync(root, { recursive: true, force: true }),
    cli: (args, cwd = dir) => run('npx', ['--offline', 'vlm-guard', ...args], cwd),
    put: (file, to) => {
      mkdirSync(resolve(dir, to, '..'), { recursive: true });
      copyFileSync(file === 'photo' ? PHOTO : join(APP_FILES, file), resolve(dir, to));
    },
    app: (name) => {
      const app = join(root, name);
      cpSync(join(APP_FILES, 'apps', name), app, { recursive: true });
      const appPkg = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      const appLock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dependencies?: Record<string, string> }> };
      appPkg.dependencies['vlm-guard'] = `file:../workspace/${packed.filename}`;
      appLock.packages['']!.dependencies = appPkg.dependencies;
      appLock.packages = { ...vlmGuardEntries('file:../workspace/'), ...appLock.packages };
      writeFileSync(join(app, 'package.json'), JSON.stringify(appPkg, null, 2));
      writeFileSync(join(app, 'package-lock.json'), JSON.stringify(appLock, null, 2));
      run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts'], app);
      return app;
    },
  };
}
