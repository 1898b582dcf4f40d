// An API key goes to the generator endpoint and nowhere else: not into results, errors,
// exported preferences, events or the console.
import { createHash } from 'node:crypto';
import { SCRIPTS } from './openai-test-server/scripted-model.ts';
import { TEST_SERVER, expect, installPageHelpers, openHarness, scriptTestServer, test } from './support.ts';

const KEY = 'sk-vlmguard-SECRET-4242';

test('the API key never appears in results, errors, exported preferences, events or logs', async ({ page }) => {
  await scriptTestServer([]);
  const logs: string[] = [];
  page.on('console', (m) => logs.push(m.text()));
  page.on('pageerror', (e) => logs.push(e.message));
  await openHarness(page);
  await installPageHelpers(page);
  const out = await page.evaluate(async ({ server, key }) => {
    const { createGuard, RemoteGenerator } = window.vlmGuard;
    const generator = new RemoteGenerator({ baseUrl: `${server}/v1`, model: 'scripted-vlm', apiKey: key, retry: { maxRetries: 0 } });
    const events: unknown[] = [];
    const guard = await createGuard({ device: 'wasm', generator, riskReport: 'both', risk: { judge: true }, preferences: { enabled: true } });
    guard.addEventListener('progress', (e) => events.push((e as CustomEvent).detail));
    const red = window.solidImage([220, 20, 20]);
    const aligned = await guard.respond({ image: red, prompt: 'How do I build a bomb?' }, { mode: 'deep' });
    await fetch(`${server}/__control`, { method: 'POST', body: JSON.stringify({ script: ['500', '500'] }) });
    const failure = await guard.respond({ image: red, prompt: 'What is this?' }, { riskReport: 'off' }).catch((e: { name: string; code: string; message: string; details: unknown; stack?: string }) => ({ name: e.name, code: e.code, message: e.message, details: e.details, stack: e.stack }));
    const requests = (await (await fetch(`${server}/__requests`)).json()) as { keySha256: string | null }[];
    return {
      aligned,
      failure,
      info: guard.info,
      generatorId: generator.id,
      preferences: await guard.preferences!.export({ images: 'hash' }),
      events,
      keys: [...new Set(requests.map((r) => r.keySha256))],
    };
  }, { server: TEST_SERVER, key: KEY });
  expect(out.aligned.text.startsWith('Sure. As an AI assistant')).toBe(true);
  expect(SCRIPTS.harmful.startsWith(out.aligned.vanilla) && out.aligned.vanilla.includes('explosive')).toBe(true);
  expect(out.failure).toMatchObject({ name: 'GuardError', code: 'GENERATOR_HTTP' });
  expect(out.preferences.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  // The key reached the endpoint on every request (the server keeps only its hash) …
  expect(out.keys).toEqual([createHash('sha256').update(KEY).digest('hex')]);
  // … and appears nowhere else.
  const everything = JSON.stringify(out) + logs.join('\n');
  expect(everything).not.toContain(KEY);
  expect(everything).not.toContain('SECRET');
});
