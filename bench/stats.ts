// Timing statistics and knobs shared by the bench pages (Chromium) and the benches' Node-side stages.

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

/** The main thread's longest stall: a 10 ms timer's lateness. */
export function stallMeter() {
  let last = performance.now();
  let longest = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last - 10);
    last = now;
  }, 10);
  return { longest: () => longest, stop: () => clearInterval(ticker) };
}

/** A knob from the environment (a bench's pace, answer length, pairs): a positive number. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
