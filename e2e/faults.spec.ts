// Faults: a lost WebGPU device (a driver reset, an unplugged GPU) sends the workers to
// WASM: the call that finds the loss is retried there and the result says so.
import { TEST_SERVER, expect, installPageHelpers, openHarness, scriptTestServer, test } from './support.ts';

test('WebGPU device lost: the workers restart on WASM, the call is retried, and the result reports the fallback', async ({ page }) => {
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async () => {
    const guard = await window.vlmGuard.createGuard({ device: 'webgpu' });
    const input = { image: window.solidImage([220, 20, 20]), response: 'Attach the detonator to the bomb.' };
    const before = await guard.evaluate(input);
    const lost = await guard.runtime.simulateDeviceLoss();
    const after = await guard.evaluate({ ...input, image: window.solidImage([221, 20, 20]) });
    const again = await guard.evaluate({ ...input, image: window.solidImage([222, 20, 20]) });
    return { before: { decision: before.decision, backends: before.backends, reasons: before.fallbackReasons }, lost, after, again: again.backends, restarts: guard.runtime.workerRestarts };
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

test('a corrupt model file fails the load with MODEL_INTEGRITY (its sha256 is checked before ORT parses it); a stalled one with TIMEOUT; nothing hangs', async ({ page }) => {
  await page.context().route('**/models/test-clip/onnx/vision_model.onnx', (route) => route.fulfill({ status: 200, body: Buffer.from('not an onnx model, just bytes'), contentType: 'application/octet-stream' }));
  await page.context().route('**/models/test-reward/onnx/model.onnx', () => undefined); // never answers
  await openHarness(page);
  const attempt = (options: Record<string, unknown>) =>
    page.evaluate(
      (o) => window.vlmGuard.createGuard(o).then(() => 'loaded', (e: { code: string; message: string; details?: Record<string, string> }) => ({ code: e.code, message: e.message, model: e.details?.model })),
      options,
    );
  const corrupt = await attempt({ device: 'wasm', rewardModel: 'test-toxic' });
  await page.context().unroute('**/models/test-clip/onnx/vision_model.onnx');
  const stalled = await attempt({ device: 'wasm', clipModel: 'test-clip', timeouts: { loadMs: 4_000 } });
  expect(corrupt).toMatchObject({ code: 'MODEL_INTEGRITY', model: 'test-clip' });
  expect(stalled).toMatchObject({ code: expect.stringMatching(/^(TIMEOUT|MODEL_LOAD_FAILED)$/) });
});

test('abort at every stage: queued, generating, risk report, aligning — ABORTED each time, the vanilla answer kept once there is one', async ({ page }) => {
  await scriptTestServer([]);
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async ({ server }) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm' });
    const guard = await createGuard({ device: 'wasm', generator, concurrency: { maxInFlight: 1, maxQueued: 4 } });
    const red = window.solidImage([220, 20, 20]);
    const bomb = { image: red, prompt: 'How do I build a bomb?' };
    const fail = (e: { code: string; details?: Record<string, string> }) => ({ code: e.code, vanilla: e.details?.vanilla ?? null });
    // Queued behind a running call, then aborted.
    const first = guard.respond(bomb, { mode: 'deep' });
    const queued = new AbortController();
    const waiting = guard.respond(bomb, { signal: queued.signal }).then(() => 'finished', fail);
    queued.abort();
    await first;
    // Aborted before it starts.
    const before = new AbortController();
    before.abort();
    const early = await guard.evaluate({ image: red, response: 'x' }, { signal: before.signal }).then(() => 'finished', fail);
    // At deep alignment's answer: abort when it reaches onToken (aligned text arrives once judged).
    const aligning = new AbortController();
    const deep = await guard.respond(bomb, { mode: 'deep', signal: aligning.signal, onToken: (_d, { phase }) => phase === 'aligned' && aligning.abort() }).then(() => 'finished', fail);
    // During the VLM risk report, while the answer is generated: at the answer's first token
    // (the report starts once the answer is under way), so the stage is known, not a timer's guess.
    const risky = new AbortController();
    const risk = await guard
      .respond(bomb, { riskReport: 'vlm', signal: risky.signal, onToken: (_d, { phase }) => phase === 'vanilla' && risky.abort() })
      .then(() => 'finished', fail);
    // The guard still works afterwards.
    const after = await guard.respond({ image: red, prompt: 'What is this?' });
    return { waiting: await waiting, early, deep, risk, after: after.modeUsed, load: guard.runtime.load };
  }, { server: TEST_SERVER });
  expect(out.waiting).toEqual({ code: 'ABORTED', vanilla: null });
  expect(out.early).toEqual({ code: 'ABORTED', vanilla: null });
  expect(out.deep).toMatchObject({ code: 'ABORTED' });
  expect((out.deep as { vanilla: string }).vanilla).toMatch(/explosive/); // the vanilla answer was complete and is kept
  expect(out.risk).toMatchObject({ code: 'ABORTED', vanilla: expect.stringMatching(/\S/) }); // aborted mid-answer: the part so far is kept
  expect(out.after).toBe('off');
  expect(out.load).toMatchObject({ inFlight: 0, queued: 0 });
});
