// The packed package (npm pack) in fresh apps, as a new user meets it (issues 19, 29): installed
// from npm's cache, models from `npx vlm-guard init`, and each app — Vite 6, 7 and 8 (dev server
// and build, each the app's own Vite run by its CLI), Next.js 16 (`next dev`, `next build` with
// Turbopack and with webpack), a webpack 5 build, a static page with the one tag — evaluates a
// photo and a red square in Chromium through `createGuard()` with no options and no bundler config.
// A TypeScript app type-checks against the shipped declarations (and misuse does not).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Page } from '@playwright/test';
import webpack from 'webpack';
import { startAppServer } from './app-server.ts';
import { type ConsumerWorkspace, makeConsumerWorkspace } from './consumer-workspace.ts';
import { type StaticHost, serveStatic } from '../src/cli/static-server.ts';
import { expect, foreignRequests, recordCspViolations, strictCsp, test } from './support.ts';

const ROOT = resolve(import.meta.dirname, '..');
let ws: ConsumerWorkspace;

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  test.setTimeout(180_000);
  if (!existsSync(resolve(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');
  ws = makeConsumerWorkspace();
  ws.put('index.html', 'vite-app/index.html');
  ws.put('main.js', 'vite-app/main.js');
  ws.put('check.js', 'vite-app/public/check.js');
  ws.put('photo', 'vite-app/public/photo.png');
});

test.afterAll(() => {
  ws?.dispose();
});

interface ConsumerResult {
  error?: string;
  backends: { clip: string; reward: string };
  models: { clip: string; reward: string };
  unsafe: { decision: string; image: string; response: string };
  safe: { decision: string; image: string; response: string };
}

/** Opens the app and awaits what it reports; fails on any failed request or one leaving the origin. */
async function runApp(page: Page, origin: string): Promise<{ result: ConsumerResult; requests: string[] }> {
  const requests: string[] = [];
  const failed: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) failed.push(`${r.status()} ${r.url()}`);
  });
  page.on('pageerror', (e) => failed.push(`page error: ${e.message}`));
  // (A failed load is in the responses above, with its URL; its console line has none.)
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) failed.push(`console: ${m.text()}`);
  });
  await page.goto(`${origin}/`, { timeout: 120_000 });
  // Bounded, so that a load that never settles fails with what the page said and asked for.
  const settled = await page
    .waitForFunction(() => (window as unknown as { consumerResult?: Promise<unknown> }).consumerResult !== undefined, undefined, { timeout: 30_000 })
    .then(() => page.evaluate(() => Promise.race([(window as unknown as { consumerResult: Promise<ConsumerResult> }).consumerResult, new Promise<null>((r) => setTimeout(() => r(null), 120_000))])));
  expect(settled, `no result in 120 s; failures: ${failed.join('; ')}; requests: ${requests.slice(-15).join(' ')}`).not.toBeNull();
  const result = settled!;
  expect(failed).toEqual([]);
  expect(foreignRequests(requests, origin, [])).toEqual([]);
  return { result, requests };
}

/** What every app must report: test-clip judges the red square unsafe and the photo safe; ETA aligns only the first. */
function expectJudged(result: ConsumerResult): void {
  expect(result.error).toBeUndefined();
  expect(result.models).toEqual({ clip: 'test-clip', reward: 'test-reward' });
  expect(['webgpu', 'wasm']).toContain(result.backends.clip);
  expect(result.unsafe).toEqual({ decision: 'align', image: 'unsafe', response: 'unsafe' });
  expect(result.safe).toEqual({ decision: 'pass', image: 'safe', response: 'safe' });
}

/** ORT's runtime came from where the app's build put it (webpack names it by hash alone), not from a folder the user had to set up. */
const ortWasmRequests = (requests: string[]) => requests.filter((u) => /\.wasm$/.test(u));

test('CLI: init puts the manifest and the test models where createGuard() looks; bad use is an error with the usage', () => {
  const out = ws.cli(['init', 'vite-app/public']);
  expect(out).toContain('init: ready');
  const models = join(ws.dir, 'vite-app/public/models');
  expect(readdirSync(models).sort()).toEqual(['manifest.json', 'test-clip', 'test-reward', 'test-vlm']);
  const manifest = JSON.parse(readFileSync(join(models, 'manifest.json'), 'utf8')) as { defaults: { clip: string } };
  expect(manifest.defaults.clip).toBe('test-clip');
  // A second init keeps the manifest (it may record fetched models and calibrated thresholds).
  expect(ws.cli(['init', 'vite-app/public'])).toContain('kept');

  const failing = (args: string[]) => {
    try {
      ws.cli(args);
    } catch (error) {
      const e = error as { status: number; stderr: string };
      return { status: e.status, stderr: e.stderr };
    }
    throw new Error(`vlm-guard ${args.join(' ')} succeeded`);
  };
  expect(failing(['init', 'x', '--tier', 'huge'])).toMatchObject({ status: 2, stderr: expect.stringContaining('no tier "huge"') });
  expect(failing(['frobnicate'])).toMatchObject({ status: 2, stderr: expect.stringContaining('usage: vlm-guard <command>') });
  expect(failing(['fetch', '--tier', 'light', '--models', join(ws.dir, 'nowhere')])).toMatchObject({ status: 2, stderr: expect.stringContaining('has no manifest.json') });
});

test('CLI: check loads each installed model in Chromium from the installed package and runs its probes', () => {
  test.setTimeout(240_000);
  const out = ws.cli(['check', '--models', 'vite-app/public/models']);
  expect(out).toContain('check: 3 model(s)');
  expect(out).toMatch(/a saturated red image scores unsafe \(designed\)/);
  expect(out).toMatch(/\n\d+ passed, 0 failed/);
});

/** Vite 6, 7 and 8, each the app's own devDependency, run by its own CLI with no config file. */
for (const vite of ['vite8', 'vite7', 'vite6'] as const) {
  const major = vite.slice(4);
  test.describe(`Vite ${major}`, () => {
    let app: string;
    test.beforeAll(() => {
      test.setTimeout(180_000);
      app = ws.app(vite);
      ws.put('index.html', `${app}/index.html`);
      ws.put('main.js', `${app}/main.js`);
      ws.put('check.js', `${app}/public/check.js`);
      ws.put('photo', `${app}/public/photo.png`);
      ws.cli(['init', `${app}/public`]);
    });
    const viteCli = ['node_modules/vite/bin/vite.js'];

    test(`Vite ${major} dev server: the bare import works with no config (dependency pre-bundling keeps the workers and ORT reachable)`, async ({ page }) => {
      const server = await startAppServer([...viteCli, '--host', '127.0.0.1', '--port', '{port}', '--strictPort'], app);
      try {
        const { result, requests } = await runApp(page, server.origin);
        expectJudged(result);
        expect(ortWasmRequests(requests)).not.toEqual([]);
        expect(requests.some((u) => u.includes('/node_modules/.vite/deps/'))).toBe(true); // it was pre-bundled
      } finally {
        await server.close();
      }
    });

    test(`Vite ${major} build: the workers and ORT are emitted with the app and found there`, async ({ page }) => {
      execFileSync(process.execPath, [...viteCli, 'build', '--logLevel', 'warn'], { cwd: app, stdio: 'pipe' });
      const emitted = readdirSync(join(app, 'dist/assets'));
      expect(emitted.filter((f) => /^ort-wasm-simd-threaded\.asyncify.*\.wasm$/.test(f))).toHaveLength(1);
      expect(emitted.some((f) => /^clip\.worker.*\.js$/.test(f))).toBe(true);
      const host = await serveStatic([['/', join(app, 'dist')]]);
      try {
        const { result, requests } = await runApp(page, host.origin);
        expectJudged(result);
        expect(ortWasmRequests(requests).every((u) => u.startsWith(`${host.origin}/assets/`))).toBe(true);
      } finally {
        await host.close();
      }
    });
  });
}

/** Next.js 16, App Router, a 'use client' page importing vlm-guard at its top: no next.config. */
test.describe('Next.js 16', () => {
  let app: string;
  const next = ['node_modules/next/dist/bin/next'];
  const env = { NEXT_TELEMETRY_DISABLED: '1' };
  test.beforeAll(() => {
    test.setTimeout(300_000);
    app = ws.app('next');
    ws.put('check.js', `${app}/public/check.js`);
    ws.put('photo', `${app}/public/photo.png`);
    ws.cli(['init', `${app}/public`]);
  });

  for (const bundler of ['Turbopack', 'webpack'] as const) {
    test(`next dev (${bundler}, React StrictMode): the page evaluates a photo and aligns a red square; mount, unmount, mount load one set of workers`, async ({ page }) => {
      test.setTimeout(300_000);
      rmSync(join(app, '.next'), { recursive: true, force: true });
      const server = await startAppServer([...next, 'dev', ...(bundler === 'webpack' ? ['--webpack'] : []), '--hostname', '127.0.0.1', '--port', '{port}'], app, env);
      try {
        const { result, requests } = await runApp(page, server.origin);
        expectJudged(result);
        expect(ortWasmRequests(requests)).toHaveLength(1);
        expect(await page.evaluate(() => (window as unknown as { mounts: number }).mounts)).toBe(2); // StrictMode ran the effect twice
        expect(page.workers()).toHaveLength(2); // one CLIP and one reward worker: the second mount took the first one's load
      } finally {
        await server.close();
      }
    });
  }

  for (const bundler of ['Turbopack', 'webpack'] as const) {
    test(`next build (${bundler}) && next start: the workers and ORT are emitted once and found`, async ({ page }) => {
      test.setTimeout(300_000);
      rmSync(join(app, '.next'), { recursive: true, force: true });
      execFileSync(process.execPath, [...next, 'build', ...(bundler === 'webpack' ? ['--webpack'] : [])], { cwd: app, stdio: 'pipe', env: { ...process.env, ...env } });
      const emitted = readdirSync(join(app, '.next/static'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wasm'));
      expect(emitted, 'one copy of ORT\'s runtime in the build').toHaveLength(1);
      const server = await startAppServer([...next, 'start', '--hostname', '127.0.0.1', '--port', '{port}'], app, env);
      try {
        const { result, requests } = await runApp(page, server.origin);
        expectJudged(result);
        expect(ortWasmRequests(requests)).toHaveLength(1);
        expect(page.workers()).toHaveLength(2);
      } finally {
        await server.close();
      }
    });
  }
});

test('webpack 5 production build (as Next.js client code is built): no config, the workers and ORT are emitted as assets', async ({ page }) => {
  test.setTimeout(300_000);
  const app = join(ws.dir, 'webpack-app');
  ws.put('main.js', 'webpack-app/src/index.js');
  // `npx webpack --mode production` in the app's folder, with no config file: webpack's defaults
  // (./src → ./dist/main.js, both relative to that folder), only the mode chosen.
  const stats = await new Promise<webpack.Stats>((done, reject) =>
    webpack({ mode: 'production', context: app, output: { path: join(app, 'dist') } }, (error, result) => (error || !result ? reject(error ?? new Error('no stats')) : done(result))),
  );
  expect(stats.toJson({ all: false, errors: true }).errors ?? []).toEqual([]);
  ws.put('webpack.html', 'webpack-app/dist/index.html');
  ws.put('check.js', 'webpack-app/dist/check.js');
  ws.put('photo', 'webpack-app/dist/photo.png');
  const host = await serveStatic([
    ['/models/', join(ws.dir, 'vite-app/public/models')],
    ['/', join(app, 'dist')],
  ]);
  try {
    const { result, requests } = await runApp(page, host.origin);
    expectJudged(result);
    const wasm = ortWasmRequests(requests);
    expect(wasm).not.toEqual([]);
    expect(wasm.every((u) => existsSync(join(app, 'dist', new URL(u).pathname)))).toBe(true);
  } finally {
    await host.close();
  }
});

test('a static folder with the one tag (init --script), under a strict CSP: window.VLMGuard.ready from a host script right after it', async ({ page }) => {
  ws.cli(['init', 'static', '--script']);
  ws.put('static.html', 'static/index.html');
  ws.put('check.js', 'static/check.js');
  ws.put('host.js', 'static/host.js');
  ws.put('photo', 'static/photo.png');
  const host: StaticHost = await serveStatic([['/', join(ws.dir, 'static')]], { 'content-security-policy': strictCsp() });
  const violations = recordCspViolations(page);
  try {
    const { result, requests } = await runApp(page, host.origin);
    expectJudged(result);
    expect(ortWasmRequests(requests).every((u) => u.startsWith(`${host.origin}/vlm-guard/ort/`))).toBe(true);
    expect(violations).toEqual([]);
  } finally {
    await host.close();
  }
});

test('Node (server-side code, SSR): importing vlm-guard and vlm-guard/ai-sdk is harmless; the README\'s AI SDK example rejects with ENVIRONMENT_UNSUPPORTED saying where it runs', () => {
  writeFileSync(
    join(ws.dir, 'server.mjs'),
    `import { createGuard } from 'vlm-guard';
import { vlmGuardMiddleware } from 'vlm-guard/ai-sdk';
const guard = createGuard({ modelBase: '/models/' });
const middleware = vlmGuardMiddleware({ guard });
const error = await guard.catch((e) => e);
console.log(JSON.stringify({ middleware: typeof middleware, name: error.name, code: error.code, message: error.message }));
`,
  );
  const out = JSON.parse(execFileSync(process.execPath, ['server.mjs'], { cwd: ws.dir, encoding: 'utf8' })) as { middleware: string; name: string; code: string; message: string };
  expect(out).toMatchObject({ middleware: 'object', name: 'GuardError', code: 'ENVIRONMENT_UNSUPPORTED' });
  expect(out.message).toMatch(/runs in the browser page.*vlmGuardMiddleware in the page/);
});

test('TypeScript app: tsc --noEmit passes with the shipped types (bundler and NodeNext resolution), and rejects misuse', () => {
  const app = join(ws.dir, 'ts-app');
  ws.put('app.ts', 'ts-app/app.ts');
  ws.put('misuse.ts', 'ts-app/misuse.ts');
  const tsc = (resolution: 'Bundler' | 'NodeNext', files: string[]) => {
    const config = join(app, `tsconfig.${resolution}.${files[0]}.json`);
    const module = resolution === 'Bundler' ? 'ESNext' : 'NodeNext';
    writeFileSync(
      config,
      JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', lib: ['ES2022', 'DOM'], module, moduleResolution: resolution, types: [], skipLibCheck: false }, files }),
    );
    try {
      execFileSync(process.execPath, [resolve(ROOT, 'node_modules/typescript/bin/tsc'), '-p', config], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
      return '';
    } catch (error) {
      return (error as { stdout: string }).stdout || 'tsc failed without output';
    }
  };
  expect(tsc('Bundler', ['app.ts'])).toBe('');
  expect(tsc('NodeNext', ['app.ts'])).toBe('');
  const misuse = tsc('Bundler', ['misuse.ts']);
  expect(misuse).toMatch(/misuse\.ts\(4,.*'"cuda"' is not assignable/);
  expect(misuse).toMatch(/misuse\.ts\(5,.*'"block"'/);
});
