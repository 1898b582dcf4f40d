// Issue 28's cost of deep alignment (npm run bench:deep, and a stage of npm run bench):
// respond() on an unsafe prompt (shallow and deep) against vanilla generation, ABAB pairs, per
// answer and per output token (the model's own tokenizer) with both answers' lengths, on the
// remote test server at a realistic pace and on the local test VLM on WASM. Its report:
// bench/DEEP-COST.md (every figure from this run; goals met or missed, with why).
import { cpus } from 'node:os';
import { chromium } from '@playwright/test';
import { chromiumLaunchOptions } from '../src/cli/chromium.ts';
import { startTestServer } from '../e2e/openai-test-server/server.ts';
import { ALIGNMENT_DEFAULTS } from '../src/alignment/config.ts';
import type { GenerationBench, GenerationRun, PairedComparison } from './bench-page.ts';
import { benchServer, openBenchPage } from './bench-browser.ts';
import { envNumber } from './stats.ts';
import { type BenchGoal, type BenchReport, goalsTable, measuredBy } from './bench-report.ts';

const PORT = 5177;
const SPEED = { tokensPerSecond: envNumber('BENCH_TOKENS_PER_SECOND', 30), answerTokens: envNumber('BENCH_ANSWER_TOKENS', 300) };
const PAIRS = envNumber('BENCH_PAIRS', 5);
const SHALLOW = 'respond shallow, unsafe prompt (aligned)';
const DEEP = 'respond deep, unsafe prompt (aligned)';
/** Goals (issue 28): deep per output token against vanilla; and per answer, remote (the earlier goal). */
const GOALS = { remote: 1.5, localWasm: 2, remotePerAnswer: 3 };

export async function measureDeepCost(): Promise<BenchReport> {
  const server = await benchServer({ port: PORT });
  const testServer = await startTestServer(0, { realistic: SPEED });
  const browser = await chromium.launch(chromiumLaunchOptions);
  const runs: Omit<GenerationRun, 'pairs' | 'speed'>[] = [
    { backend: 'wasm', remoteUrl: testServer.url, comparisons: [SHALLOW, DEEP] },
    { backend: 'wasm', remoteUrl: null, comparisons: [SHALLOW, DEEP] },
  ];
  const results: GenerationBench[] = [];
  try {
    for (const run of runs) {
      const { context, page } = await openBenchPage(browser, `http://127.0.0.1:${PORT}/bench/index.html`, 'benchReady');
      const started = performance.now();
      results.push(await page.evaluate((r) => window.runGeneration(r), { ...run, speed: SPEED, pairs: PAIRS }));
      console.log(`bench:deep: ${run.remoteUrl ? 'remote' : 'local'} done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      await context.close();
    }
  } finally {
    await browser.close();
    await testServer.close();
    await server.close();
  }

  const ms = (x: number) => `${x.toFixed(0)} ms`;
  const x = (r: number) => `${r.toFixed(2)}×`;
  const where = (g: GenerationBench) => (g.speed ? `remote test server, ${g.speed.tokensPerSecond} tok/s` : `local test VLM (${g.backend})`);
  const rows = results.flatMap((g) => g.comparisons.map((c) => ({ g, c })));
  const table = [
    '| generator | respond | vanilla: time, tokens | respond: time, tokens | of which: vanilla part, alignment | per answer (min – max) | **per output token** (min – max) | deep: rounds, requests, longest ÷ kept candidate tokens |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map(({ g, c }) =>
      `| ${where(g)} | ${c.name.replace('respond ', '').replace(', unsafe prompt (aligned)', '')} | ${ms(c.vanilla.medianMs)}, ${c.tokens.vanilla} | ${ms(c.respond.medianMs)}, ${c.tokens.respond} | ${ms(c.stagesMs.generate)}, ${ms(c.stagesMs.align)} | ${x(c.ratio.median)} (${x(c.ratio.min)} – ${x(c.ratio.max)}) | **${x(c.perToken.median)}** (${x(c.perToken.min)} – ${x(c.perToken.max)}) | ${c.deep ? `${c.deep.rounds}, ${c.deep.requests}, ${x(c.deep.longestOverKept)}` : '—'} |`,
    ),
  ];
  const deepOf = (remote: boolean) => results.find((g) => (g.speed !== null) === remote)?.comparisons.find((c) => c.name === DEEP);
  const remoteDeep = deepOf(true);
  const localDeep = deepOf(false);
  const goal = (label: string, limit: number, c: PairedComparison | undefined, ratio: (c: PairedComparison) => number): BenchGoal => ({
    goal: `${label} ≤ ${x(limit)} vanilla`,
    measured: c ? `${x(ratio(c))} (median of ${c.ratio.pairs} pairs)` : 'not measured',
    met: c !== undefined && ratio(c) <= limit,
  });
  const goals = [
    goal('deep, per output token, remote (realistic pace):', GOALS.remote, remoteDeep, (c) => c.perToken.median),
    goal('deep, per output token, local VLM on WASM:', GOALS.localWasm, localDeep, (c) => c.perToken.median),
    goal('deep, per answer, remote (realistic pace):', GOALS.remotePerAnswer, remoteDeep, (c) => c.ratio.median),
  ];
  const candidates = ALIGNMENT_DEFAULTS.deep.candidates;
  /** Why a goal was missed, from this run's own figures. */
  const why = [
    remoteDeep && (remoteDeep.perToken.median > GOALS.remote || remoteDeep.ratio.median > GOALS.remotePerAnswer)
      ? `- remote (per answer, it also sets answers of different lengths side by side: ${remoteDeep.tokens.respond} tokens against vanilla's ${remoteDeep.tokens.vanilla}): best-of-${candidates} waits, in each of its ${remoteDeep.deep?.rounds ?? '?'} rounds, for the longest of the ${candidates} sampled sentences while the answer keeps one: ${x(remoteDeep.deep?.longestOverKept ?? NaN)} the kept candidates' tokens were waited for (the test server's sentences are short: ${(remoteDeep.tokens.respond / (remoteDeep.deep?.rounds ?? 1)).toFixed(1)} tokens a round). The rest is each round's own request and the scoring of its last candidate; the vanilla answer streams without either wait. The respond call also holds the vanilla part up to its first unsafe sentence (${ms(remoteDeep.stagesMs.generate)}).`
      : '',
    localDeep && localDeep.perToken.median > GOALS.localWasm
      ? `- local (WASM): the test VLM writes its whole ${localDeep.tokens.vanilla}-token answer in ${ms(localDeep.vanilla.medianMs)}, so fixed costs weigh: respond's vanilla part (through the gate, the image and the first sentence judged) took ${ms(localDeep.stagesMs.generate)} and alignment ${ms(localDeep.stagesMs.align)} for ${localDeep.deep?.rounds ?? '?'} rounds — each a batch of ${candidates} sequences up to the longest one (${x(localDeep.deep?.longestOverKept ?? NaN)} the kept tokens), its prompt read once by the decoder and its cache shared by the ${candidates} rows, then the reward and CLIP runs.`
      : '',
  ].filter(Boolean);

  const markdown = `# Deep alignment's cost (issue 28)

Measured by \`${measuredBy()}\` on ${new Date().toISOString().slice(0, 10)} with Chromium ${browser.version()} headless, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}).
Every figure below comes from this one run (raw numbers: \`bench/results/deep-latest.json\`, not committed).

The red image with "How do I build a bomb?": the vanilla answer is harmful, so respond() stops it at its first unsafe
sentence and aligns (shallow: one continuation after the safety prefix; deep: ETA's sentence-level best-of-${candidates}).
"vanilla" is the greedy answer generated alone. ${PAIRS} ABAB pairs per row after one warm-up of each; medians. Tokens are
those of the answer each side shows, counted by the model's own tokenizer (the test server's; the local VLM's). "per
output token" divides each side's time by its tokens within a pair. Evaluators (CLIP, reward) on WASM, test models.
The remote test server streams ${SPEED.tokensPerSecond} tokens/s, the n candidates of a request interleaved as vLLM sends them.

${table.join('\n')}

## Goals

${goalsTable(goals)}
${why.length ? `\nWhy the missed ones are missed:\n\n${why.join('\n')}\n` : ''}
How a round runs: the ${candidates} candidates come from one streamed request (\`n\`); each is complete at its sentence end
(the request ends once all are, so no candidate runs on to \`sentenceMaxTokens\`), and is scored as soon as it is
complete — reward and CLIP in one batched run per model for the candidates complete together.
`;
  return { file: 'DEEP-COST.md', title: 'deep alignment per answer and per output token', markdown, goals, raw: { name: 'deep', data: { speed: SPEED, pairs: PAIRS, results } } };
}
