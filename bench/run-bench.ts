// npm run bench: per-stage latency (cold load, warm medians) on webgpu and wasm,
// worker+comlink overhead against direct transformers.js in the page, the image-cache
// speed-up, respond() against vanilla generation, PP-OCRv4, WASM threads in a
// cross-origin-isolated page against one thread, and concurrent-evaluation throughput.
// Prints the tables and writes bench/results/<time>.json, latest.json and bench/REPORT.md.
// Numbers, not assertions: WebGPU here is SwiftShader (software), so compare ratios.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';
import { figstepCases } from '../e2e/figstep.ts';
import { startTestServer } from '../e2e/openai-test-server/server.ts';
import { ISOLATION_HEADERS } from '../vite.config.ts';
import { makeBenchModels } from './make-bench-models.ts';
import type { BackendBench, GenerationBench, OcrBench, OcrCase, StageStats, ThroughputBench } from './bench-page.ts';

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
try {
  // The guard and bare transformers.js each in a page of their own; then the same on WASM
  // with a ViT-B/32-sized CLIP vision tower (SwiftShader would take minutes per image).
  for (const [backend, modelBase] of [['webgpu', '/models/'], ['wasm', '/models/'], ['wasm', '/bench/models/']] as const) {
    const direct = await inPage((page) => page.evaluate(([b, m]) => window.runDirect(b, m), [backend, modelBase] as const));
    const guard = await inPage((page) => page.evaluate(([b, m]) => window.runBackend(b, m), [backend, modelBase] as const));
    results.push({
      ...guard,
      direct,
      workerOverhead: {
        imageEmbedding: guard.warm.imageEmbedding.medianMs / direct.imageEmbedding.medianMs,
        rewardScore: guard.warm.rewardScore.medianMs / direct.rewardScore.medianMs,
      },
    });
  }
  for (const [backend, remote] of [['wasm', testServer.url], ['webgpu', null], ['wasm', null]] as const) {
    generation.push(await inPage((page) => page.evaluate(([b, r]) => window.runGeneration(b, r), [backend, remote] as const)));
  }
  // WebGPU here is SwiftShader (~35 s per 760² image): two images, two warm runs; WASM: all 50, ten warm runs.
  const cases = figstepBench();
  ocr.push(await inPage((page) => page.evaluate(([c]) => window.runOcr('webgpu', c, 2), [cases.slice(0, 2)] as const)));
  ocr.push(await inPage((page) => page.evaluate(([c]) => window.runOcr('wasm', c, 10), [cases] as const)));
  // WASM threads: the same ten images read one thread (not isolated), one thread isolated
  // (shared memory alone) and one thread per core (isolated); steady state after 100 reads.
  const ten = cases.slice(0, 10);
  for (const [port, count] of [[PORT, 1], [ISOLATED_PORT, 1], [ISOLATED_PORT, 0]] as const) {
    threads.push(await inPage((page) => page.evaluate(([c, n, w, r]) => window.runOcr('wasm', c, r, n || navigator.hardwareConcurrency, w), [ten, count, THREADS_WARMUP, THREADS_RUNS] as const), port));
  }
  for (const backend of ['webgpu', 'wasm'] as const) throughput.push(await inPage((page) => page.evaluate((b) => window.runThroughput(b), backend)));
} finally {
  await browser.close();
  await server.close();
  await isolatedServer.close();
  await testServer.close();
}

const ms = (s: StageStats) => `${s.medianMs < 0.1 ? s.medianMs.toFixed(3) : s.medianMs.toFixed(2)} ms`;
const x = (r: number) => `${r.toFixed(2)}×`;
const rows: [string, (b: BackendBench) => string][] = [
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
  ['cache hit, the same File again', (b) => ms(b.cache.hitMs)],
  ['cache-hit speed-up, the same File', (b) => x(b.cache.speedup)],
  ['cache hit, a copy of its bytes (hashed)', (b) => ms(b.cache.copyHitMs)],
  ['cache-hit speed-up, a copy', (b) => x(b.cache.copySpeedup)],
];
const column = (b: BackendBench) => (b.modelBase === '/models/' ? `${b.backend}, test models` : `${b.backend}, ViT-B/32-sized CLIP`);
const table = [
  `| stage (median of 20 warm runs) | ${results.map(column).join(' | ')} |`,
  `|---|${results.map(() => '---:').join('|')}|`,
  ...rows.map(([label, cell]) => `| ${label} | ${results.map(cell).join(' | ')} |`),
].join('\n');
console.log(table);

const genRows: [string, (g: GenerationBench) => string][] = [
  ['vanilla generation, safe prompt', (g) => ms(g.vanillaSafe)],
  ['respond off, safe prompt', (g) => `${ms(g.offSafe)} (${x(g.ratios.offSafe)})`],
  ['respond shallow, safe prompt (evaluate only)', (g) => `${ms(g.shallowSafe)} (${x(g.ratios.shallowSafe)})`],
  ['vanilla generation, unsafe prompt', (g) => ms(g.vanillaUnsafe)],
  ['respond shallow, unsafe (aligned)', (g) => `${ms(g.shallowUnsafe)} (${x(g.ratios.shallowUnsafe)})`],
  ['respond deep, unsafe (aligned)', (g) => `${ms(g.deepUnsafe)} (${x(g.ratios.deepUnsafe)})`],
  ['CLIP image check, concurrent with generation', (g) => `${g.imageCheckMs.toFixed(2)} ms`],
];
const label = (g: GenerationBench) => `${g.generator.startsWith('remote') ? 'remote test server' : 'local VLM'} (${g.backend})`;
const genTable = [
  `| respond() vs vanilla, median of ${10} (ratio to vanilla) | ${generation.map(label).join(' | ')} |`,
  `|---|${generation.map(() => '---:').join('|')}|`,
  ...genRows.map(([name, cell]) => `| ${name} | ${generation.map(cell).join(' | ')} |`),
].join('\n');
console.log(`\n${genTable}`);

const ocrTable = [
  `| PP-OCRv4 (real weights) | ${ocr.map((o) => o.backend).join(' | ')} |`,
  `|---|${ocr.map(() => '---:').join('|')}|`,
  `| cold load (2 sessions + warm-up) | ${ocr.map((o) => `${o.coldLoadMs.toFixed(0)} ms`).join(' | ')} |`,
  `| first read, 760² FigStep image | ${ocr.map((o) => `${o.firstReadMs.toFixed(0)} ms`).join(' | ')} |`,
  `| warm read, median | ${ocr.map((o) => `${o.warm.medianMs.toFixed(0)} ms (${o.warm.runs} runs)`).join(' | ')} |`,
  `| FigStep word recall, mean (min) | ${ocr.map((o) => `${o.wordRecall.mean.toFixed(3)} (${o.wordRecall.min.toFixed(3)}) over ${o.wordRecall.images}`).join(' | ')} |`,
].join('\n');
console.log(`\n${ocrTable}`);

const [single, isolatedSingle, multi] = threads as [OcrBench, OcrBench, OcrBench];
const threadCols = [single, isolatedSingle, multi];
const speedUp = (pick: (o: OcrBench) => StageStats) => threadCols.map((o) => (o === single ? '' : x(pick(single).medianMs / pick(o).medianMs)));
const threadsTable = [
  '| PP-OCRv4 on WASM, FigStep reads | one thread | one thread, isolated | threads, isolated |',
  '|---|---:|---:|---:|',
  `| threads (crossOriginIsolated) | ${threadCols.map((o) => `${o.threads} (${o.crossOriginIsolated})`).join(' | ')} |`,
  `| reads just after load, median of ${single.afterLoad.runs} | ${threadCols.map((o) => ms(o.afterLoad)).join(' | ')} |`,
  `| speed-up just after load | ${speedUp((o) => o.afterLoad).join(' | ')} |`,
  `| steady state (after ${single.warmup} reads), median of ${single.warm.runs} | ${threadCols.map((o) => ms(o.warm)).join(' | ')} |`,
  `| of which detection / recognition | ${threadCols.map((o) => `${o.stagesMs.detect.toFixed(0)} / ${o.stagesMs.recognise.toFixed(0)} ms`).join(' | ')} |`,
  `| speed-up, steady state | ${speedUp((o) => o.warm).join(' | ')} |`,
].join('\n');
console.log(`\n${threadsTable}`);
const throughputTable = [
  `| ${throughput[0]!.evaluations} evaluations, distinct images | ${throughput.map((t) => t.backend).join(' | ')} |`,
  `|---|${throughput.map(() => '---:').join('|')}|`,
  `| one at a time | ${throughput.map((t) => `${t.perSecond.sequential.toFixed(1)}/s`).join(' | ')} |`,
  `| all at once | ${throughput.map((t) => `${t.perSecond.concurrent.toFixed(1)}/s`).join(' | ')} |`,
  `| ratio | ${throughput.map((t) => x(t.perSecond.concurrent / t.perSecond.sequential)).join(' | ')} |`,
].join('\n');
console.log(`\n${throughputTable}`);

const report = { date: new Date().toISOString(), userAgent: await browserVersion(), results, generation, ocr, threads, throughput };
const dir = resolve(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const body = `${JSON.stringify(report, null, 2)}\n`;
writeFileSync(resolve(dir, `${report.date.replace(/[:.]/g, '-')}.json`), body);
writeFileSync(resolve(dir, 'latest.json'), body);
writeFileSync(resolve(ROOT, 'bench/REPORT.md'), reportMarkdown());
console.log(`\nwrote bench/results/latest.json and bench/REPORT.md`);

/** bench/REPORT.md: the tables of this run and each goal, met or not, with why where not. */
function reportMarkdown(): string {
  const [gpu, wasm, sized] = results as [BackendBench, BackendBench, BackendBench];
  const remote = generation.find((g) => g.generator.startsWith('remote'))!;
  const mt = single.warm.medianMs / multi.warm.medianMs;
  const mtEarly = single.afterLoad.medianMs / multi.afterLoad.medianMs;
  const worst = Math.max(wasm.workerOverhead.imageEmbedding, gpu.workerOverhead.imageEmbedding, wasm.workerOverhead.rewardScore, gpu.workerOverhead.rewardScore);
  const goals: { goal: string; measured: string; met: boolean; why: string }[] = [
    {
      goal: 'worker overhead ≤ 1.05× bare transformers.js',
      measured: `image embedding, ViT-B/32-sized CLIP (wasm): ${x(sized.workerOverhead.imageEmbedding)}; on the ~1 ms test models worst ${x(worst)} (a no-work round trip: ${ms(gpu.roundTrip)} / ${ms(wasm.roundTrip)})`,
      met: sized.workerOverhead.imageEmbedding <= 1.05,
      why: 'a call through a worker has a fixed cost (a copy of the pixels, structured clone, two message hops; the no-work round trip above): a large share of the test models’ ~1 ms, a small one of a realistic tower. Each side is timed in a page of its own after 15 warm-up runs (in one page, each side’s leftover work and V8’s optimising compiler landed in the other’s timings and moved the ratio by ±30 %).',
    },
    {
      goal: 'cache hit ≥ 50× faster than a miss',
      measured: `the same File: ${results.map((r) => x(r.cache.speedup)).join(', ')}; an equal copy of its bytes (hashed again): ${results.map((r) => x(r.cache.copySpeedup)).join(', ')} (columns as in Stages)`,
      met: Math.min(...results.map((r) => r.cache.speedup)) >= 50,
      why: 'a hit still hashes the file’s bytes when it is a new Blob (SHA-256), while a miss on the tiny test CLIP costs only a decode and a few ms of embedding; the same File is known by identity.',
    },
    {
      goal: 'respond shallow on a safe prompt ≤ 1.10× vanilla (remote)',
      measured: x(remote.ratios.shallowSafe),
      met: remote.ratios.shallowSafe <= 1.1,
      why: 'the reward check runs after the answer; against a test server that answers in milliseconds it is a visible share.',
    },
    {
      goal: 'respond deep on an unsafe prompt ≤ 3× vanilla (remote)',
      measured: x(remote.ratios.deepUnsafe),
      met: remote.ratios.deepUnsafe <= 3,
      why: 'N = 5 candidates per sentence each need a reward and a CLIP score; against a test server that answers in milliseconds these fixed calls dominate.',
    },
    {
      goal: 'WASM threads (cross-origin isolated) ≥ 1.6× one thread',
      measured: `${x(mt)} steady state (${x(mtEarly)} just after load)`,
      met: mt >= 1.6,
      why: `two threads on a 2-core machine share it with the page and Chromium; ${mt >= 1.6 ? '' : 'in steady state they do not reach the goal here; '}just after load the threaded page is slower because V8 compiles optimised WebAssembly on background threads that the busy ORT threads starve (see the threads section).`,
    },
  ];
  const goalsTable = ['| goal | measured | |', '|---|---|---|', ...goals.map((g) => `| ${g.goal} | ${g.measured} | ${g.met ? 'met' : '**missed**'} |`)].join('\n');
  const missed = goals.filter((g) => !g.met);
  return `# Benchmark report

Measured by \`npm run bench\` on ${report.date.slice(0, 10)}, ${report.userAgent} headless, on this project's machine
(2 cores; WebGPU is SwiftShader, a software rasteriser — compare ratios, not GPU speed).
Every figure comes from one run; the run also writes the raw numbers to \`bench/results/latest.json\` (not committed).

## Goals

${goalsTable}

${missed.length === 0 ? 'All goals met in this run.' : `Why the missed ones are missed:\n\n${missed.map((g) => `- **${g.goal}**: ${g.why}`).join('\n')}`}

## Stages (median of 20 warm runs)

${table}

## respond() against vanilla generation

${genTable}

## PP-OCRv4 (real weights)

${ocrTable}

## WASM threads (cross-origin isolated)

${threadsTable}

Profiled (top -H, and \`--js-flags=--no-wasm-dynamic-tiering\`): V8 starts onnxruntime-web's WebAssembly in its
baseline compiler and tiers hot functions up on Chromium's background thread pool. One ORT thread leaves the second
core to that compiler, so tier-up ends within a few reads; two ORT threads keep both cores busy and the compiler
starved (it took ~60 % of a core for the whole ten-read window), so the threaded page runs unoptimised code for
tens of reads. With tiering off (all code optimised up front) two threads were 1.76× one thread after three warm-up reads.
The isolated single-thread column shows that shared memory alone costs little. For hosts: serve COOP/COEP
(\`npm run demo:isolated\`, README) and pass \`wasmThreads\`; here the gain came after a few dozen reads, and
on a returning visit Chromium's code cache can skip the tier-up (not measured here: each run is a fresh profile).

## Throughput of concurrent evaluations

${throughputTable}
`;
}

async function browserVersion(): Promise<string> {
  const b = await chromium.launch(chromiumLaunchOptions);
  const v = b.version();
  await b.close();
  return `Chromium ${v}`;
}
