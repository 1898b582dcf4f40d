// The browser's memory as the machine sees it: the proportional set size (PSS) of every
// Chromium process, summed — JS heaps, WebAssembly memories and (software) GPU buffers alike.
// Linux only (/proc); elsewhere the figure is reported as not measured.
import { existsSync, readFileSync, readdirSync } from 'node:fs';

export const BROWSER_NAMES = new Set(['chromium', 'chrome', 'headless_shell', 'chrome_crashpad', 'chromium-browse']);

/** The pids of Chromium's processes now (an empty list where /proc is not there). */
export function browserPids(): string[] {
  if (!existsSync('/proc/self/stat')) return [];
  return readdirSync('/proc').filter((d) => {
    try {
      return /^\d+$/.test(d) && BROWSER_NAMES.has(readFileSync(`/proc/${d}/comm`, 'utf8').trim());
    } catch {
      return false; // the process ended between listing and reading
    }
  });
}

/** Bytes of PSS over Chromium's processes now, or null where /proc is not there. */
export function browserPssBytes(): number | null {
  if (!existsSync('/proc/self/smaps_rollup')) return null;
  let total = 0;
  for (const pid of browserPids()) {
    try {
      const pss = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
      if (pss) total += Number(pss[1]) * 1024;
    } catch {
      // the process ended between listing and reading
    }
  }
  return total;
}

export interface MemoryPeak {
  /** The browser's PSS once settled before the page opened. */
  beforeBytes: number;
  peakBytes: number;
  /** Whether the level before had settled (a closed page's processes give their memory back over seconds). */
  settled: boolean;
}

/**
 * Waits until the browser's PSS stops falling (a page closed just before is still
 * returning memory), then samples it every `everyMs` until stopped: the peak, and the
 * settled level before.
 */
export async function peakSampler(everyMs = 200, settleMs = 60_000) {
  const started = Date.now();
  let before = browserPssBytes();
  let settled = false;
  while (before !== null && Date.now() - started < settleMs) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = browserPssBytes() ?? 0;
    const falling = before - now > 16 * 2 ** 20;
    before = now;
    if (!falling) {
      settled = true;
      break;
    }
  }
  let peak = before ?? 0;
  const timer = setInterval(() => (peak = Math.max(peak, browserPssBytes() ?? 0)), everyMs);
  return {
    stop(): MemoryPeak | null {
      clearInterval(timer);
      peak = Math.max(peak, browserPssBytes() ?? 0);
      return before === null ? null : { beforeBytes: before, peakBytes: peak, settled };
    },
  };
}
