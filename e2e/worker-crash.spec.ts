import { expect, openHarness, test } from './support.ts';

test('a real worker that dies mid-call is restarted and the call retried once', async ({ page }) => {
  await openHarness(page);
  const out = await page.evaluate(async () => {
    interface Api {
      load(): Promise<{ generation: string }>;
      echo(v: string): Promise<string>;
      hangThenCrash(): Promise<never>;
    }
    const { WorkerHost, spawnCrashingWorker } = window.internals;
    let spawned = 0;
    const host = new WorkerHost<Api, { generation: string }>({
      label: 'crash-test worker',
      spawn: () => {
        spawned++;
        return spawnCrashingWorker();
      },
      init: (api) => api.load(),
      loadTimeoutMs: 30_000,
      callTimeoutMs: 10_000,
    });
    const first = await host.ready();
    // First attempt hangs and the worker dies; the retry runs on a fresh worker.
    let attempt = 0;
    const retried = await host.call('crash then echo', (api) => (attempt++ === 0 ? api.hangThenCrash() : api.echo('ok')));
    const second = await host.ready();
    // Both attempts crash: a clear WORKER_CRASHED, no hang.
    const failure = await host.call('always crash', (api) => api.hangThenCrash()).then(
      () => null,
      (e: { code: string; message: string }) => ({ code: e.code, message: e.message }),
    );
    const recovered = await host.call('echo', (api) => api.echo('again'));
    host.dispose();
    return { first, second, retried, failure, recovered, spawned, restarts: host.restarts };
  });
  expect(out.second.generation).not.toBe(out.first.generation);
  expect(out.retried).toBe(`ok@${out.second.generation}`);
  expect(out.failure?.code).toBe('WORKER_CRASHED');
  expect(out.failure?.message).toContain('simulated out-of-memory');
  expect(out.recovered).toMatch(/^again@/);
  expect(out.spawned).toBe(4); // initial; retry; the failing call's retry; recovery
  expect(out.restarts).toBe(2);
});
