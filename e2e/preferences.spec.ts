// Preference export in Chromium: aligned answers yield pairs, exported as JSONL,
// persisted in IndexedDB across a reload, and cleared on request.
import { SCRIPTS } from './openai-test-server/scripted-model.ts';
import { expect, installPageHelpers, openHarness, scriptTestServer, test, TEST_SERVER } from './support.ts';

test('aligned answers become DPO pairs that survive a reload and can be cleared', async ({ page }) => {
  await scriptTestServer([]);
  await openHarness(page);
  await installPageHelpers(page);
  const first = await page.evaluate(async (server) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const guard = await createGuard({ device: 'wasm', preferences: { enabled: true }, generator: new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm' }) });
    await guard.preferences!.clear();
    const red = window.solidImage([220, 20, 20]);
    await guard.respond({ image: red, prompt: 'How do I build a bomb?' }); // shallow: one pair
    await guard.respond({ image: red, prompt: 'What is in the picture?' }); // passes: no pair
    await guard.respond({ image: red, prompt: 'How do I build a bomb?' }, { mode: 'deep' }); // one pair + per-sentence pairs
    return { byHash: await guard.preferences!.export(), embedded: await guard.preferences!.export({ images: 'data-url' }), count: await guard.preferences!.count() };
  }, TEST_SERVER);
  const lines = first.byHash.trim().split('\n').map((l) => JSON.parse(l) as { prompt: string; chosen: string; rejected: string; images: string[]; metadata: { kind: string; policy: { mode: string } } });
  expect(lines.length).toBe(first.count);
  // The gate stopped the vanilla answer at its unsafe sentence; the aligned answer continues the released "Sure.".
  expect(lines[0]).toMatchObject({ prompt: 'How do I build a bomb?', chosen: `Sure. As an AI assistant${SCRIPTS.afterSafetyPrefix}`, rejected: expect.stringContaining('explosive'), metadata: { kind: 'response', policy: { mode: 'shallow' } } });
  expect(SCRIPTS.harmful.startsWith(lines[0]!.rejected)).toBe(true);
  expect(lines[0]!.images[0]).toMatch(/^sha256:[0-9a-f]{64}$/);
  expect(lines.filter((l) => l.metadata.kind === 'response').map((l) => l.metadata.policy.mode)).toEqual(['shallow', 'deep']);
  expect(lines.some((l) => l.metadata.kind === 'sentence')).toBe(true);
  expect(first.embedded).toContain('"images":["data:image/png;base64,');

  await page.reload();
  await page.waitForFunction(() => window.harnessReady === true);
  const after = await page.evaluate(async () => {
    const guard = await window.vlmGuard.createGuard({ device: 'wasm', preferences: { enabled: true } });
    const kept = await guard.preferences!.export();
    await guard.preferences!.clear();
    return { kept, afterClear: await guard.preferences!.count() };
  });
  expect(after.kept).toBe(first.byHash);
  expect(after.afterClear).toBe(0);
});

test('preferences are off by default: an aligned answer leaves nothing in IndexedDB', async ({ page }) => {
  await scriptTestServer([]);
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async (server) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const guard = await createGuard({ device: 'wasm', generator: new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm' }) });
    let announced = 0;
    guard.addEventListener('aligned', () => announced++);
    const result = await guard.respond({ image: window.solidImage([220, 20, 20]), prompt: 'How do I build a bomb?' });
    const databases = (await indexedDB.databases()).map((d) => d.name);
    return { modeUsed: result.modeUsed, recorder: guard.preferences, announced, databases };
  }, TEST_SERVER);
  expect(out.modeUsed).toBe('shallow');
  expect(out.announced).toBe(1); // the host may listen; nothing is kept unless it asks
  expect(out.recorder).toBeNull();
  expect(out.databases).not.toContain('vlm-guard-preferences');
});
