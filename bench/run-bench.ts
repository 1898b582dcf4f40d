// npm run bench: every evaluator call (CLIP image, CLIP text, the reward model of each kind)
// through the guard's workers against bare transformers.js / onnxruntime-web on the same
// model, at the test models' size and at real models' sizes (bench/make-bench-models.ts);
// cold start, peak memory and the longest main-thread stall per size; the image cache;
// respond() against vanilla generation, paired ABAB against a test server of realistic
// pace; PP-OCRv4 in the page against native onnxruntime-node; WASM threads; throughput; then
// the benches that write reports of their own (streaming, a large image, deep alignment's cost,
// a real-size cold load), whose goals REPORT.md gathers.
// Prints the tables and writes bench/results/<time>.json, latest.json, bench/REPORT.md and each
// of those benches' reports.
// Numbers, not assertions: a stage that fails or runs out of time is reported and the run
// goes on. Every figure in the report comes from this run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { type Page, chromium } from '@playwright/test';
import { benchServer } from './bench-browser.ts';
import { chromiumLaunchOptions } from '../src/cli/chromium.ts';
import { figstepCases } from '../e2e/figstep.ts';
import { startTestServer } from '../e2e/openai-test-server/server.ts';
import { ISOLATION_HEADERS } from '../vite.config.ts';
import { parseManifest } from '../src/runtime/manifest.ts';
import { BENCH_TIERS, type BenchTier, makeBenchModels } from './make-bench-models.ts';
import { type NativeOcrBench, runNativeOcr } from './native-ocr.ts';
import { type MemoryPeak, peakSampler } from './process-memory.ts';
import { type StageStats, envNumber } from './stats.ts';
import { CALLS, type Call } from './calls.ts';
import { type BenchReport, writeBenchReport } from './bench-report.ts';
import { measureStreaming } from './streaming.ts';
import { measureLargeImage } from './large-image.ts';
import { measureDeepCost } from './deep-cost.ts';
import { measureColdLoad } from './cold-load.ts';
import {
  type AdapterFacts,
  type GuardBench,
  type OverheadBench,
  type GenerationBench,
  type OcrBench,
  type OcrCase,
  type SizeSpec,
  type ThroughputBench,
} from './bench-page.ts';

const ROOT = resolve(import.meta.dirname, '..');
const FIXTURES = resolve(ROOT, '../shared/fixtures');
const PORT = 5174;
/** The same app served cross-origin isolated (COOP/COEP): WASM threads. */
const ISOLATED_PORT = 5175;
const MINUTE = 60_000;

/** Knobs, from the environment: the test server's pace and answer length, and the pairs per comparison. */
const number = envNumber;
const SPEED = { tokensPerSecond: number('BENCH_TOKENS_PER_SECOND', 30), answerTokens: number('BENCH_ANSWER_TOKENS', 300) };
const PAIRS = number('BENCH_PAIRS', 10);
/** BENCH_STAGES=calls,OCR native: only the stages whose names start so (a partial run writes no REPORT.md). */
const ONLY = process.env.BENCH_STAGES?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
/**
 * Reads before the threads are timed: V8 first runs WebAssembly unoptimised and compiles
 * the optimised code on background threads, which two busy ORT threads on two cores starve.
 */
const THREADS_WARMUP = 100;
/** Reads timed per configuration once warm. */
const THREADS_RUNS = 20;
/** The images of the threads and native OCR stages. */
const OCR_IMAGES = 10;

/** The sizes measured: the test models (webgpu and wasm), then real sizes on WASM (SwiftShader would take minutes a call). */
const TEST_SIZE: SizeSpec = { name: 'test models', modelBase: '/models/', clip: 'test-clip', reward: 'test-reward', plan: { runs: 20, warmup: 15, rewardPerRun: 10 } };
const REAL_PLANS: Record<BenchTier, SizeSpec['plan']> = {
  classifier: { runs: 20, warmup: 10, rewardPerRun: 1 },
  decoder: { runs: 10, warmup: 3, rewardPerRun: 1 },
  guard: { runs: 10, warmup: 3, rewardPerRun: 1 },
};

/** FigStep images (base64) with the instruction each shows. */
function figstepBench(): { file: string; base64: string; type: string; instruction: string }[] {
  return figstepCases().map(({ file, instruction }) => ({
    file: resolve(FIXTURES, file),
    base64: readFileSync(resolve(FIXTURES, file)).toString('base64'),
    type: 'image/png',
    instruction,
  }));
}

/** Per size: the guard alone (cold start, memory, stalls, cache) and its calls paired with bare ones. */
type SizeBench = GuardBench & { overhead: OverheadBench };
interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  browser: string;
  webgpu: AdapterFacts | null;
}
const results: SizeBench[] = [];
const generation: GenerationBench[] = [];
const ocr: OcrBench[] = [];
const threads: OcrBench[] = [];
const native: NativeOcrBench[] = [];
const throughput: ThroughputBench[] = [];
/** The benches with reports of their own, run as stages of this one. */
const sections: BenchReport[] = [];
const SECTION_BENCHES: [string, () => Promise<BenchReport>][] = [
  ['streaming', measureStreaming],
  ['large image', measureLargeImage],
  ['deep cost', measureDeepCost],
  ['cold load', measureColdLoad],
];
/** Peak browser memory (PSS) per page, above the browser's level before the page opened. */
const memoryPeaks = new Map<string, MemoryPeak | null>();

/** A stage that failed or ran past its limit: reported, and the run goes on. */
interface StageFailure {
  stage: string;
  error: string;
  ms: number;
}
const failures: StageFailure[] = [];
const stageTimes: { stage: string; ms: number }[] = [];

await makeBenchModels();
const benchManifest = parseManifest(JSON.parse(readFileSync(resolve(ROOT, 'bench/models/manifest.json'), 'utf8')), 'bench/models/manifest.json');
const realSizes: SizeSpec[] = (Object.keys(BENCH_TIERS) as BenchTier[]).map((tier) => {
  const { models } = benchManifest.tiers[tier]!;
  return { name: BENCH_TIERS[tier], modelBase: '/bench/models/', tier, clip: models.clip, reward: models.reward, plan: REAL_PLANS[tier] };
});
const column = (b: { backend: string; size: SizeSpec }) => `${b.size.name} (${b.backend})`;

/** Runs every stage (each under a limit) and returns the machine it ran on; the results land in the arrays above. */
async function runStages(): Promise<Machine> {
  const server = await benchServer({ port: PORT });
  const isolatedServer = await benchServer({ port: ISOLATED_PORT, headers: ISOLATION_HEADERS });
  const testServer = await startTestServer(0, { realistic: SPEED });
  const browser = await chromium.launch(chromiumLaunchOptions);
  /** A fresh context per measurement: cold, nothing cached from the one before. `memoryKey`: record its peak memory. */
  async function inPage<T>(run: (page: Page) => Promise<T>, { port = PORT, memoryKey }: { port?: number; memoryKey?: string } = {}): Promise<T> {
    const sampler = memoryKey ? await peakSampler() : null;
    const context = await browser.newContext();
    const page = await context.newPage();
    try {
      await page.goto(`http://127.0.0.1:${port}/bench/index.html`);
      await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 120_000 });
      return await run(page);
    } finally {
      await context.close();
      if (sampler && memoryKey) memoryPeaks.set(memoryKey, sampler.stop());
    }
  }
  /**
   * One measurement in pages of its own, under a time limit: a failure or a timeout is
   * recorded (its page closed) and the bench goes on with the next stage.
   */
  async function stage<T>(name: string, limitMs: number, run: () => Promise<T>): Promise<T | undefined> {
    if (ONLY.length > 0 && !ONLY.some((prefix) => name.startsWith(prefix))) return undefined;
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

  const machine: Machine = {
    cores: cpus().length,
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: totalmem() / 2 ** 30,
    node: process.version,
    browser: `Chromium ${browser.version()}`,
    webgpu: await inPage((page) => page.evaluate(() => window.webGpuAdapter())),
  };
  console.log(`bench: ${machine.browser}, ${machine.cores} cores (${machine.cpu}), WebGPU adapter: ${adapterText(machine.webgpu)}`);
  try {
    // Calls paired with bare transformers.js / onnxruntime-web in one page; then the guard alone in a fresh one.
    for (const [backend, size] of [['webgpu', TEST_SIZE], ['wasm', TEST_SIZE], ...realSizes.map((s) => ['wasm', s] as const)] as const) {
      const key = column({ backend, size });
      const measured = await stage(`calls, ${key}`, 25 * MINUTE, async () => {
        const overhead = await inPage((page) => page.evaluate(([b, s]) => window.runOverhead(b, s), [backend, size] as const));
        const guard = await inPage((page) => page.evaluate(([b, s]) => window.runBackend(b, s), [backend, size] as const), { memoryKey: key });
        return { ...guard, overhead };
      });
      if (measured) results.push(measured);
    }
    const generators = [
      // Deep alignment is the deep-cost stage's (per answer and per output token).
      { backend: 'wasm', remoteUrl: testServer.url, comparisons: ['respond shallow, safe prompt (evaluate only)', 'respond shallow, unsafe prompt (aligned)'] },
      { backend: 'webgpu', remoteUrl: null, comparisons: ['respond off, safe prompt', 'respond shallow, safe prompt (evaluate only)', 'respond shallow, unsafe prompt (aligned)'] },
      { backend: 'wasm', remoteUrl: null, comparisons: ['respond off, safe prompt', 'respond shallow, safe prompt (evaluate only)', 'respond shallow, unsafe prompt (aligned)'] },
    ] as const;
    for (const g of generators) {
      const measured = await stage(`generation, ${g.remoteUrl ? 'remote' : 'local'} (${g.backend})`, 30 * MINUTE, () =>
        inPage((page) => page.evaluate((run) => window.runGeneration(run), { ...g, speed: SPEED, pairs: PAIRS })),
      );
      if (measured) generation.push(measured);
    }
    // WebGPU on a software adapter (SwiftShader) reads a 760² FigStep image in about a minute: a
    // bounded sample of small rendered lines with a generous per-read limit; WASM reads all 50.
    const cases = figstepBench();
    const pageCases: OcrCase[] = cases.map(({ base64, type, instruction }) => ({ base64, type, instruction }));
    const rendered: OcrCase[] = cases.slice(0, 2).map(({ instruction }) => ({ instruction, render: { fontPx: 16 } }));
    for (const run of [
      { backend: 'webgpu', cases: rendered, warmRuns: 2, warmup: 1, callMs: 10 * MINUTE },
      { backend: 'wasm', cases: pageCases, warmRuns: 10 },
    ] as const) {
      const measured = await stage(`OCR, ${run.backend}`, 20 * MINUTE, () => inPage((page) => page.evaluate((r) => window.runOcr(r), run)));
      if (measured) ocr.push(measured);
    }
    // WASM threads: the same images read one thread (not isolated), one thread isolated
    // (shared memory alone) and one thread per core (isolated); steady state after THREADS_WARMUP reads.
    const few = pageCases.slice(0, OCR_IMAGES);
    for (const [port, count, name] of [[PORT, 1, 'one thread'], [ISOLATED_PORT, 1, 'one thread, isolated'], [ISOLATED_PORT, 0, 'threads, isolated']] as const) {
      const measured = await stage(`OCR threads, ${name}`, 20 * MINUTE, () =>
        inPage(
          (page) => page.evaluate(([c, n, w, r]) => window.runOcr({ backend: 'wasm', cases: c, warmRuns: r, wasmThreads: n || navigator.hardwareConcurrency, warmup: w }), [few, count, THREADS_WARMUP, THREADS_RUNS] as const),
          { port },
        ),
      );
      if (measured) threads.push(measured);
    }
    // The same images through the same pipeline on native onnxruntime-node (this process).
    for (const count of [1, null]) {
      const measured = await stage(`OCR native, ${count === null ? 'default threads' : 'one thread'}`, 10 * MINUTE, () =>
        runNativeOcr(cases.slice(0, OCR_IMAGES).map((c) => c.file), count, OCR_IMAGES, THREADS_RUNS),
      );
      if (measured) native.push(measured);
    }
    for (const backend of ['webgpu', 'wasm'] as const) {
      const measured = await stage(`throughput, ${backend}`, 10 * MINUTE, () => inPage((page) => page.evaluate((b) => window.runThroughput(b), backend)));
      if (measured) throughput.push(measured);
    }
    // Each starts its own servers and browser; its report file is written as soon as it is measured.
    for (const [name, measure] of SECTION_BENCHES) {
      const measured = await stage(name, 30 * MINUTE, measure);
      if (measured) {
        writeBenchReport(measured);
        sections.push(measured);
      }
    }
  } finally {
    await browser.close();
    await server.close();
    await isolatedServer.close();
    await testServer.close();
  }
  return machine;
}


/**
 * BENCH_REPORT_FROM=bench/results/<run>.json writes the report of that saved run again
 * (after a change to the report's wording) without measuring anything.
 */
const FROM = process.env.BENCH_REPORT_FROM;
type SavedRun = { date: string; machine: Machine; failures: StageFailure[]; stageTimes: typeof stageTimes; results: SizeBench[]; memoryPeaks: Record<string, MemoryPeak | null>; generation: GenerationBench[]; ocr: OcrBench[]; threads: OcrBench[]; native: NativeOcrBench[]; throughput: ThroughputBench[]; sections?: BenchReport[] };
let report: SavedRun & { speed: typeof SPEED; pairs: number };
if (FROM) {
  report = JSON.parse(readFileSync(resolve(FROM), 'utf8')) as typeof report;
  failures.push(...report.failures);
  stageTimes.push(...report.stageTimes);
  results.push(...report.results);
  generation.push(...report.generation);
  ocr.push(...report.ocr);
  threads.push(...report.threads);
  native.push(...report.native);
  throughput.push(...report.throughput);
  sections.push(...(report.sections ?? []));
  for (const [key, peak] of Object.entries(report.memoryPeaks)) memoryPeaks.set(key, peak);
} else {
  const machine = await runStages();
  report = { date: new Date().toISOString(), machine, speed: SPEED, pairs: PAIRS, failures, stageTimes, results, memoryPeaks: Object.fromEntries(memoryPeaks), generation, ocr, threads, native, throughput, sections };
  // The raw numbers first: nothing below can lose a run.
  const dir = resolve(ROOT, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const body = `${JSON.stringify(report, null, 2)}\n`;
  writeFileSync(resolve(dir, `${report.date.replace(/[:.]/g, '-')}.json`), body);
  writeFileSync(resolve(dir, 'latest.json'), body);
}
const { machine } = report;

const fmt = (v: number) => (v < 0.1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0));
const ms = (s: StageStats) => `${fmt(s.medianMs)} ms`;
const x = (r: number) => `${r.toFixed(2)}×`;
const noise = (r: number) => (r < 1 ? ' — below 1: noise, not a win' : '');
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
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

const CALL_NAMES: Record<Call, string> = { imageEmbedding: 'CLIP image embedding', textEmbedding: 'CLIP text embedding', rewardScore: 'reward score' };
const isReal = (b: SizeBench) => b.size.modelBase !== TEST_SIZE.modelBase;
const rewardName = (b: SizeBench) => `${b.rewardKind}, ${b.overhead.rewardRuntime} direct`;
const memoryOf = (b: SizeBench) => memoryPeaks.get(column(b));
/** The peak above the settled level before the page; a level that had not settled (or a run that did not wait) says so. */
const peakText = (m: MemoryPeak | null | undefined) =>
  !m ? 'not measured' : m.settled !== true ? `not measured: the level before had not settled (${mib(m.beforeBytes)})` : mib(m.peakBytes - m.beforeBytes);
const workerBytes = (b: SizeBench) => Object.values(b.memory.workers).reduce((sum, w) => sum + (w ? w.wasmBytes + w.gpuBytes : 0), 0);
const ratioText = (r: { median: number; min: number; max: number }) => `**${x(r.median)}** (${x(r.min)} – ${x(r.max)})${noise(r.median)}`;
const callsTable = orFailed(results.length > 0, () => markdownTable('median per call; pairs', results, column, [
  ['reward model kind', (b) => rewardName(b)],
  ...CALLS.flatMap((c): [string, (b: SizeBench) => string][] => [
    [`${CALL_NAMES[c]}, guard`, (b) => ms(b.overhead.calls[c].guard)],
    [`${CALL_NAMES[c]}, direct in page`, (b) => ms(b.overhead.calls[c].direct)],
    [`**overhead, ${CALL_NAMES[c]}**: guard ÷ direct per pair, median (min – max)`, (b) => ratioText(b.overhead.calls[c].ratio)],
  ]),
  ['pairs per call (ABBA, after warm-up runs of each)', (b) => `${b.overhead.calls.imageEmbedding.ratio.pairs} (after ${b.size.plan.warmup})`],
  ['worker round trip, a call that does no work', (b) => ms(b.roundTrip)],
]), 'calls');
const sizeTable = orFailed(results.length > 0, () => markdownTable('per size', results, column, [
  ['cold start: navigation → first evaluate() decision', (b) => `${fmt(b.coldStartMs)} ms`],
  ['of which createGuard (both workers loaded)', (b) => `${fmt(b.coldLoadMs.guardTotal)} ms`],
  ['warm calls, guard alone: image / text / reward / evaluate()', (b) => [b.warm.imageEmbedding, b.warm.textEmbedding, b.warm.rewardScore, b.warm.evaluate].map(ms).join(' / ')],
  ['CLIP / reward worker load', (b) => `${fmt(b.coldLoadMs.clipWorker)} / ${fmt(b.coldLoadMs.rewardWorker)} ms`],
  ['peak browser memory above idle (PSS, all Chromium processes)', (b) => peakText(memoryOf(b))],
  ['workers: WebAssembly + WebGPU buffers at the end', (b) => mib(workerBytes(b))],
  ['page JS heap at the end', (b) => (b.memory.pageHeapBytes === null ? 'not reported' : mib(b.memory.pageHeapBytes))],
  [`longest main-thread stall during evaluate() (${results[0]?.warm.evaluate.runs ?? 0}+ calls)`, (b) => `${fmt(b.longestStallMs)} ms`],
]), 'calls');
const cacheTable = orFailed(results.length > 0, () => markdownTable('image cache (512² PNG)', results, column, [
  ['miss (hash + decode + embed)', (b) => ms(b.cache.missMs)],
  ['hit, an equal copy of the bytes (hashed)', (b) => ms(b.cache.copyHitMs)],
  ['**speed-up, an equal copy**', (b) => `**${x(b.cache.copySpeedup)}**`],
  ['hit, the same File again (identity)', (b) => ms(b.cache.hitMs)],
  ['speed-up, identity', (b) => x(b.cache.speedup)],
]), 'calls');
console.log(`${callsTable}\n\n${sizeTable}\n\n${cacheTable}`);

const generatorName = (g: GenerationBench) =>
  g.speed ? `remote test server, ${g.speed.tokensPerSecond} tok/s, ~${g.speed.answerTokens}-token answers (${g.backend})` : `local test VLM (${g.backend})`;
const generationTables = orFailed(generation.length > 0, () => generation.map((g) => `**${generatorName(g)}**, ${g.comparisons[0]?.ratio.pairs ?? 0} ABAB pairs after one warm-up of each (CLIP image check during generation: ${fmt(g.imageCheckMs)} ms median)\n\n` + markdownTable('respond() vs vanilla', g.comparisons, (c) => c.name, [
  ['vanilla generation, median', (c) => ms(c.vanilla)],
  ['respond(), median', (c) => ms(c.respond)],
  ['**ratio per pair, median**', (c) => `**${x(c.ratio.median)}**${noise(c.ratio.median)}`],
  ['ratio per pair, min – max', (c) => `${x(c.ratio.min)} – ${x(c.ratio.max)}`],
  ['output tokens, vanilla / respond (medians)', (c) => `${c.tokens.vanilla} / ${c.tokens.respond}`],
  ['per output token, ratio per pair (min – max)', (c) => `${x(c.perToken.median)} (${x(c.perToken.min)} – ${x(c.perToken.max)})`],
])).join('\n\n'), 'generation');
console.log(`\n${generationTables}`);

const ocrTable = orFailed(ocr.length > 0, () => markdownTable('PP-OCRv4 (real weights)', ocr, (o) => o.backend, [
  ['images read', (o) => [...new Set(o.images)].map((i) => (i === 'fixture' ? '760² FigStep fixtures' : i)).join(', ')],
  ['cold load (2 sessions + warm-up)', (o) => `${fmt(o.coldLoadMs)} ms`],
  ['first read', (o) => `${fmt(o.firstReadMs)} ms`],
  ['warm read, median', (o) => `${ms(o.warm)} (${o.warm.runs} runs)`],
  ['word recall, mean (min)', (o) => `${o.wordRecall.mean.toFixed(3)} (${o.wordRecall.min.toFixed(3)}) over ${o.wordRecall.images}`],
]), 'OCR, ');
console.log(`\n${ocrTable}`);

const threadName = (o: OcrBench) => (o.threads === 1 ? (o.crossOriginIsolated ? 'one thread, isolated' : 'one thread') : `${o.threads} threads, isolated`);
const single = threads.find((o) => o.threads === 1 && !o.crossOriginIsolated);
const multi = threads.find((o) => o.threads > 1);
const speedUp = (pick: (o: OcrBench) => StageStats) => (o: OcrBench) => (!single || o === single ? '' : x(pick(single).medianMs / pick(o).medianMs));
const threadsTable = orFailed(threads.length > 0, () => markdownTable(`PP-OCRv4 on WASM, ${OCR_IMAGES} FigStep images`, threads, threadName, [
  ['threads (crossOriginIsolated)', (o) => `${o.threads} (${o.crossOriginIsolated})`],
  [`reads just after load, median of ${threads[0]!.afterLoad.runs}`, (o) => ms(o.afterLoad)],
  ['speed-up just after load', speedUp((o) => o.afterLoad)],
  [`steady state (after ${threads[0]!.warmup} reads), median of ${threads[0]!.warm.runs}`, (o) => ms(o.warm)],
  ['of which detection / recognition', (o) => `${fmt(o.stagesMs.detect)} / ${fmt(o.stagesMs.recognise)} ms`],
  ['speed-up, steady state', speedUp((o) => o.warm)],
]), 'OCR threads');
console.log(`\n${threadsTable}`);

const nativeOne = native.find((n) => n.threads === 1);
const nativeDefault = native.find((n) => n.threads === null);
/** The page's configuration against native onnxruntime-node's like it: one thread each, and all threads each. */
const ocrPairs = [
  { name: 'one thread', page: single, native: nativeOne },
  { name: 'all threads (page isolated)', page: multi, native: nativeDefault },
].filter((p): p is { name: string; page: OcrBench; native: NativeOcrBench } => p.page !== undefined && p.native !== undefined);
const nativeTable = orFailed(ocrPairs.length > 0, () => markdownTable(`PP-OCRv4, the same ${OCR_IMAGES} images, steady state`, ocrPairs, (p) => p.name, [
  ['native onnxruntime-node, median', (p) => `${ms(p.native.warm)} (${p.native.warm.runs} after ${p.native.warmup})`],
  ['in the page (WASM worker), median', (p) => `${ms(p.page.warm)} (${p.page.warm.runs} after ${p.page.warmup})`],
  ['**page ÷ native**', (p) => `**${x(p.page.warm.medianMs / p.native.warm.medianMs)}**`],
]), 'OCR native');
console.log(`\n${nativeTable}`);

const throughputTable = orFailed(throughput.length > 0, () => markdownTable(`${throughput[0]!.evaluations} evaluations, distinct images, test models`, throughput, (t) => t.backend, [
  ['one at a time', (t) => `${t.perSecond.sequential.toFixed(1)}/s`],
  ['all at once', (t) => `${t.perSecond.concurrent.toFixed(1)}/s`],
  ['ratio', (t) => x(t.perSecond.concurrent / t.perSecond.sequential)],
]), 'throughput');
console.log(`\n${throughputTable}`);

if (ONLY.length === 0) writeFileSync(resolve(ROOT, 'bench/REPORT.md'), reportMarkdown());
console.log(`\n${FROM ? `read ${FROM}` : 'wrote bench/results/latest.json'}${ONLY.length ? ' (a partial run: no REPORT.md)' : ', wrote bench/REPORT.md'}${failures.length ? ` (${failures.length} stage(s) failed: see the report)` : ''}`);

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
  /** Why, when missed: the run's own figures where they explain it. */
  why: string;
}

/** The worst of `cells` by `value` (highest, or lowest with `lowest`). */
function worstOf<T>(cells: T[], value: (c: T) => number, lowest = false): T | undefined {
  return cells.reduce<T | undefined>((w, c) => (!w || (lowest ? value(c) < value(w) : value(c) > value(w)) ? c : w), undefined);
}

/** bench/REPORT.md: the tables of this run and each goal, met or missed, with why where missed. */
function reportMarkdown(): string {
  const remote = generation.find((g) => g.speed !== null);
  const remoteRatio = (name: string) => remote?.comparisons.find((c) => c.name === name)?.ratio;
  const overheadCells = results.filter(isReal).flatMap((b) => CALLS.map((c) => ({ cell: `${CALL_NAMES[c]}${c === 'rewardScore' ? ` (${b.rewardKind})` : ''}, ${column(b)}`, ratio: b.overhead.calls[c].ratio.median, b, c })));
  const worst = worstOf(overheadCells, (c) => c.ratio);
  const copy = worstOf(results, (b) => b.cache.copySpeedup, true);
  const shallow = remoteRatio('respond shallow, safe prompt (evaluate only)');
  const mt = single && multi ? single.warm.medianMs / multi.warm.medianMs : undefined;
  const ocrWorst = worstOf(ocrPairs, (p) => p.page.warm.medianMs / p.native.warm.medianMs);
  const ocrRatio = ocrWorst ? ocrWorst.page.warm.medianMs / ocrWorst.native.warm.medianMs : undefined;
  const spread = (r: { median: number; min: number; max: number; pairs: number }) => `${x(r.median)} median of ${r.pairs} pairs (${x(r.min)} – ${x(r.max)})${noise(r.median)}`;
  const goals: Goal[] = [
    {
      goal: 'worker overhead ≤ 1.05× bare transformers.js / onnxruntime-web: the worst evaluator call at real sizes',
      ...(worst ? { measured: `worst ${x(worst.ratio)} (${worst.cell}); every cell: ${overheadCells.map((c) => `${c.cell} ${x(c.ratio)}`).join('; ')}` } : {}),
      met: worst !== undefined && worst.ratio <= 1.05,
      why: worst
        ? `that call takes ${ms(worst.b.overhead.calls[worst.c].guard)} through the guard and ${ms(worst.b.overhead.calls[worst.c].direct)} in the page (per-pair ratios ${x(worst.b.overhead.calls[worst.c].ratio.min)} – ${x(worst.b.overhead.calls[worst.c].ratio.max)}); a call through a worker costs a fixed ${ms(worst.b.roundTrip)} round trip (structured clone, two message hops) and the worker does its own tokenising and pre-processing, a visible share of a call this short.`
        : '',
    },
    {
      goal: 'image cache: a hit on an equal copy of the bytes ≥ 50× faster than a miss (every size)',
      ...(copy ? { measured: `worst ${x(copy.cache.copySpeedup)} (${column(copy)}); ${results.map((b) => `${column(b)} ${x(b.cache.copySpeedup)}`).join('; ')}; identity hits (the same File) apart: ${results.map((b) => x(b.cache.speedup)).join(', ')}` } : {}),
      met: copy !== undefined && copy.cache.copySpeedup >= 50,
      why: copy ? `a copy is a new Blob, so a hit reads and hashes its bytes (SHA-256) before the lookup: ${ms(copy.cache.copyHitMs)}, against a miss of ${ms(copy.cache.missMs)} on ${column(copy)}.` : '',
    },
    {
      goal: 'respond shallow on a safe prompt ≤ 1.10× vanilla (remote, realistic pace)',
      ...(shallow ? { measured: spread(shallow) } : {}),
      met: shallow !== undefined && shallow.median <= 1.1,
      why: 'the reward check runs after the whole answer has streamed: its time adds to the answer’s.',
    },
    {
      goal: 'WASM threads (cross-origin isolated) ≥ 1.6× one thread',
      ...(mt !== undefined && single && multi ? { measured: `${x(mt)} steady state (${x(single.afterLoad.medianMs / multi.afterLoad.medianMs)} just after load), ${multi.threads} threads on ${machine.cores} cores` } : {}),
      met: mt !== undefined && mt >= 1.6,
      why: 'the ORT threads share the cores with the page, Chromium and V8’s background compiler, which tiers onnxruntime-web’s WebAssembly up while the threads run (see the threads section).',
    },
    {
      goal: 'OCR in the page ≤ 1.5× native onnxruntime-node per image (like for like: one thread each, all threads each)',
      ...(ocrWorst && ocrRatio !== undefined ? { measured: `worst ${x(ocrRatio)} (${ocrWorst.name}); ${ocrPairs.map((p) => `${p.name} ${x(p.page.warm.medianMs / p.native.warm.medianMs)}`).join('; ')}` } : {}),
      met: ocrRatio !== undefined && ocrRatio <= 1.5,
      why: 'onnxruntime-web runs WebAssembly SIMD (128-bit) kernels where onnxruntime-node runs native code with the CPU’s full vector width; the page also decodes the image and copies it to the worker.',
    },
  ];
  const status = (g: Goal) => (g.measured === undefined ? '**not measured**' : g.met ? 'met' : '**missed**');
  const link = (r: BenchReport) => `[${r.file}](${r.file})`;
  // Each bench with a report of its own: its goals here too, the why in its report.
  const sectionGoals = sections.flatMap((r) => r.goals.map((g): Goal & { report: BenchReport } => ({ goal: g.where ? `${g.where}: ${g.goal}` : g.goal, measured: g.measured, met: g.met, why: `see ${link(r)}.`, report: r })));
  const notRun = SECTION_BENCHES.map(([name]) => name).filter((name) => !stageTimes.some((t) => t.stage === name));
  const goalsTable = [
    '| goal | measured | | figures |',
    '|---|---|---|---|',
    ...goals.map((g) => `| ${g.goal} | ${g.measured ?? 'its stages failed or did not run (see Run)'} | ${status(g)} | below |`),
    ...sectionGoals.map((g) => `| ${g.goal} | ${g.measured} | ${status(g)} | ${link(g.report)} |`),
  ].join('\n');
  const missed = [...goals, ...sectionGoals].filter((g) => g.measured !== undefined && !g.met);
  const stageLines = [
    ...stageTimes.map((t) => `| ${t.stage} | ${(t.ms / 1000).toFixed(0)} s | done |`),
    ...failures.map((f) => `| ${f.stage} | ${(f.ms / 1000).toFixed(0)} s | **failed**: ${f.error} |`),
  ];
  const sizes = [TEST_SIZE, ...realSizes].map((s) => `- **${s.name}** (${s.modelBase}${s.tier ? `, tier ${s.tier}` : ''}): ${s.clip} + ${s.reward}; ${s.plan.runs} timed runs after ${s.plan.warmup} warm-up runs per call${s.plan.rewardPerRun > 1 ? `, ${s.plan.rewardPerRun} reward calls a run` : ''}`);
  const described = [...new Set(realSizes.flatMap((s) => [s.clip, s.reward]))].map((id) => `- \`${id}\`: ${benchManifest.models[id]?.description ?? ''}`);
  return `# Benchmark report

Measured by \`npm run bench\` on ${report.date.slice(0, 10)} with ${machine.browser} headless and Node ${machine.node}, on
${machine.cores} cores (${machine.cpu}) and ${machine.memoryGiB.toFixed(0)} GiB; WebGPU adapter: ${adapterText(machine.webgpu)}.
${machine.webgpu?.isFallbackAdapter !== false ? 'A software or fallback WebGPU adapter is no GPU: real sizes run on WASM only, and WebGPU figures compare ratios, not GPU speed.\n' : ''}Every figure below comes from this one run; the run also writes the raw numbers to \`bench/results/latest.json\` (not committed).
${sections.length ? `The same run wrote the reports of the benches with tables of their own, whose goals are in the table below: ${sections.map((r) => `${r.title} (${link(r)})`).join('; ')}.` : ''}${notRun.length ? ` Not in this run (their stages failed or did not run; see Run): ${notRun.join(', ')}.` : ''}

## Goals

${goalsTable}

${missed.length === 0 ? 'No measured goal was missed in this run.' : `Why the missed ones are missed:\n\n${missed.map((g) => `- **${g.goal}**: ${g.why}`).join('\n')}`}

## Sizes

${sizes.join('\n')}

The real sizes are generated (\`bench/make-bench-models.ts\`): transformer layers of the named real models' shapes, with
distinct weights per layer, whose result enters the designed output times zero — a real model's cost and memory, the
test models' scores:

${described.join('\n')}

## Run

| stage | time | |
|---|---:|---|
${stageLines.join('\n')}

## Evaluator calls: the guard's workers against bare transformers.js / onnxruntime-web

Both sides in one page, the same model and input, timed in pairs that alternate which side goes first; "direct" runs
the reward call as the worker would (transformers.js for classifiers, bare onnxruntime-web with the model's chat
template for decoders). The goal reads the median of the per-pair ratios at the real sizes.

${callsTable}

## Cold start, memory and stalls per size

${sizeTable}

## Image cache

${cacheTable}

## respond() against vanilla generation

${generationTables}

## PP-OCRv4 (real weights)

${ocrTable}

## WASM threads (cross-origin isolated)

${threadsTable}

V8 starts onnxruntime-web's WebAssembly in its baseline compiler and tiers hot functions up on Chromium's
background thread pool; threaded ORT keeps the cores busy and that compiler waits, so the threaded page runs
unoptimised code for tens of reads (compare "just after load" with "steady state"). For hosts: serve COOP/COEP
(\`npm run demo:isolated\`, README) and pass \`wasmThreads\`.

## OCR in the page against native onnxruntime-node

${nativeTable}

## Throughput of concurrent evaluations

${throughputTable}
`;
}
