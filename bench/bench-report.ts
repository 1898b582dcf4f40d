// A bench's report: its own markdown file (bench/<NAME>.md) and its goals, met or missed, which
// bench/REPORT.md gathers when `npm run bench` runs the bench as one of its stages — so every
// goal of every bench is in one report, from one run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

const BENCH = import.meta.dirname;

export interface BenchGoal {
  /** The case it was measured on (a path, an image, a size), when a goal is measured on several. */
  where?: string;
  goal: string;
  measured: string;
  met: boolean;
}

export interface BenchReport {
  /** The report's file in bench/, e.g. DEEP-COST.md. */
  file: string;
  /** What it measures, in a few words (REPORT.md's link text). */
  title: string;
  markdown: string;
  goals: BenchGoal[];
  /** The raw numbers, written to bench/results/<raw>-latest.json (not committed). */
  raw?: { name: string; data: unknown };
}

/** The npm script that runs this process (a bench alone, or the whole of \`npm run bench\`), for a report's first line. */
export const measuredBy = () => `npm run ${process.env.npm_lifecycle_event ?? 'bench'}`;

export const goalStatus = (met: boolean) => (met ? 'met' : '**missed**');

/** A goals table; with a "where" column when any goal has one. */
export function goalsTable(goals: BenchGoal[]): string {
  const where = goals.some((g) => g.where !== undefined);
  return [
    `| ${where ? 'where | ' : ''}goal | measured | |`,
    `|${where ? '---|' : ''}---|---|---|`,
    ...goals.map((g) => `| ${where ? `${g.where ?? ''} | ` : ''}${g.goal} | ${g.measured} | ${goalStatus(g.met)} |`),
  ].join('\n');
}

/** Writes a bench's report file and its raw numbers. */
export function writeBenchReport(report: BenchReport): void {
  if (report.raw) {
    mkdirSync(resolve(BENCH, 'results'), { recursive: true });
    writeFileSync(resolve(BENCH, `results/${report.raw.name}-latest.json`), `${JSON.stringify({ at: new Date().toISOString(), ...(report.raw.data as object) }, null, 2)}\n`);
  }
  writeFileSync(resolve(BENCH, report.file), report.markdown);
}

/** A bench run on its own (npm run bench:deep, …): measure, write its report, print it. */
export async function runAlone(measure: () => Promise<BenchReport>): Promise<void> {
  const report = await measure();
  writeBenchReport(report);
  console.log(`${report.markdown}\nwrote bench/${report.file}`);
}
