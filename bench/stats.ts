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

/**
 * The main thread's longest stall: its longest task over 50 ms (the browser's long tasks;
 * 0 when there was none). Not a timer's lateness: work that yields with scheduler.yield
 * goes before timers without blocking input or rendering, which a timer would count.
 * The task that creates the meter counts whole: start it after the call's own preparation
 * has yielded (see large-image-page.ts).
 */
export function stallMeter() {
  let longest = 0;
  const note = (entries: PerformanceEntryList) => {
    for (const entry of entries) longest = Math.max(longest, entry.duration);
  };
  const observer = new PerformanceObserver((list) => note(list.getEntries()));
  observer.observe({ type: 'longtask' });
  const take = () => note(observer.takeRecords());
  return {
    longest: () => {
      take();
      return longest;
    },
    stop: () => {
      take();
      observer.disconnect();
    },
  };
}

/** A knob from the environment (a bench's pace, answer length, pairs): a positive number. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
