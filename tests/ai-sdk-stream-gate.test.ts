// The AI SDK middleware streams through the answer gate (the real respond, word-rule
// scorers, the real ai package's wrapLanguageModel and streamText): with a safe image each
// part reaches the app while the model is still sending (a model that waits for the app to
// read would hang a guard that buffers); with an unsafe image the unsafe sentence never
// arrives, the model's stream is stopped, and the aligned part continues the same text.
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { streamText, wrapLanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import { vlmGuardMiddleware } from '../src/ai-sdk/middleware.ts';
import { ALIGNMENT_DEFAULTS } from '../src/alignment/config.ts';
import { GATE_DEFAULTS } from '../src/respond/answer-gate.ts';
import { resolvePolicy } from '../src/eta/policy.ts';
import type { Generator } from '../src/generators/types.ts';
import type { Guard } from '../src/guard.ts';
import { type RespondOptions, respond } from '../src/respond/respond.ts';
import type { ClipModelEntry, RewardModelEntry } from '../src/runtime/manifest.ts';

const policy = resolvePolicy({ thresholds: { image: 0.5, reward: 0 } }, { clipId: 'c', clip: { thresholds: { image: 0.5 } } as ClipModelEntry, rewardId: 'r', reward: { thresholds: { reward: 0 } } as RewardModelEntry });
const rewardOf = (text: string) => (/explosive/i.test(text) ? -2 : 1);

function guardAt(imageScore: number, gates: string[]): Guard {
  return {
    respond: async (input: Parameters<typeof respond>[1], options: RespondOptions & { generator: Generator }) => {
      const result = await respond(
        {
          generator: options.generator,
          policy,
          alignment: ALIGNMENT_DEFAULTS,
          gate: GATE_DEFAULTS,
          scorers: { images: [{ image: async () => ({ score: imageScore, cached: false }) }], response: async (text) => ({ score: rewardOf(text) }) },
          rewardMany: async (texts) => texts.map(rewardOf),
          imageTextScores: async (_i, texts) => texts.map(() => 0.1),
        },
        input,
        options,
      );
      gates.push(result.gate.mode);
      return result;
    },
    info: { mode: 'shallow' },
  } as unknown as Guard;
}

const usage = { inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 9, text: 9, reasoning: undefined } };

/** A model whose stream the test drives part by part; it records whether its request was stopped. */
function drivenModel() {
  let controller!: ReadableStreamDefaultController<LanguageModelV3StreamPart>;
  const state = { stopped: false };
  let onStopped: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (onStopped = resolve));
  let onStarted: () => void = () => undefined;
  const started = new Promise<void>((resolve) => (onStarted = resolve));
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'driven',
    supportedUrls: {},
    doGenerate: async () => ({ content: [{ type: 'text', text: ', I cannot help with that.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] }),
    doStream: async (options: LanguageModelV3CallOptions) => {
      options.abortSignal?.addEventListener('abort', () => ((state.stopped = true), onStopped()));
      const stream = new ReadableStream<LanguageModelV3StreamPart>({ start: (c) => void (controller = c), cancel: () => ((state.stopped = true), onStopped()) });
      onStarted();
      return { stream };
    },
  };
  return { model, send: (part: LanguageModelV3StreamPart) => controller.enqueue(part), end: () => controller.close(), state, stopped, started };
}

const prompt = [{ role: 'user' as const, content: [{ type: 'image' as const, image: new Uint8Array([137, 80, 78, 71]), mediaType: 'image/png' }, { type: 'text' as const, text: 'hi' }] }];
const delta = (text: string): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't', delta: text });

describe('the AI SDK middleware through the answer gate', () => {
  it('safe image: each part reaches the app while the model is still sending; the finish carries the decision', async () => {
    const driven = drivenModel();
    const gates: string[] = [];
    const model = wrapLanguageModel({ model: driven.model, middleware: vlmGuardMiddleware({ guard: guardAt(0.1, gates) }) });
    const result = streamText({ model, messages: prompt });
    const reader = result.textStream.getReader();
    const first = reader.read();
    await driven.started;
    driven.send({ type: 'stream-start', warnings: [] });
    driven.send({ type: 'text-start', id: 't' });
    const received: string[] = [];
    for (const [i, piece] of ['Sure.', ' First mix the explosive powder.', ' Done.'].entries()) {
      driven.send(delta(piece));
      // The next part is sent only once the app has this one: a guard that held the stream would wait forever.
      received.push((await (i === 0 ? first : reader.read())).value!);
    }
    driven.send({ type: 'text-end', id: 't' });
    driven.send({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage });
    driven.end();
    expect(await reader.read()).toMatchObject({ done: true });
    expect(received).toEqual(['Sure.', ' First mix the explosive powder.', ' Done.']);
    expect((await result.providerMetadata)?.vlmGuard).toMatchObject({ decision: 'pass', aligned: false });
    expect(gates).toEqual(['pass-through']);
  });

  it('unsafe image: the unsafe sentence never arrives, the model is stopped, the aligned part continues the text', async () => {
    const driven = drivenModel();
    const gates: string[] = [];
    const model = wrapLanguageModel({ model: driven.model, middleware: vlmGuardMiddleware({ guard: guardAt(0.9, gates) }) });
    const result = streamText({ model, messages: prompt });
    const text = result.text;
    await driven.started;
    driven.send({ type: 'stream-start', warnings: [] });
    driven.send({ type: 'text-start', id: 't' });
    driven.send(delta('Sure.'));
    driven.send(delta(' First mix the explo'));
    driven.send(delta('sive powder.'));
    driven.send(delta(' Then')); // a sentence is known to end once what follows its '.' shows so
    await driven.stopped;
    expect(driven.state.stopped).toBe(true);
    const shown = await text;
    expect(shown.startsWith('Sure. ')).toBe(true);
    expect(shown).not.toContain('explo');
    expect(await result.finishReason).toBe('stop');
    expect((await result.providerMetadata)?.vlmGuard).toMatchObject({ decision: 'align', aligned: true, alignedText: shown });
    expect(gates).toEqual(['judged']);
  });

  it('unsafe image: the aligned part reaches the app sentence by sentence, each as it is judged (a text-delta per sentence)', async () => {
    const driven = drivenModel();
    driven.model.doGenerate = async () => ({ content: [{ type: 'text', text: 'I cannot help with that. Please ask about something else.' }], finishReason: { unified: 'stop', raw: 'stop' }, usage, warnings: [] });
    const model = wrapLanguageModel({ model: driven.model, middleware: vlmGuardMiddleware({ guard: guardAt(0.9, []) }) });
    const result = streamText({ model, messages: prompt });
    const deltas: string[] = [];
    const reading = (async () => {
      for await (const part of result.fullStream) if (part.type === 'text-delta') deltas.push(part.text);
    })();
    await driven.started;
    driven.send({ type: 'stream-start', warnings: [] });
    driven.send({ type: 'text-start', id: 't' });
    driven.send(delta('Sure.'));
    driven.send(delta(' First mix the explosive powder.'));
    driven.send(delta(' Then'));
    await reading;
    // (continuation "regenerate": the model's answer follows the safety prefix after a space)
    expect(deltas).toEqual(['Sure.', ' As an AI assistant I cannot help with that.', ' Please ask about something else.']);
  });
});

describe("the AI SDK middleware and the app's request", () => {
  it("the guard's work starts in a task after the one that sends the app's request, never lengthening it", async () => {
    // yieldToPage takes scheduler.yield where there is one: held here, it shows what waits for the next task.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const scheduler = { yield: () => held };
    globalThis.scheduler = scheduler;
    try {
      const driven = drivenModel();
      const calls: string[] = [];
      const guard = guardAt(0.1, []);
      const counting = { ...guard, respond: ((...args: Parameters<Guard['respond']>) => (calls.push('respond'), guard.respond(...args))) as Guard['respond'] } as Guard;
      const model = wrapLanguageModel({ model: driven.model, middleware: vlmGuardMiddleware({ guard: counting }) });
      const result = streamText({ model, messages: prompt });
      const reader = result.textStream.getReader();
      const first = reader.read();
      await driven.started;
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(calls).toEqual([]); // the request is out; the guard has not begun
      release();
      driven.send({ type: 'stream-start', warnings: [] });
      driven.send({ type: 'text-start', id: 't' });
      driven.send(delta('Sure.'));
      expect((await first).value).toBe('Sure.');
      expect(calls).toEqual(['respond']);
      driven.send({ type: 'text-end', id: 't' });
      driven.send({ type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage });
      driven.end();
      expect(await reader.read()).toMatchObject({ done: true });
      expect((await result.providerMetadata)?.vlmGuard).toMatchObject({ decision: 'pass' });
    } finally {
      globalThis.scheduler = undefined;
    }
  });
});
