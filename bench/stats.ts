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

/** A script that ran in a long animation frame (Chromium's Long Animation Frames API). */
interface ScriptTiming {
  duration: number;
  invoker: string;
  sourceURL: string;
  sourceFunctionName: string;
}
interface AnimationFrameTiming extends PerformanceEntry {
  scripts: ScriptTiming[];
}

/** What ran in one long frame: its longest scripts (function, file, what called it, ms) and the rest. */
function describeFrame(frame: AnimationFrameTiming): string {
  const scripts = [...frame.scripts].sort((a, b) => b.duration - a.duration);
  const inScripts = scripts.reduce((sum, s) => sum + s.duration, 0);
  const named = scripts.slice(0, 3).map((s) => `${s.sourceFunctionName || '(anonymous)'} in ${s.sourceURL.split('/').pop()?.split('?')[0] || '?'} (${s.invoker}) ${Math.round(s.duration)} ms`);
  return `a ${Math.round(frame.duration)} ms frame: ${named.length ? named.join(', ') : 'no script'}; ${Math.round(Math.max(0, frame.duration - inScripts))} ms outside scripts (rendering, GC, the browser's own work)`;
}

/**
 * The main thread's longest stall: its longest task or long animation frame over 50 ms (0 when
 * there was none), and what ran in the longest frame (attribution). Both: the long tasks API
 * leaves out work that a DevTools-protocol call started (a bench page's own calls), which the
 * frames see — an unguarded call's stall would otherwise read as none.
 * Not a timer's lateness: work that yields with scheduler.yield
 * goes before timers without blocking input or rendering, which a timer would count.
 * The task that creates the meter counts whole: start it after the call's own preparation
 * has yielded (see large-image-page.ts).
 */
export function stallMeter() {
  let longest = 0;
  let frame: AnimationFrameTiming | null = null;
  const note = (entries: PerformanceEntryList) => {
    for (const entry of entries) {
      longest = Math.max(longest, entry.duration);
      if (entry.entryType === 'long-animation-frame' && (!frame || entry.duration > frame.duration)) frame = entry as AnimationFrameTiming;
    }
  };
  const tasks = new PerformanceObserver((list) => note(list.getEntries()));
  tasks.observe({ type: 'longtask' });
  const frames = new PerformanceObserver((list) => note(list.getEntries()));
  frames.observe({ type: 'long-animation-frame' });
  const take = () => {
    note(tasks.takeRecords());
    note(frames.takeRecords());
  };
  return {
    longest: () => {
      take();
      return longest;
    },
    /** What ran in the longest long animation frame; null when there was none. */
    attribution: (): string | null => {
      take();
      return frame ? describeFrame(frame) : null;
    },
    stop: () => {
      take();
      tasks.disconnect();
      frames.disconnect();
    },
  };
}

/** A knob from the environment (a bench's pace, answer length, pairs): a positive number. */
export function envNumber(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}
