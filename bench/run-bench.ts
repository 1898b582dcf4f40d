// npm run bench: per-stage latency (cold load, warm medians) on webgpu and wasm,
// worker+comlink overhead against direct transformers.js in the page, and the
// image-cache speed-up. Prints a table and writes bench/results/<time>.json and latest.json.
// Numbers, not assertions: WebGPU here is SwiftShader (software), so compare ratios.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { chromiumLaunchOptions } from '../e2e/chromium.ts';
import { figstepCases } from '../e2e/figstep.ts';
import { startTestServer } from '../e2e/openai-test-server/server.ts';
import type { BackendBench, GenerationBench, OcrBench, OcrCase, StageStats } from './bench-page.ts';

const ROOT = resolve(import.meta.dirname, '..');
const PHOTO = resolve(ROOT, '../shared/fixtures/benign-photos/astronaut.png');
const PORT = 5174;
/** FigStep images (base64) with the instruction each shows. */
function figstepBench(): OcrCase[] {
  return figstepCases().map(({ file, instruction }) => ({
    base64: readFileSync(resolve(ROOT, '../shared/fixtures', file)).toString('base64'),
    type: 'image/png',
    instruction,
  }));
}

const server = await createServer({ root: ROOT, configFile: resolve(ROOT, 'vite.config.ts'), server: { port: PORT }, logLevel: 'warn' });
await server.listen();
const testServer = await startTestServer(0, { tokenDelayMs: 5 });
const browser = await chromium.launch(chromiumLaunchOptions);
const results: BackendBench[] = [];
const generation: GenerationBench[] = [];
const ocr: OcrBench[] = [];
/** A fresh context per measurement: cold, nothing cached from the one before. */
async function inPage<T>(run: (page: import('@playwright/test').Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.route('**/bench/photo', (route) => route.fulfill({ body: readFileSync(PHOTO), contentType: 'image/png' }));
  await page.goto(`http://127.0.0.1:${PORT}/bench/index.html`);
  await page.waitForFunction(() => window.benchReady === true, undefined, { timeout: 120_000 });
  try {
    return await run(page);
  } finally {
    await context.close();
  }
}
try {
  for (const backend of ['webgpu', 'wasm'] as const) {
    results.push(await inPage((page) => page.evaluate((b) => window.runBackend(b), backend)));
  }
  for (const [backend, remote] of [['wasm', testServer.url], ['webgpu', null], ['wasm', null]] as const) {
    generation.push(await inPage((page) => page.evaluate(([b, r]) => window.runGeneration(b, r), [backend, remote] as const)));
  }
  // WebGPU here is SwiftShader (~35 s per 760² image): two images, two warm runs; WASM: all 50, ten warm runs.
  const cases = figstepBench();
  ocr.push(await inPage((page) => page.evaluate(([c]) => window.runOcr('webgpu', c, 2), [cases.slice(0, 2)] as const)));
  ocr.push(await inPage((page) => page.evaluate(([c]) => window.runOcr('wasm', c, 10), [cases] as const)));
} finally {
  await browser.close();
  await server.close();
  await testServer.close();
}

const ms = (s: StageStats) => `${s.medianMs.toFixed(2)} ms`;
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
  ['worker overhead, image (guard ÷ direct)', (b) => x(b.workerOverhead.imageEmbedding)],
  ['worker overhead, reward (guard ÷ direct)', (b) => x(b.workerOverhead.rewardScore)],
  ['cache miss (hash + decode + embed, 512² PNG)', (b) => ms(b.cache.missMs)],
  ['cache hit (hash of the file bytes)', (b) => ms(b.cache.hitMs)],
  ['cache-hit speed-up', (b) => x(b.cache.speedup)],
];
const table = [
  `| stage (median of 20 warm runs) | ${results.map((r) => r.backend).join(' | ')} |`,
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

const report = { date: new Date().toISOString(), userAgent: await browserVersion(), results, generation, ocr };
const dir = resolve(ROOT, 'bench/results');
mkdirSync(dir, { recursive: true });
const body = `${JSON.stringify(report, null, 2)}\n`;
writeFileSync(resolve(dir, `${report.date.replace(/[:.]/g, '-')}.json`), body);
writeFileSync(resolve(dir, 'latest.json'), body);
console.log(`\nwrote bench/results/latest.json`);

async function browserVersion(): Promise<string> {
  const b = await chromium.launch(chromiumLaunchOptions);
  const v = b.version();
  await b.close();
  return `Chromium ${v}`;
}
