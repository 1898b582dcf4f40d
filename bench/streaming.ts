// Issue 27's bench (npm run bench:stream, and a stage of npm run bench): time to first token and total time, guarded
// against unguarded, ABAB pairs at the test server's realistic pace, through respond,
// fetch protection and the AI SDK middleware, on a safe photo and an unsafe image, at the
// test models' size and a real one. Its report: bench/STREAMING.md (every figure from this run;
// goals met or missed, with why).
import { cpus } from 'node:os';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../src/cli/chromium.ts';
import { heapGrowthMiB } from '../e2e/heap-peak.ts';
import { startTestServer } from '../e2e/openai-test-server/server.ts';
import { BENCH_TIERS, makeBenchModels } from './make-bench-models.ts';
import { benchServer, openBenchPage } from './bench-browser.ts';
import { envNumber } from './stats.ts';
import type { LargeRun } from './large-stream-page.ts';
import type { StreamComparison } from './stream-page.ts';
import { type BenchGoal, type BenchReport, goalsTable, measuredBy } from './bench-report.ts';

const PORT = 5176;
const number = envNumber;
const SPEED = { tokensPerSecond: number('BENCH_TOKENS_PER_SECOND', 30), answerTokens: number('BENCH_ANSWER_TOKENS', 120) };
const PAIRS = number('BENCH_PAIRS', 4);
/** The large answer (issue 27 item 4: memory flat, no stall over 50 ms, on 60 MB). */
const LARGE_MB = number('BENCH_LARGE_MB', 60);
const LARGE_GOAL_MB = 100;
/** Goals (issue 27): safe image — first token within the image check + 50 ms of unguarded, total ≤ 1.05×. */
const GOALS = { firstSlackMs: 50, totalRatio: 1.05, stallMs: 50 };

export async function measureStreaming(): Promise<BenchReport> {
  await makeBenchModels();
  const sizes = [
    { name: 'test models', modelBase: '/models/' },
    { name: BENCH_TIERS.classifier, modelBase: '/bench/models/', tier: 'classifier' },
  ];

  const server = await benchServer({ port: PORT });
  const testServer = await startTestServer(0, { realistic: SPEED });
  const browser = await chromium.launch(chromiumLaunchOptions);
  const rows: (StreamComparison & { size: string })[] = [];
  const large: (LargeRun & { path: string; guarded: boolean; heapMiB: number })[] = [];
  try {
    for (const size of sizes) {
      const { context, page } = await openBenchPage(browser, `http://127.0.0.1:${PORT}/bench/stream.html`, 'streamBenchReady');
      const started = performance.now();
      const measured = await page.evaluate((run) => window.runStreaming(run), { remoteUrl: testServer.url, pairs: PAIRS, modelBase: size.modelBase, ...(size.tier ? { tier: size.tier } : {}) });
      console.log(`bench:stream: ${size.name} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      rows.push(...measured.map((m) => ({ ...m, size: size.name })));
      await context.close();
    }
    // A large answer: the page's heap sampled (CDP) while it streams, above what it was before (after a collection).
    const { context, page } = await openBenchPage(browser, `http://127.0.0.1:${PORT}/bench/stream.html`, 'streamBenchReady');
    const cdp = await context.newCDPSession(page);
    for (const path of ['fetch protection', 'AI SDK middleware'] as const) {
      await page.evaluate(({ path, mb }) => window.runLarge(path, mb, true), { path, mb: 1 }); // warm-up: the guard loads
      for (const guarded of [false, true, false, true]) {
        const { result, growthMiB } = await heapGrowthMiB(cdp, () => page.evaluate(({ path, mb, guarded }) => window.runLarge(path, mb, guarded), { path, mb: LARGE_MB, guarded }));
        large.push({ ...result, path, guarded, heapMiB: growthMiB });
      }
    }
    await context.close();
  } finally {
    await browser.close();
    await testServer.close();
    await server.close();
  }

  const ms = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : `${x.toFixed(0)} ms`);
  const table = [
    '| size | path | image | gate | first token unguarded → guarded | Δ first (image check) | total unguarded → guarded | total ratio | released sentence delay (median / max, n) | answer check | longest stall unguarded → guarded |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const imageCheck = r.imageCheckMs ?? rows.find((o) => o.size === r.size && o.image === r.image && Number.isFinite(o.imageCheckMs))?.imageCheckMs;
      return `| ${r.size} | ${r.path} | ${r.image} | ${r.gate} | ${ms(r.unguarded.first.medianMs)} → ${ms(r.guarded.first.medianMs)} | ${ms(r.firstDelayMs)} (${ms(imageCheck)}) | ${ms(r.unguarded.total.medianMs)} → ${ms(r.guarded.total.medianMs)} | ${r.totalRatio.toFixed(2)}× | ${r.sentenceDelayMs ? `${ms(r.sentenceDelayMs.median)} / ${ms(r.sentenceDelayMs.max)}, ${r.sentenceDelayMs.sentences}` : '—'} | ${ms(r.responseCheckMs)} | ${ms(r.unguardedStallMs)} → ${ms(r.longestStallMs)} |`;
    }),
  ];

  /** Each goal per row: met or missed, and by what. */
  const goals = rows.flatMap((r): BenchGoal[] => {
    const imageCheck = Number.isFinite(r.imageCheckMs) ? r.imageCheckMs : (rows.find((o) => o.size === r.size && o.image === r.image && Number.isFinite(o.imageCheckMs))?.imageCheckMs ?? 0);
    const where = `${r.size}, ${r.path}, ${r.image}`;
    const out: BenchGoal[] = [{ where, goal: `no main-thread stall over ${GOALS.stallMs} ms (guarded call)`, measured: `${ms(r.longestStallMs)} (unguarded: ${ms(r.unguardedStallMs)})`, met: r.longestStallMs <= GOALS.stallMs }];
    if (r.image === 'safe photo') {
      const firstGoal = imageCheck + GOALS.firstSlackMs;
      out.push({ where, goal: `first token ≤ unguarded + image check + ${GOALS.firstSlackMs} ms (≤ +${ms(firstGoal)})`, measured: `+${ms(r.firstDelayMs)}`, met: r.firstDelayMs <= firstGoal });
      out.push({ where, goal: `total ≤ ${GOALS.totalRatio}× unguarded`, measured: `${r.totalRatio.toFixed(2)}×`, met: r.totalRatio <= GOALS.totalRatio });
    } else if (r.sentenceDelayMs && r.responseCheckMs !== undefined) {
      // Each released sentence within its generation time + its check: its delay after its last token ≤ the answer check (with the same 50 ms of slack).
      const goal = r.responseCheckMs + GOALS.firstSlackMs;
      out.push({ where, goal: `each released sentence ≤ its last token + its check (+${GOALS.firstSlackMs} ms; ≤ ${ms(goal)} after)`, measured: `max ${ms(r.sentenceDelayMs.max)}`, met: r.sentenceDelayMs.max <= goal });
    }
    return out;
  });

  /** Stall misses: the app's own where the unguarded call stalls as long, else counted as the guard's. */
  const stallMissed = rows.filter((r) => r.longestStallMs > GOALS.stallMs);
  const appOwnStall = stallMissed.filter((r) => r.unguardedStallMs + GOALS.stallMs >= r.longestStallMs);
  const guardStall = stallMissed.filter((r) => !appOwnStall.includes(r));
  const largeGuarded = large.filter((l) => l.guarded);
  const largeHeap = Math.max(...largeGuarded.map((l) => l.heapMiB));
  const largeStallMs = Math.max(...largeGuarded.map((l) => l.longestStallMs));
  const largeStall = largeStallMs > GOALS.stallMs;
  const stallRuns = (path: string) => large.filter((l) => l.path === path && l.guarded).map((l) => ms(l.longestStallMs)).join(', ');
  /** Why a kind of goal was missed, said once under the table when any goal of that kind was. */
  const WHY: [boolean, string][] = [
    [appOwnStall.length > 0, `${appOwnStall.map((r) => `${r.size}, ${r.path}`).join('; ')}: the unguarded call stalls as long — the app's own work on the same request (encoding the photo into the request body, the provider's base64, the browser taking in a body of megabytes when it is sent), not the guard's. What ran in the guarded call's longest frame (Long Animation Frames): ${appOwnStall.map((r) => `${r.size}, ${r.path}: ${r.stallAttribution ?? 'no long frame recorded'}`).join('; ')}.`],
    [guardStall.length > 0, `no unguarded call of this run's ${PAIRS} pairs had a frame as long, so the miss is counted as the guard's (a frame in a dependency's script may still be the app's own work, e.g. the AI SDK encoding the request). What ran in the guarded call's longest frame (Long Animation Frames): ${guardStall.map((r) => `${r.size}, ${r.path}, ${r.image}: ${r.stallAttribution ?? 'no long frame recorded'}`).join('; ')}.`],
    [largeStall, `the ${LARGE_MB} MB answer: the guarded runs' longest tasks were ${['fetch protection', 'AI SDK middleware'].map((p) => `${p} ${stallRuns(p)}`).join('; ')}; in the longest frame: ${largeGuarded.filter((l) => l.longestStallMs > GOALS.stallMs).map((l) => `${l.path}: ${l.stallAttribution ?? 'no long frame recorded'}`).join('; ')}.`],
    [goals.some((g) => g.goal.startsWith('each released sentence') && !g.met), 'a sentence is scored as soon as it ends (before the image verdict too), so the delay left is the reward model\'s own time per sentence plus the queue of sentences before it; at the real size one check takes longer than the model needs for a short sentence, so checks queue up.'],
  ];
  const why = WHY.filter(([missed]) => missed).map(([, text]) => `- ${text}`);

  /** The unsafe image's total ratios at the real size, per path (the paragraph under the goals). */
  const realUnsafeRatios = rows.filter((r) => r.size !== 'test models' && r.image === 'unsafe image').map((r) => `${r.path} ${r.totalRatio.toFixed(2)}×`).join(', ');

  const largeGoals: BenchGoal[] = [
    { where: `a ${LARGE_MB} MB answer`, goal: `memory flat: < ${LARGE_GOAL_MB} MB above idle`, measured: `${largeHeap.toFixed(1)} MiB (guarded, worst)`, met: largeHeap < LARGE_GOAL_MB },
    { where: `a ${LARGE_MB} MB answer`, goal: `no main-thread stall over ${GOALS.stallMs} ms`, measured: `${ms(largeStallMs)} (guarded, worst)`, met: largeStallMs <= GOALS.stallMs },
  ];
  const markdown = `# Streaming bench (issue 27)

Measured by \`${measuredBy()}\` on ${new Date().toISOString().slice(0, 10)} with ${browser.version() ? `Chromium ${browser.version()}` : 'Chromium'} headless, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}).
Every figure below comes from this one run (raw numbers: \`bench/results/stream-latest.json\`, not committed).
The test server streams at ${SPEED.tokensPerSecond} tokens/s, answers of about ${SPEED.answerTokens} tokens; ${PAIRS} ABAB pairs
(unguarded, guarded) per row after one warm-up of each, every path asking for the same greedy answer; medians. Evaluators on WASM. The guarded call runs the image
check (CLIP; no image cache) beside the model's stream; a safe photo opens the gate (pass-through), the red image is
judged sentence by sentence and, the answer being harmful, aligned after its first unsafe sentence — so "total" there
compares a stopped-and-aligned answer with a whole harmful one.

${table.join('\n')}

## Goals

${goalsTable(goals)}
${why.length ? `\nWhy the missed ones are missed:\n\n${why.join('\n')}\n` : ''}
"total" on the unsafe image compares a stopped-and-aligned answer with the whole harmful one: below 1× is the upstream stopped early.
At the real size the guarded total is above the unguarded one (${realUnsafeRatios}): every sentence — the vanilla ones before the
unsafe one and each sentence of the aligned part, which streams through its own judged gate — takes one check of the
BERT-base-sized classifier (about a second each on WASM here, queued one after another in its worker), where the aligned
part used to be judged once, whole, before it was shown at all. Grouping sentences into one check while the judge is
busy was tried and reverted: a harmful sentence judged together with the benign text after it can pass. Scoring a
round of sentences in one batched run is issue 28's work.

## A ${LARGE_MB} MB answer (safe photo, test models)

The page makes the answer on demand (nothing of it kept) and the app reads it to the end; the page's heap is sampled
every 20 ms through the DevTools protocol, above its level just before (after a collection). Two ABAB pairs per path.

| path | call | time | received | heap above idle (peak) | longest stall |
|---|---|---|---|---|---|
${large.map((l) => `| ${l.path} | ${l.guarded ? 'guarded' : 'unguarded'} | ${ms(l.ms)} | ${(l.received / 2 ** 20).toFixed(1)} MiB | ${l.heapMiB.toFixed(1)} MiB | ${ms(l.longestStallMs)} |`).join('\n')}

${goalsTable(largeGoals)}

A 40 MB image sent to a remote VLM is measured by its own bench: bench/LARGE-IMAGE.md (\`npm run bench:image\`).
`;
  return { file: 'STREAMING.md', title: 'streaming: time to first token and total, guarded against unguarded, on every path', markdown, goals: [...goals, ...largeGoals], raw: { name: 'stream', data: { speed: SPEED, pairs: PAIRS, rows, large } } };
}
