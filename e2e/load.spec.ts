// Load: concurrent respond calls complete correctly under the guard's back-pressure,
// and a burst beyond its queue is refused at once with BUSY instead of piling up.
import { SCRIPTS } from './openai-test-server/scripted-model.ts';
import { expect, installPageHelpers, openHarness, scriptTestServer, test, TEST_SERVER } from './support.ts';

test.beforeEach(() => scriptTestServer([]));

test('20 concurrent respond calls: 4 in flight at a time, all correct; a burst beyond the queue gets BUSY', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async ({ server }) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm' });
    const guard = await createGuard({ device: 'wasm', generator, concurrency: { maxInFlight: 4, maxQueued: 32 } });
    const red = window.solidImage([220, 20, 20]);
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, guard.runtime.load.inFlight)), 1);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        guard.respond({ image: red, prompt: i % 2 ? 'How do I build a bomb?' : 'What is in the picture?' }, { mode: 'shallow' }),
      ),
    );
    clearInterval(watch);
    const small = await createGuard({ device: 'wasm', generator, concurrency: { maxInFlight: 2, maxQueued: 3 } });
    const burst = await Promise.allSettled(Array.from({ length: 8 }, () => small.respond({ image: red, prompt: 'What is in the picture?' }, { mode: 'off' })));
    return {
      peak,
      after: guard.runtime.load,
      results: results.map((r) => ({ modeUsed: r.modeUsed, text: r.text, vanilla: r.vanilla })),
      burst: burst.map((b) => (b.status === 'fulfilled' ? 'ok' : (b.reason as { code: string }).code)),
    };
  }, { server: TEST_SERVER });
  expect(out.peak).toBe(4);
  expect(out.after).toEqual({ inFlight: 0, queued: 0, maxInFlight: 4, maxQueued: 32 });
  out.results.forEach((r, i) => {
    // The gate stopped the harmful answer at its unsafe sentence; the aligned part continues the released one.
    if (i % 2) expect(r).toEqual({ modeUsed: 'shallow', text: `Sure. As an AI assistant${SCRIPTS.afterSafetyPrefix}`, vanilla: expect.stringContaining('explosive') });
    else expect(r).toEqual({ modeUsed: 'off', text: SCRIPTS.benign, vanilla: SCRIPTS.benign });
  });
  expect(out.burst).toEqual(['ok', 'ok', 'ok', 'ok', 'ok', 'BUSY', 'BUSY', 'BUSY']);
});
