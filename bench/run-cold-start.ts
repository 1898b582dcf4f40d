// npm run bench:cold -- [--baseline <commit>] — issue 29 item 3: a cold visit (fresh browser
// profile: no HTTP cache, no compiled-code cache) creating one guard with image text on (three
// workers: CLIP, reward, OCR), this tree's package against the package built at <baseline>
// (default HEAD~1), ABAB pairs, same files, same page, same server. Counts the requests for ORT's
// .wasm as the server saw them and times createGuard() in the page. Prints the table and writes
// bench/COLD-START.md (every figure from this run).
//
// Chromium runs without a DevTools connection (as in bench:image): the page posts its result.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sirv from 'sirv';
import { chromiumLaunchOptions } from '../src/cli/chromium.ts';
import { envNumber } from './stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PAIRS = envNumber('BENCH_PAIRS', 5);
const { values } = parseArgs({ options: { baseline: { type: 'string', default: 'HEAD~1' } } });
const baselineCommit = execFileSync('git', ['rev-parse', '--short', values.baseline!], { cwd: ROOT, encoding: 'utf8' }).trim();
const currentCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src', 'workers', 'vite.lib.config.ts'], { cwd: ROOT, encoding: 'utf8' }).trim() !== '';
if (!existsSync(join(ROOT, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first');

/** The package as <commit> built it: a worktree, this repo's node_modules and ORT files, its lib build. */
function buildAt(commit: string): string {
  const tree = mkdtempSync(join(tmpdir(), 'vlm-guard-baseline-'));
  execFileSync('git', ['worktree', 'add', '--detach', '-f', tree, commit], { cwd: ROOT, stdio: 'ignore' });
  symlinkSync(join(ROOT, 'node_modules'), join(tree, 'node_modules'));
  cpSync(join(ROOT, 'public/ort'), join(tree, 'public/ort'), { recursive: true });
  execFileSync(process.execPath, [join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '-c', 'vite.lib.config.ts', '--logLevel', 'error'], { cwd: tree, stdio: 'inherit' });
  return tree;
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>cold start</title>
<script type="module">
const t0 = performance.now();
const report = (body) => fetch('/__result', { method: 'POST', body: JSON.stringify(body) });
try {
  const { createGuard } = await import('./index.js');
  const guard = await createGuard({ device: 'wasm', modelBase: '/models/', imageText: 'on' });
  await report({ ms: performance.now() - t0, loadMs: guard.info.loadMs, heapMiB: performance.memory ? performance.memory.usedJSHeapSize / 2 ** 20 : null });
} catch (error) {
  await report({ error: String(error && error.message || error) });
}
</script>`;

interface Run {
  build: 'baseline' | 'current';
  ms: number;
  wasmRequests: number;
  wasmMiB: number;
  loadMs: { clip: number; reward: number; ocr?: number };
}

const tree = buildAt(baselineCommit);
const dists = { baseline: join(tree, 'dist'), current: join(ROOT, 'dist') };
for (const dist of Object.values(dists)) writeFileSync(join(dist, 'cold-start.html'), PAGE);
const mounts = [
  ['/baseline/', sirv(dists.baseline, { dev: true })],
  ['/current/', sirv(dists.current, { dev: true })],
  ['/models/', sirv(join(ROOT, 'models'), { dev: true })],
] as const;
let wasm = { count: 0, bytes: 0 };
let deliver: (body: string) => void = () => undefined;
const server = createServer((req, res) => {
  if (req.url === '/__result') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => (res.end('ok'), deliver(body)));
    return;
  }
  const url = req.url ?? '/';
  if (url.split('?')[0]!.endsWith('.wasm')) {
    wasm.count++;
    const write = res.write.bind(res);
    res.write = ((chunk: Buffer | string, ...rest: never[]) => {
      wasm.bytes += Buffer.byteLength(chunk);
      return write(chunk, ...rest);
    }) as typeof res.write;
  }
  const mount = mounts.find(([prefix]) => url.startsWith(prefix));
  if (!mount) return void res.writeHead(404).end();
  req.url = `/${url.slice(mount[0].length)}`;
  mount[1](req, res, () => void res.writeHead(404).end());
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

async function coldVisit(build: Run['build']): Promise<Run> {
  wasm = { count: 0, bytes: 0 };
  const posted = new Promise<string>((r) => (deliver = r));
  const profile = mkdtempSync(join(tmpdir(), 'vlm-guard-cold-'));
  const chromium = spawn(chromiumLaunchOptions.executablePath ?? 'chromium', [...(chromiumLaunchOptions.args ?? []), '--remote-debugging-port=0', `--user-data-dir=${profile}`, `${origin}/${build}/cold-start.html`], { stdio: 'ignore', detached: true });
  try {
    const body = JSON.parse(await Promise.race([posted, new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no result in 5 min')), 300_000).unref())])) as Omit<Run, 'build' | 'wasmRequests' | 'wasmMiB'> & { error?: string };
    if (body.error) throw new Error(`${build}: ${body.error}`);
    return { build, ms: body.ms, loadMs: body.loadMs, wasmRequests: wasm.count, wasmMiB: wasm.bytes / 2 ** 20 };
  } finally {
    // Debian's chromium is a wrapper script: the browser and its helpers are its process group.
    const exited = new Promise((r) => chromium.once('exit', r));
    process.kill(-chromium.pid!, 'SIGKILL');
    await exited;
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

const runs: Run[] = [];
try {
  for (let i = 0; i < PAIRS; i++) for (const build of ['baseline', 'current'] as const) runs.push(await coldVisit(build));
} finally {
  server.close();
  server.closeAllConnections();
  execFileSync('git', ['worktree', 'remove', '--force', tree], { cwd: ROOT, stdio: 'ignore' });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const of = (build: Run['build']) => runs.filter((r) => r.build === build);
const row = (build: Run['build'], label: string) => {
  const rs = of(build);
  return `| ${label} | ${rs.map((r) => r.ms.toFixed(0)).join(', ')} | ${median(rs.map((r) => r.ms)).toFixed(0)} | ${[...new Set(rs.map((r) => r.wasmRequests))].join('/')} | ${median(rs.map((r) => r.wasmMiB)).toFixed(1)} MiB |`;
};
const ratio = median(of('current').map((r) => r.ms)) / median(of('baseline').map((r) => r.ms));
const report = `# Cold start: one ORT runtime per page (issue 29, item 3)

\`npm run bench:cold\` on ${new Date().toISOString().slice(0, 10)}: a cold visit (a fresh Chromium profile, so no HTTP or compiled-code
cache) that creates one guard with image text on — three workers (CLIP, reward, OCR) on WASM, the generated test
models and PP-OCRv4 — served from one local server; ${PAIRS} ABAB pairs, each visit its own browser. Baseline: the
package built at ${baselineCommit}; current: this tree (${currentCommit}${dirty ? ' with uncommitted changes' : ''}). Time: createGuard() in the page,
from the module's import to the ready guard. Requests: what the server saw for ORT's .wasm.

| build | createGuard() ms, each visit | median | .wasm requests | .wasm bytes sent |
|---|---|---|---|---|
${row('baseline', `baseline (${baselineCommit}): each worker fetches and compiles`)}
${row('current', 'current: fetched and compiled once on the page')}

Current / baseline (medians): **${ratio.toFixed(2)}×**.
`;
console.log(report);
writeFileSync(join(ROOT, 'bench/COLD-START.md'), report);
