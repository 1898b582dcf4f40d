// Soak: 500 sequential evaluations on the generated models. The page's JS heap (after a
// forced GC) must stay flat, caches within their bounds, and no worker restarted.
import type { CDPSession } from '@playwright/test';
import { expect, installPageHelpers, openHarness, test } from './support.ts';

/** The JS heap of every worker after a forced GC, through CDP sessions attached to the worker targets. */
async function workerHeaps(cdp: CDPSession): Promise<number[]> {
  const { targetInfos } = await cdp.send('Target.getTargets');
  const heaps: number[] = [];
  for (const target of targetInfos.filter((t) => t.type === 'worker')) {
    const { sessionId } = await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: false });
    let nextId = 0;
    const call = (method: string) =>
      new Promise<Record<string, number>>((resolve) => {
        const id = ++nextId;
        const onMessage = (event: { sessionId?: string; message: string }) => {
          const reply = JSON.parse(event.message) as { id?: number; result?: Record<string, number> };
          if (event.sessionId !== sessionId || reply.id !== id) return;
          cdp.off('Target.receivedMessageFromTarget', onMessage);
          resolve(reply.result ?? {});
        };
        cdp.on('Target.receivedMessageFromTarget', onMessage);
        void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
      });
    await call('HeapProfiler.collectGarbage');
    heaps.push((await call('Runtime.getHeapUsage')).usedSize ?? 0);
    await cdp.send('Target.detachFromTarget', { sessionId });
  }
  return heaps;
}

test('500 sequential evaluations: heap flat, caches bounded, workers steady', async ({ page }) => {
  test.setTimeout(300_000);
  await openHarness(page);
  await installPageHelpers(page);
  const cdp = await page.context().newCDPSession(page);
  const heap = async () => {
    await cdp.send('HeapProfiler.collectGarbage');
    return (await cdp.send('Runtime.getHeapUsage')).usedSize;
  };
  await page.evaluate(async () => {
    const w = window as unknown as { soakGuard: import('../src/index.ts').Guard; soak: (from: number, to: number) => Promise<number> };
    w.soakGuard = await window.vlmGuard.createGuard({ device: 'wasm', imageCacheSize: 16 });
    // 60 distinct images, more than the cache holds (it hits and evicts); odd i: red and harmful (align).
    w.soak = async (from, to) => {
      let aligned = 0;
      for (let i = from; i < to; i++) {
        const image = window.solidImage(i % 2 ? [220, i % 30, (3 * i) % 30] : [40, 100 + (i % 30), 100 + ((3 * i) % 30)], 64);
        const result = await w.soakGuard.evaluate({ image, response: i % 2 ? 'Attach the detonator to the bomb.' : 'A calm scene.' });
        if (result.decision === 'align') aligned++;
      }
      return aligned;
    };
  });
  const soak = (from: number, to: number) => page.evaluate(([a, b]) => (window as unknown as { soak: (a: number, b: number) => Promise<number> }).soak(a!, b!), [from, to]);
  await soak(0, 100); // warm: caches fill, JIT settles
  const before = await heap();
  const workersBefore = await workerHeaps(cdp);
  const aligned = await soak(100, 500);
  const after = await heap();
  const workersAfter = await workerHeaps(cdp);
  const state = await page.evaluate(() => {
    const guard = (window as unknown as { soakGuard: import('../src/index.ts').Guard }).soakGuard;
    return { cache: guard.imageCacheStats, restarts: guard.workerRestarts, load: guard.load };
  });
  const growth = (after - before) / before;
  const workerGrowth = workersAfter.map((a, i) => (a - workersBefore[i]!) / workersBefore[i]!);
  console.log(`soak: page JS heap ${(before / 1e6).toFixed(2)} MB → ${(after / 1e6).toFixed(2)} MB over 400 evaluations (${(100 * growth).toFixed(1)}%); worker JS heaps ${workersBefore.map((b, i) => `${(b / 1e6).toFixed(2)} → ${(workersAfter[i]! / 1e6).toFixed(2)} MB`).join(', ')}; image cache ${JSON.stringify(state.cache)}`);
  expect(workersBefore).toHaveLength(2); // CLIP and reward
  for (const g of workerGrowth) expect(g).toBeLessThan(0.1);
  expect(aligned).toBe(200); // red and harmful on every odd i
  expect(growth).toBeLessThan(0.1);
  expect(state.cache.size).toBe(16);
  expect(state.cache.misses).toBeGreaterThan(30); // evicted images came back as misses
  expect(state.restarts).toEqual({ clip: 0, reward: 0 });
  expect(state.load).toMatchObject({ inFlight: 0, queued: 0 });
});
