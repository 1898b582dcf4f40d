// The browser's CPU time as the machine sees it: every thread of every Chromium process
// (/proc/<pid>/task/<tid>/stat, user + system), sampled while a visit runs, grouped by what the
// thread is — the page's main thread, dedicated workers, the renderer's thread pool (V8's
// WebAssembly tier-up compiler, GC), the network service, the rest. Threads that end between
// samples lose at most one interval. Linux only; elsewhere the figure is reported as not measured.
import { readFileSync, readdirSync } from 'node:fs';
import { browserPids } from './process-memory.ts';

export type CpuGroup = 'page main thread' | 'workers' | 'renderer thread pool' | 'network' | 'rest of the browser';
export type CpuSeconds = Record<CpuGroup, number> & { total: number };

const TICK_S = 0.01; // USER_HZ: 100 on Linux

function groupOf(processType: string, thread: string): CpuGroup {
  if (processType === 'renderer') {
    if (thread === 'DedicatedWorker' || thread.startsWith('DedicatedWorker')) return 'workers';
    if (thread.startsWith('ThreadPool')) return 'renderer thread pool';
    if (thread === 'chromium' || thread === 'chrome' || thread === 'headless_shell' || thread === 'CrRendererMain') return 'page main thread';
  }
  if (processType.includes('NetworkService')) return 'network';
  return 'rest of the browser';
}

/** Starts sampling every `everyMs`; `stop()` gives the CPU seconds spent since, per group (null without /proc). */
export function cpuSampler(everyMs = 200) {
  const threads = new Map<string, { group: CpuGroup; first: number; last: number }>();
  const sample = () => {
    for (const pid of browserPids()) {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        const type = `${/--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser'}${/--utility-sub-type=([\w.]+)/.exec(cmdline)?.[1] ?? ''}`;
        for (const tid of readdirSync(`/proc/${pid}/task`)) {
          const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
          const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
          const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime
          const key = `${pid}/${tid}`;
          const seen = threads.get(key);
          if (seen) seen.last = ticks;
          // A thread first seen after the start began at 0 ticks (it started since).
          else threads.set(key, { group: groupOf(type, name), first: started ? 0 : ticks, last: ticks });
        }
      } catch {
        // the process or thread ended between listing and reading
      }
    }
  };
  let started = false;
  sample();
  started = true;
  const timer = setInterval(sample, everyMs);
  return {
    stop(): CpuSeconds | null {
      clearInterval(timer);
      sample();
      if (threads.size === 0) return null;
      const out: CpuSeconds = { 'page main thread': 0, workers: 0, 'renderer thread pool': 0, network: 0, 'rest of the browser': 0, total: 0 };
      for (const t of threads.values()) {
        const s = (t.last - t.first) * TICK_S;
        out[t.group] += s;
        out.total += s;
      }
      return out;
    },
  };
}
