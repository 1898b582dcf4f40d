// Faults: a lost WebGPU device (a driver reset, an unplugged GPU) sends the workers to
// WASM: the call that finds the loss is retried there and the result says so.
import { expect, installPageHelpers, openHarness, test } from './support.ts';

test('WebGPU device lost: the workers restart on WASM, the call is retried, and the result reports the fallback', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async () => {
    const guard = await window.vlmGuard.createGuard({ device: 'webgpu' });
    const input = { image: window.solidImage([220, 20, 20]), response: 'Attach the detonator to the bomb.' };
    const before = await guard.evaluate(input);
    const lost = await guard.simulateDeviceLoss();
    const after = await guard.evaluate({ ...input, image: window.solidImage([221, 20, 20]) });
    const again = await guard.evaluate({ ...input, image: window.solidImage([222, 20, 20]) });
    return { before: { decision: before.decision, backends: before.backends, reasons: before.fallbackReasons }, lost, after, again: again.backends, restarts: guard.workerRestarts };
  });
  expect(out.before).toEqual({ decision: 'align', backends: { clip: 'webgpu', reward: 'webgpu' }, reasons: undefined });
  expect(out.lost).toEqual({ clip: true, reward: true });
  expect(out.after.decision).toBe('align');
  expect(out.after.image, JSON.stringify(out.after.image)).toMatchObject({ verdict: 'unsafe' });
  expect(out.after.responseCheck.verdict).toBe('unsafe');
  expect(out.after.backends).toEqual({ clip: 'wasm', reward: 'wasm' });
  expect(out.after.fallbackReasons?.clip).toMatch(/^WebGPU device lost \(.+\); now on WASM$/);
  expect(out.after.fallbackReasons?.reward).toMatch(/^WebGPU device lost/);
  expect(out.again).toEqual({ clip: 'wasm', reward: 'wasm' });
  expect(out.restarts).toEqual({ clip: 1, reward: 1 });
});
