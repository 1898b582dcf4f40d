// Soak: 500 sequential evaluations on the generated models, on each backend. The page's
// and the workers' JS heaps (after a forced GC), onnxruntime-web's WebAssembly memory and
// the live WebGPU buffers in each worker must stay flat, caches within their bounds, and
// no worker restarted.
import type { CDPSession } from '@playwright/test';
import type { WorkerMemory } from '../src/index.ts';
import { BACKENDS, expect, installPageHelpers, openHarness, test } from './support.ts';

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

for (const backend of BACKENDS) {
  test(`500 sequential evaluations on ${backend}: heaps, WebAssembly memory and GPU buffers flat, caches bounded, workers steady`, async ({ page }) => {
    test.setTimeout(300_000);
    await openHarness(page);
    await installPageHelpers(page);
    const cdp = await page.context().newCDPSession(page);
    const heap = async () => {
      await cdp.send('HeapProfiler.collectGarbage');
      return (await cdp.send('Runtime.getHeapUsage')).usedSize;
    };
    await page.evaluate(async (device) => {
      const w = window as unknown as { soakGuard: import('../src/index.ts').Guard; soak: (from: number, to: number) => Promise<number> };
      w.soakGuard = await window.vlmGuard.createGuard({ device, imageCacheSize: 16 });
      // 60 distinct images in turn, more than the cache holds: each is evicted before it comes back; odd i: red and harmful (align).
      w.soak = async (from, to) => {
        let aligned = 0;
        for (let i = from; i < to; i++) {
          const image = window.solidImage(i % 2 ? [220, i % 30, (3 * i) % 30] : [40, 100 + (i % 30), 100 + ((3 * i) % 30)], 64);
          const result = await w.soakGuard.evaluate({ image, response: i % 2 ? 'Attach the detonator to the bomb.' : 'A calm scene.' });
          if (result.decision === 'align') aligned++;
        }
        return aligned;
      };
    }, backend);
    const soak = (from: number, to: number) => page.evaluate(([a, b]) => (window as unknown as { soak: (a: number, b: number) => Promise<number> }).soak(a!, b!), [from, to]);
    const memory = () => page.evaluate(() => (window as unknown as { soakGuard: import('../src/index.ts').Guard }).soakGuard.runtime.memoryUsage());
    await soak(0, 100); // warm: caches fill, JIT settles
    const before = await heap();
    const workersBefore = await workerHeaps(cdp);
    const memoryBefore = await memory();
    const aligned = await soak(100, 500);
    const after = await heap();
    const workersAfter = await workerHeaps(cdp);
    const memoryAfter = await memory();
    const state = await page.evaluate(() => {
      const guard = (window as unknown as { soakGuard: import('../src/index.ts').Guard }).soakGuard;
      return { cache: guard.runtime.imageCacheStats, restarts: guard.runtime.workerRestarts, load: guard.runtime.load, backends: guard.info.backends };
    });
    const growth = (after - before) / before;
    const workerGrowth = workersAfter.map((a, i) => (a - workersBefore[i]!) / workersBefore[i]!);
    const mb = (bytes: number) => (bytes / 1e6).toFixed(2);
    const native = (name: 'clip' | 'reward') => {
      const [b, a] = [memoryBefore[name] as WorkerMemory, memoryAfter[name] as WorkerMemory];
      return `${name}: WebAssembly ${mb(b.wasmBytes)} → ${mb(a.wasmBytes)} MB, GPU buffers ${b.gpuBuffers} → ${a.gpuBuffers} (${mb(b.gpuBytes)} → ${mb(a.gpuBytes)} MB; ${a.gpuBuffersCreated - b.gpuBuffersCreated} created meanwhile)`;
    };
    console.log(`soak on ${backend}: page JS heap ${mb(before)} MB → ${mb(after)} MB over 400 evaluations (${(100 * growth).toFixed(1)}%); worker JS heaps ${workersBefore.map((b, i) => `${mb(b)} → ${mb(workersAfter[i]!)} MB`).join(', ')}; ${native('clip')}; ${native('reward')}; image cache ${JSON.stringify(state.cache)}`);
    expect(state.backends).toEqual({ clip: backend, reward: backend });
    expect(workersBefore).toHaveLength(2); // CLIP and reward
    for (const g of workerGrowth) expect(g).toBeLessThan(0.1);
    for (const name of ['clip', 'reward'] as const) {
      const [b, a] = [memoryBefore[name] as WorkerMemory, memoryAfter[name] as WorkerMemory];
      expect(b.wasmMemories, `${name}: onnxruntime-web's WebAssembly memory was seen`).toBeGreaterThan(0);
      expect(b.wasmBytes).toBeGreaterThan(1e6);
      expect((a.wasmBytes - b.wasmBytes) / b.wasmBytes, `${name} WebAssembly memory growth`).toBeLessThan(0.1);
      if (backend === 'webgpu') {
        expect(b.gpuBuffers, `${name}: the model's buffers live on the GPU`).toBeGreaterThan(0);
        // Every run's buffers go back: none outlives its tensors beyond ORT's reuse pool.
        expect(a.gpuBuffers - b.gpuBuffers, `${name} live GPU buffers`).toBeLessThanOrEqual(0);
        expect(a.gpuBytes).toBeLessThanOrEqual(b.gpuBytes);
      } else {
        expect(a.gpuBuffersCreated, `${name}: no GPU buffer on wasm`).toBe(0);
      }
    }
    expect(aligned).toBe(200); // red and harmful on every odd i
    expect(growth).toBeLessThan(0.1);
    expect(state.cache.size).toBe(16);
    expect(state.cache.misses).toBeGreaterThan(30); // evicted images came back as misses
    expect(state.restarts).toEqual({ clip: 0, reward: 0 });
    expect(state.load).toMatchObject({ inFlight: 0, queued: 0 });
  });
}
