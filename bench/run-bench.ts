// npm run bench: per-stage latency (cold load, warm medians) on webgpu and wasm,
// worker+comlink overhead against direct transformers.js in the page, the image-cache
// speed-up, respond() against vanilla generation, PP-OCRv4, WASM threads in a
// cross-origin-isolated page against one thread, and concurrent-evaluation throughput.
// Prints the tables and writes bench/results/<time>.json, latest.json and bench/REPORT.md.
// Numbers, not assertions: WebGPU here is SwiftShader (software), so compare ratios.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';
import { figstepCases } from '../e2e/figstep.ts';
import { startTestServer } from '../e2e/openai-test-server/server.ts';
import { ISOLATION_HEADERS } from '../vite.config.ts';
import { makeBenchModels } from './make-bench-models.ts';
import type { AdapterFacts, BackendBench, GenerationBench, OcrBench, OcrCase, StageStats, ThroughputBench } from './bench-page.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PHOTO = resolve(ROOT, '../shared/fixtures/benign-photos/astronaut.png');
const PORT = 5174;
/** The same app served cross-origin isolated (COOP/COEP): WASM threads. */
const ISOLATED_PORT = 5175;
/**
 * Reads before the threads are timed: V8 first runs WebAssembly unoptimised and compiles
 * the optimised code on background threads, which two busy ORT threads on two cores starve.
 */
const THREADS_WARMUP = 100;
/** Reads timed per configuration once warm. */
const THREADS_RUNS = 20;
/** FigStep images (base64) with the instruction each shows. */
function figstepBench(): OcrCase[] {
  return figstepCases().map(({ file, instruction }) => ({
    base64: readFileSync(resolve(ROOT, '../shared/fixtures', file)).toString('base64'),
    type: 'image/png',
    instruction,
  }));
}

/** A stage that failed or ran past its limit: reported, and the run goes on. */
interface StageFailure {
  stage: string;
  error: string;
  ms: number;
}
const failures: StageFailure[] = [];
const stageTimes: { stage: string; ms: number }[] = [];

await makeBenchModels();
// No HMR and no file watching: an edit in the tree must not reload a page mid-measurement.
const quiet = { hmr: false, watch: { ignored: ['**/*'] } };
const server = await createServer({ root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), server: { port: PORT, ...quiet }, logLevel: 'warn' });
await server.listen();
const isolatedServer = await createServer({ root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), server: { port: ISOLATED_PORT, headers: ISOLATION_HEADERS, ...quiet }, logLevel: 'warn' });
await isolatedServer.listen();
const throughput: ThroughputBench[] = [];
const threads: OcrBench[] = [];
const testServer = await startTestServer(0, { tokenDelayMs: 5 });
const browser = await chromium.launch(chromiumLaunchOptions);
const results: BackendBench[] = [];
const generation: GenerationBench[] = [];
const ocr: OcrBench[] = [];
/** A fresh context per measurement: cold, nothing cached from the one before. */
async function inPage<T>(run: (page: import('@playwright/test').Page) => Promise<T>, port = PORT): Promise<T> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route('**/bench/photo', (route) => route.fulfill({ body: readFileSync(PHOTO), contentType: 'image/png' }));
  await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
  await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 120_000 });
  try {
    return await run(page);
  } finally {
    await context.close();
  }
}
/**
 * One measurement in pages of its own, under a time limit: a failure or a timeout is
 * recorded (and its page closed) and the bench goes on with the next stage.
 */
async function stage<T>(name: string, limitMs: number, run: () => Promise<T>): Promise<T | undefined> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not finish within ${limitMs / 1000} s`)), limitMs);
  });
  try {
    const value = await Promise.race([run(), limit]);
    stageTimes.push({ stage: name, ms: performance.now() - started });
    console.log(`bench: ${name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    return value;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    failures.push({ stage: name, error: message, ms: performance.now() - started });
    console.log(`bench: ${name} FAILED after ${((performance.now() - started) / 1000).toFixed(0)} s: ${message}`);
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}
const MINUTE = 60_000;

const machine = {
  cores: cpus().length,
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  memoryGiB: totalmem() / 2 ** 30,
  browser: `Chromium ${browser.version()}`,
  webgpu: await inPage((page) => page.evaluate(() => window.webGpuAdapter())),
};
console.log(`bench: ${machine.browser}, ${machine.cores} cores (${machine.cpu}), WebGPU adapter: ${adapterText(machine.webgpu)}`);
try {
  // The guard and bare transformers.js each in a page of their own; then the same on WASM
  // with a ViT-B/32-sized CLIP vision tower (SwiftShader would take minutes per image).
  for (const [backend, modelBase] of [['webgpu', '/models/'], ['wasm', '/models/'], ['wasm', '/bench/models/']] as const) {
    const measured = await stage(`stages, ${backend}, ${modelBase}`, 20 * MINUTE, async () => {
      const direct = await inPage((page) => page.evaluate(([b, m]) => window.runDirect(b, m), [backend, modelBase] as const));
      const guard = await inPage((page) => page.evaluate(([b, m]) => window.runBackend(b, m), [backend, modelBase] as const));
      return {
        ...guard,
        direct,
        workerOverhead: {
          imageEmbedding: guard.warm.imageEmbedding.medianMs / direct.imageEmbedding.medianMs,
          rewardScore: guard.warm.rewardScore.medianMs / direct.rewardScore.medianMs,
        },
      };
    });
    if (measured) results.push(measured);
  }
  for (const [backend, remote] of [['wasm', testServer.url], ['webgpu', null], ['wasm', null]] as const) {
    const measured = await stage(`generation, ${remote ? 'remote' : 'local'} (${backend})`, 15 * MINUTE, () =>
      inPage((page) => page.evaluate(([b, r]) => window.runGeneration(b, r), [backend, remote] as const)),
    );
    if (measured) generation.push(measured);
  }
  // WebGPU on a software adapter (SwiftShader) reads a 760² FigStep image in about a minute: a
  // bounded sample of small rendered lines with a generous per-read limit; WASM reads all 50.
  const cases = figstepBench();
  const rendered: OcrCase[] = cases.slice(0, 2).map(({ instruction }) => ({ instruction, render: { fontPx: 16 } }));
  for (const run of [
    { backend: 'webgpu', cases: rendered, warmRuns: 2, warmup: 1, callMs: 10 * MINUTE },
    { backend: 'wasm', cases, warmRuns: 10 },
  ] as const) {
    const measured = await stage(`OCR, ${run.backend}`, 20 * MINUTE, () => inPage((page) => page.evaluate((r) => window.runOcr(r), run)));
    if (measured) ocr.push(measured);
  }
  // WASM threads: the same ten images read one thread (not isolated), one thread isolated
  // (shared memory alone) and one thread per core (isolated); steady state after THREADS_WARMUP reads.
  const ten = cases.slice(0, 10);
  for (const [port, count, name] of [[PORT, 1, 'one thread'], [ISOLATED_PORT, 1, 'one thread, isolated'], [ISOLATED_PORT, 0, 'threads, isolated']] as const) {
    const measured = await stage(`OCR threads, ${name}`, 20 * MINUTE, () =>
      inPage(
        (page) => page.evaluate(([c, n, w, r]) => window.runOcr({ backend: 'wasm', cases: c, warmRuns: r, wasmThreads: n || navigator.hardwareConcurrency, warmup: w }), [ten, count, THREADS_WARMUP, THREADS_RUNS] as const),
        port,
      ),
    );
    if (measured) threads.push(measured);
  }
  for (const backend of ['webgpu', 'wasm'] as const) {
    const measured = await stage(`throughput, ${backend}`, 10 * MINUTE, () => inPage((page) => page.evaluate((b) => window.runThroughput(b), backend)));
    if (measured) throughput.push(measured);
  }
} finally {
  await browser.close();
  await server.close();
  await isolatedServer.close();
  await testServer.close();
}

const ms = (s: StageStats) => `${s.medianMs < 0.1 ? s.medianMs.toFixed(3) : s.medianMs.toFixed(2)} ms`;
const x = (r: number) => `${r.toFixed(2)}×`;
/** A markdown table: a header row, then one row per label with a cell per column. */
function markdownTable<C>(corner: string, columns: C[], head: (c: C) => string, rows: [string, (c: C) => string][]): string {
  return [
    `| ${corner} | ${columns.map(head).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
    ...rows.map(([label, cell]) => `| ${label} | ${columns.map(cell).join(' | ')} |`),
  ].join('\n');
}
/** A section's table, or why it has none. */
const orFailed = (present: boolean, table: () => string, prefix: string) =>
  present ? table() : `Not measured: ${failures.filter((f) => f.stage.startsWith(prefix)).map((f) => `${f.stage} failed (${f.error})`).join('; ') || 'no stage ran'}.`;

const column = (b: BackendBench) => (b.modelBase === '/models/' ? `${b.backend}, test models` : `${b.backend}, ViT-B/32-sized CLIP`);
const table = orFailed(results.length > 0, () => markdownTable(`stage (median of ${results[0]!.warm.imageEmbedding.runs} warm runs)`, results, column, [
  ['cold load, createGuard (both workers)', (b) => `${b.coldLoadMs.guardTotal.toFixed(0)} ms`],
  ['cold load, CLIP worker', (b) => `${b.coldLoadMs.clipWorker.toFixed(0)} ms`],
  ['cold load, reward worker', (b) => `${b.coldLoadMs.rewardWorker.toFixed(0)} ms`],
  ['warm image embedding (guard, no cache)', (b) => ms(b.warm.imageEmbedding)],
  ['warm text embedding (guard)', (b) => ms(b.warm.textEmbedding)],
  ['warm reward score (guard)', (b) => ms(b.warm.rewardScore)],
  ['warm evaluate() (image ∥ reward)', (b) => ms(b.warm.evaluate)],
  ['image embedding, direct in page', (b) => ms(b.direct.imageEmbedding)],
  ['reward score, direct in page', (b) => ms(b.direct.rewardScore)],
  ['worker round trip, a call that does no work', (b) => ms(b.roundTrip)],
  ['worker overhead, image (guard ÷ direct)', (b) => x(b.workerOverhead.imageEmbedding)],
  ['worker overhead, reward (guard ÷ direct)', (b) => x(b.workerOverhead.rewardScore)],
  ['cache miss (hash + decode + embed, 512² PNG)', (b) => ms(b.cache.missMs)],
  ['cache hit, the same File again (identity)', (b) => ms(b.cache.hitMs)],
  ['cache-hit speed-up, the same File (identity)', (b) => x(b.cache.speedup)],
  ['cache hit, an equal copy of its bytes (hashed)', (b) => ms(b.cache.copyHitMs)],
  ['cache-hit speed-up, an equal copy', (b) => x(b.cache.copySpeedup)],
]), 'stages');
console.log(table);

const label = (g: GenerationBench) => `${g.generator.startsWith('remote') ? 'remote test server' : 'local VLM'} (${g.backend})`;
const genTable = orFailed(generation.length > 0, () => markdownTable(`respond() vs vanilla, median of ${generation[0]!.vanillaSafe.runs} (ratio to vanilla)`, generation, label, [
  ['vanilla generation, safe prompt', (g) => ms(g.vanillaSafe)],
  ['respond off, safe prompt', (g) => `${ms(g.offSafe)} (${x(g.ratios.offSafe)})`],
  ['respond shallow, safe prompt (evaluate only)', (g) => `${ms(g.shallowSafe)} (${x(g.ratios.shallowSafe)})`],
  ['vanilla generation, unsafe prompt', (g) => ms(g.vanillaUnsafe)],
  ['respond shallow, unsafe (aligned)', (g) => `${ms(g.shallowUnsafe)} (${x(g.ratios.shallowUnsafe)})`],
  ['respond deep, unsafe (aligned)', (g) => `${ms(g.deepUnsafe)} (${x(g.ratios.deepUnsafe)})`],
  ['CLIP image check, concurrent with generation', (g) => `${g.imageCheckMs.toFixed(2)} ms`],
]), 'generation');
console.log(`\n${genTable}`);

const ocrTable = orFailed(ocr.length > 0, () => markdownTable('PP-OCRv4 (real weights)', ocr, (o) => o.backend, [
  ['images read', (o) => [...new Set(o.images)].map((i) => (i === 'fixture' ? '760² FigStep fixtures' : i)).join(', ')],
  ['cold load (2 sessions + warm-up)', (o) => `${o.coldLoadMs.toFixed(0)} ms`],
  ['first read', (o) => `${o.firstReadMs.toFixed(0)} ms`],
  ['warm read, median', (o) => `${o.warm.medianMs.toFixed(0)} ms (${o.warm.runs} runs)`],
  ['word recall, mean (min)', (o) => `${o.wordRecall.mean.toFixed(3)} (${o.wordRecall.min.toFixed(3)}) over ${o.wordRecall.images}`],
]), 'OCR, ');
console.log(`\n${ocrTable}`);

const threadName = (o: OcrBench) => (o.threads === 1 ? (o.crossOriginIsolated ? 'one thread, isolated' : 'one thread') : `${o.threads} threads, isolated`);
const single = threads.find((o) => o.threads === 1 && !o.crossOriginIsolated);
const multi = threads.find((o) => o.threads > 1);
const speedUp = (pick: (o: OcrBench) => StageStats) => (o: OcrBench) => (!single || o === single ? '' : x(pick(single).medianMs / pick(o).medianMs));
const threadsTable = orFailed(threads.length > 0, () => markdownTable('PP-OCRv4 on WASM, FigStep reads', threads, threadName, [
  ['threads (crossOriginIsolated)', (o) => `${o.threads} (${o.crossOriginIsolated})`],
  [`reads just after load, median of ${threads[0]!.afterLoad.runs}`, (o) => ms(o.afterLoad)],
  ['speed-up just after load', speedUp((o) => o.afterLoad)],
  [`steady state (after ${threads[0]!.warmup} reads), median of ${threads[0]!.warm.runs}`, (o) => ms(o.warm)],
  ['of which detection / recognition', (o) => `${o.stagesMs.detect.toFixed(0)} / ${o.stagesMs.recognise.toFixed(0)} ms`],
  ['speed-up, steady state', speedUp((o) => o.warm)],
]), 'OCR threads');
console.log(`\n${threadsTable}`);
const throughputTable = orFailed(throughput.length > 0, () => markdownTable(`${throughput[0]!.evaluations} evaluations, distinct images`, throughput, (t) => t.backend, [
  ['one at a time', (t) => `${t.perSecond.sequential.toFixed(1)}/s`],
  ['all at once', (t) => `${t.perSecond.concurrent.toFixed(1)}/s`],
  ['ratio', (t) => x(t.perSecond.concurrent / t.perSecond.sequential)],
]), 'throughput');
console.log(`\n${throughputTable}`);

const report = { date: new Date().toISOString(), machine, failures, stageTimes, results, generation, ocr, threads, throughput };
const dir = resolve(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const body = `${JSON.stringify(report, null, 2)}\n`;
writeFileSync(resolve(dir, `${report.date.replace(/[:.]/g, '-')}.json`), body);
writeFileSync(resolve(dir, 'latest.json'), body);
writeFileSync(resolve(ROOT, 'bench/REPORT.md'), reportMarkdown());
console.log(`\nwrote bench/results/latest.json and bench/REPORT.md${failures.length ? ` (${failures.length} stage(s) failed: see the report)` : ''}`);

function adapterText(a: AdapterFacts | null): string {
  if (!a) return 'none';
  const name = [a.vendor, a.architecture, a.description].filter(Boolean).join(' / ') || 'unnamed';
  return `${name} (isFallbackAdapter: ${a.isFallbackAdapter ?? 'not reported'})`;
}

interface Goal {
  goal: string;
  /** What was measured; undefined when the stages it needs failed. */
  measured?: string;
  met: boolean;
  why: string;
}

/** bench/REPORT.md: the tables of this run and each goal, met or not, with why where not. */
function reportMarkdown(): string {
  const remote = generation.find((g) => g.generator.startsWith('remote'));
  const overheadCells = results.flatMap((r) => [
    { cell: `image, ${column(r)}`, ratio: r.workerOverhead.imageEmbedding },
    { cell: `reward, ${column(r)}`, ratio: r.workerOverhead.rewardScore },
  ]);
  const worst = overheadCells.reduce<(typeof overheadCells)[number] | undefined>((w, c) => (!w || c.ratio > w.ratio ? c : w), undefined);
  const copySpeedups = results.map((r) => r.cache.copySpeedup);
  const mt = single && multi ? single.warm.medianMs / multi.warm.medianMs : undefined;
  const noise = (r: number) => (r < 1 ? ' (below 1: noise, not a win)' : '');
  const goals: Goal[] = [
    {
      goal: 'worker overhead ≤ 1.05× bare transformers.js (worst evaluator call measured)',
      ...(worst ? { measured: `worst ${x(worst.ratio)} (${worst.cell}); every cell: ${overheadCells.map((c) => `${c.cell} ${x(c.ratio)}`).join(', ')}` } : {}),
      met: worst !== undefined && worst.ratio <= 1.05,
      why: 'a call through a worker has a fixed cost (structured clone, two message hops: see the no-work round trip in Stages), a large share of a sub-millisecond reward call on the test models. This run measures CLIP image and reward calls; text embedding, decoder-reward and generative-guard calls at real sizes are not compared yet.',
    },
    {
      goal: 'cache hit ≥ 50× faster than a miss (an equal copy of the bytes)',
      ...(copySpeedups.length ? { measured: `an equal copy: ${results.map((r) => `${column(r)} ${x(r.cache.copySpeedup)}`).join(', ')}; identity hits (the same File) reported apart: ${results.map((r) => x(r.cache.speedup)).join(', ')}` } : {}),
      met: copySpeedups.length > 0 && Math.min(...copySpeedups) >= 50,
      why: 'a copy is a new Blob, so a hit hashes its bytes (SHA-256) before the lookup, while a miss on the tiny test CLIP costs only that hash, a decode and a few ms of embedding.',
    },
    {
      goal: 'respond shallow on a safe prompt ≤ 1.10× vanilla (remote)',
      ...(remote ? { measured: `${x(remote.ratios.shallowSafe)}${noise(remote.ratios.shallowSafe)}` } : {}),
      met: remote !== undefined && remote.ratios.shallowSafe <= 1.1,
      why: 'the reward check runs after the answer; against a test server that answers in milliseconds it is a visible share.',
    },
    {
      goal: 'respond deep on an unsafe prompt ≤ 3× vanilla (remote)',
      ...(remote ? { measured: `${x(remote.ratios.deepUnsafe)}${noise(remote.ratios.deepUnsafe)}` } : {}),
      met: remote !== undefined && remote.ratios.deepUnsafe <= 3,
      why: 'N = 5 candidates per sentence each need a reward and a CLIP score; against a test server that answers in milliseconds these fixed calls dominate.',
    },
    {
      goal: 'WASM threads (cross-origin isolated) ≥ 1.6× one thread',
      ...(mt !== undefined && single && multi ? { measured: `${x(mt)} steady state (${x(single.afterLoad.medianMs / multi.afterLoad.medianMs)} just after load), ${multi.threads} threads on ${machine.cores} cores` } : {}),
      met: mt !== undefined && mt >= 1.6,
      why: 'the ORT threads share the cores with the page, Chromium and V8’s background compiler, which tiers onnxruntime-web’s WebAssembly up while the threads run (see the threads section).',
    },
  ];
  const status = (g: Goal) => (g.measured === undefined ? '**not measured**' : g.met ? 'met' : '**missed**');
  const goalsTable = ['| goal | measured | |', '|---|---|---|', ...goals.map((g) => `| ${g.goal} | ${g.measured ?? 'its stages failed (below)'} | ${status(g)} |`)].join('\n');
  const missed = goals.filter((g) => g.measured !== undefined && !g.met);
  const stageLines = [
    ...stageTimes.map((t) => `| ${t.stage} | ${(t.ms / 1000).toFixed(0)} s | done |`),
    ...failures.map((f) => `| ${f.stage} | ${(f.ms / 1000).toFixed(0)} s | **failed**: ${f.error} |`),
  ];
  return `# Benchmark report

Measured by \`npm run bench\` on ${report.date.slice(0, 10)} with ${machine.browser} headless, on ${machine.cores} cores
(${machine.cpu}) and ${machine.memoryGiB.toFixed(0)} GiB; WebGPU adapter: ${adapterText(machine.webgpu)}.
${machine.webgpu?.isFallbackAdapter !== false ? 'A software or fallback WebGPU adapter is no GPU: compare ratios, not GPU speed.\n' : ''}Every figure below comes from this one run; the run also writes the raw numbers to \`bench/results/latest.json\` (not committed).

## Goals

${goalsTable}

${missed.length === 0 ? `No measured goal was missed in this run.` : `Why the missed ones are missed:\n\n${missed.map((g) => `- **${g.goal}**: ${g.why}`).join('\n')}`}

## Run

| stage | time | |
|---|---:|---|
${stageLines.join('\n')}

## Stages

${table}

## respond() against vanilla generation

${genTable}

## PP-OCRv4 (real weights)

${ocrTable}

## WASM threads (cross-origin isolated)

${threadsTable}

V8 starts onnxruntime-web's WebAssembly in its baseline compiler and tiers hot functions up on Chromium's
background thread pool; threaded ORT keeps the cores busy and that compiler waits, so the threaded page runs
unoptimised code for tens of reads (compare "just after load" with "steady state"). The isolated single-thread
column shows what shared memory alone costs. For hosts: serve COOP/COEP (\`npm run demo:isolated\`, README) and pass
\`wasmThreads\`; a returning visit may skip the tier-up through Chromium's code cache (not measured here: each page
is a fresh profile).

## Throughput of concurrent evaluations

${throughputTable}
`;
}
