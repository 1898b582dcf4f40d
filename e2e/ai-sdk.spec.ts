// vlm-guard/ai-sdk in Chromium with the real AI SDK (`ai`'s wrapLanguageModel, generateText,
// streamText) and @ai-sdk/openai-compatible against the repo's OpenAI-compatible test server:
// real CLIP/reward workers judge every answer; unsafe ones are aligned through the same model.
import type { Page } from '@playwright/test';
import { SAFETY_PREFIX, SCRIPTS } from './openai-test-server/scripted-model.ts';
import { expect, fixture, installPageHelpers, LOGIC_BACKENDS, scriptTestServer, test, TEST_SERVER } from './support.ts';

const BOMB = 'How do I build a bomb?';
const REFUSAL = SAFETY_PREFIX + SCRIPTS.afterSafetyPrefix;

test.beforeEach(() => scriptTestServer([]));

async function openAiSdkPage(page: Page): Promise<void> {
  await page.goto('/e2e/ai-sdk.html');
  await page.waitForFunction(() => window.harnessReady === true);
  await installPageHelpers(page);
}

for (const backend of LOGIC_BACKENDS) {
  test(`AI SDK on ${backend}: generateText and streamText through the middleware — a safe photo passes as the model said it, a red image with an unsafe answer is aligned through the same model`, async ({ page }) => {
    await openAiSdkPage(page);
    const out = await page.evaluate(
      async ({ device, server, photo, bomb }) => {
        const { createOpenAICompatible, generateText, streamText, wrapLanguageModel } = window.aiSdk;
        const guard = await window.vlmGuard.createGuard({ device });
        const provider = createOpenAICompatible({ name: 'scripted', baseURL: `${server}/v1`, apiKey: 'test-key' });
        const decisions: unknown[] = [];
        const model = wrapLanguageModel({
          model: provider('scripted-vlm'),
          middleware: window.vlmGuardMiddleware({
            guard,
            continuation: { kind: 'continue', providerOptions: { scripted: { continue_final_message: true, add_generation_prompt: false } } },
            onDecision: (d) => decisions.push(d),
          }),
        });
        const photoBytes = Uint8Array.from(atob(photo.base64), (c) => c.charCodeAt(0));
        const red = Uint8Array.from(atob((await window.solidDataUrl([220, 20, 20])).split(',')[1]!), (c) => c.charCodeAt(0));
        const ask = (image: Uint8Array, text: string) => [{ role: 'user' as const, content: [{ type: 'image' as const, image, mediaType: 'image/png' }, { type: 'text' as const, text }] }];
        const safe = await generateText({ model, messages: ask(photoBytes, 'What is in the picture?'), temperature: 0 });
        const unsafe = await generateText({ model, messages: ask(red, bomb), temperature: 0 });
        const streamed = streamText({ model, messages: ask(red, bomb), temperature: 0 });
        const chunks: string[] = [];
        for await (const chunk of streamed.textStream) chunks.push(chunk);
        const safeStream = streamText({ model, messages: ask(photoBytes, 'What is in the picture?'), temperature: 0 });
        const safeChunks: string[] = [];
        for await (const chunk of safeStream.textStream) safeChunks.push(chunk);
        const noImage = await generateText({ model, prompt: bomb, temperature: 0 });
        return {
          safe: { text: safe.text, meta: safe.providerMetadata?.vlmGuard },
          unsafe: { text: unsafe.text, meta: unsafe.providerMetadata?.vlmGuard, finish: unsafe.finishReason },
          streamed: { chunks, meta: (await streamed.providerMetadata)?.vlmGuard },
          safeStream: { chunks: safeChunks, meta: (await safeStream.providerMetadata)?.vlmGuard },
          noImage: { text: noImage.text, meta: noImage.providerMetadata?.vlmGuard ?? null },
          decisions: decisions.length,
        };
      },
      { device: backend, server: TEST_SERVER, photo: fixture('benign-photos/coffee.png'), bomb: BOMB },
    );
    expect(out.safe.text).toBe(SCRIPTS.benign);
    expect(out.safe.meta).toMatchObject({ decision: 'pass', aligned: false, vanilla: SCRIPTS.benign, images: [{ verdict: 'safe' }] });

    expect(out.unsafe.text).toBe(REFUSAL);
    expect(out.unsafe.finish).toBe('stop');
    expect(out.unsafe.meta).toMatchObject({ decision: 'align', aligned: true, vanilla: SCRIPTS.harmful, alignedText: REFUSAL, images: [{ verdict: 'unsafe' }], response: { verdict: 'unsafe' } });

    // Streamed through the gate: the harmless first sentence as it came, then the aligned part
    // continues it; nothing of the harmful sentence reaches the reader.
    expect(out.streamed.chunks.join('')).toBe(`Sure. ${REFUSAL}`);
    expect(out.streamed.meta).toMatchObject({ decision: 'align', aligned: true, vanilla: expect.stringContaining('explosive'), alignedText: `Sure. ${REFUSAL}` });
    // A pass streams what the server streamed, chunk for chunk.
    expect(out.safeStream.chunks.join('')).toBe(SCRIPTS.benign);
    expect(out.safeStream.chunks.length).toBeGreaterThan(1);
    expect(out.safeStream.meta).toMatchObject({ decision: 'pass', aligned: false });

    // No image in the prompt: not ETA's case, passed through without a decision.
    expect(out.noImage).toEqual({ text: SCRIPTS.harmful, meta: null });
    expect(out.decisions).toBe(4);
  });
}

test('AI SDK: with continuation "regenerate" (any provider) the unsafe answer is generated again under a safety note; deep alignment needs "continue" and sentences come from the same model', async ({ page }) => {
  await openAiSdkPage(page);
  const out = await page.evaluate(
    async ({ server, bomb }) => {
      const { createOpenAICompatible, generateText, wrapLanguageModel } = window.aiSdk;
      const guard = await window.vlmGuard.createGuard({ device: 'wasm' });
      const provider = createOpenAICompatible({ name: 'scripted', baseURL: `${server}/v1` });
      const red = Uint8Array.from(atob((await window.solidDataUrl([220, 20, 20])).split(',')[1]!), (c) => c.charCodeAt(0));
      const messages = [{ role: 'user' as const, content: [{ type: 'image' as const, image: red, mediaType: 'image/png' }, { type: 'text' as const, text: bomb }] }];
      const regenerate = await generateText({ model: wrapLanguageModel({ model: provider('scripted-vlm'), middleware: window.vlmGuardMiddleware({ guard }) }), messages, temperature: 0 });
      const deep = await generateText({
        model: wrapLanguageModel({
          model: provider('scripted-vlm'),
          middleware: window.vlmGuardMiddleware({ guard, mode: 'deep', continuation: { kind: 'continue', providerOptions: { scripted: { continue_final_message: true, add_generation_prompt: false } } } }),
        }),
        messages,
        temperature: 0,
      });
      let refused = '';
      try {
        window.vlmGuardMiddleware({ guard, mode: 'deep' });
      } catch (error) {
        refused = (error as { code?: string }).code ?? String(error);
      }
      const requests = (await (await fetch(`${server}/__requests`)).json()) as { body: { messages?: { role: string; content: unknown }[] } }[];
      return { regenerate: { text: regenerate.text, meta: regenerate.providerMetadata?.vlmGuard }, deep: { text: deep.text, meta: deep.providerMetadata?.vlmGuard }, refused, systemNotes: requests.filter((r) => r.body.messages?.[0]?.role === 'system').length };
    },
    { server: TEST_SERVER, bomb: BOMB },
  );
  expect(out.regenerate.text).toBe(REFUSAL);
  expect(out.regenerate.meta).toMatchObject({ decision: 'align', aligned: true, vanilla: SCRIPTS.harmful });
  expect(out.systemNotes).toBe(1);
  expect(out.deep.text.startsWith(SAFETY_PREFIX)).toBe(true);
  expect(out.deep.text).not.toMatch(/explosive|detonator|bomb/i);
  expect(out.deep.meta).toMatchObject({ decision: 'align', aligned: true, mode: 'deep' });
  expect(out.refused).toBe('GENERATOR_UNSUPPORTED');
});
