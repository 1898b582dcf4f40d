// Timing statistics shared by the bench page (Chromium) and the bench's Node-side stages.

export interface StageStats {
  medianMs: number;
  p90Ms: number;
  runs: number;
}

export function stats(samples: number[]): StageStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { medianMs: at(0.5), p90Ms: at(0.9), runs: samples.length };
}

/** `warmup` untimed runs (given negative indices), then `runs` timed ones. */
export async function measure(run: (i: number) => Promise<unknown>, runs: number, warmup: number): Promise<StageStats> {
  for (let i = 0; i < warmup; i++) await run(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await run(i);
    samples.push(performance.now() - t0);
  }
  return stats(samples);
}
