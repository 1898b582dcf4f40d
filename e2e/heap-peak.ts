// The page's heap at its highest while `run` runs, above its level just before (after a
// collection), sampled every 20 ms through the DevTools protocol. Shared by the large-stream
// spec and the streaming bench.
import type { CDPSession } from '@playwright/test';

export async function heapGrowthMiB<T>(cdp: CDPSession, run: () => Promise<T>): Promise<{ result: T; growthMiB: number }> {
  const used = async () => ((await cdp.send('Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
  await cdp.send('HeapProfiler.collectGarbage');
  const idle = await used();
  let peak = idle;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      peak = Math.max(peak, await used());
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { result: await run(), growthMiB: (peak - idle) / 2 ** 20 };
  } finally {
    sampling = false;
    await sampler;
  }
}
