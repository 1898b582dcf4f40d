// The app's AI SDK model as the guard's generator. The AI SDK reports `stop` both for the
// model's own end and for a stop sequence, so a sentence cut at "." must not read as the end
// of the answer (deep alignment would stop after one sentence): stop strings are cut here,
// from a stream, and the provider's `stop` is then the model's own end (EOS).
import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LanguageModelGenerator } from '../src/ai-sdk/model-generator.ts';
import { ALIGNMENT_DEFAULTS } from '../src/alignment/config.ts';
import { alignDeep } from '../src/alignment/deep.ts';

const usage = (total: number | undefined) => ({ inputTokens: { total: 3, noCache: 3, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total, text: total, reasoning: undefined } });

/** The assistant turn the call ends with (the prefix to continue), or ''. */
function prefixOf(params: LanguageModelV3CallOptions): string {
  const last = params.prompt.at(-1);
  return last?.role === 'assistant' ? last.content.map((p) => (p.type === 'text' ? p.text : '')).join('') : '';
}

/** A model that streams `answer` in `pieces` (a model's own end after it), continuing from the assistant prefix it is given; it records each call and whether it was stopped. */
function streamingModel(answer: (prefix: string) => string, pieces: (text: string) => string[] = (t) => t.split(/(?<= )/)) {
  const calls: { params: LanguageModelV3CallOptions; stopped: boolean }[] = [];
  const model: LanguageModelV3 = {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'streaming',
    supportedUrls: {},
    // As providers do: text up to a stop sequence (not included), and `stop` for it and for the model's own end alike.
    doGenerate: async (params) => {
      calls.push({ params, stopped: false });
      const text = answer(prefixOf(params));
      const at = Math.min(...(params.stopSequences ?? []).map((s) => text.indexOf(s)).filter((i) => i >= 0), text.length);
      return { content: [{ type: 'text', text: text.slice(0, at) }], finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(undefined), warnings: [] };
    },
    doStream: async (params) => {
      const call = { params, stopped: false };
      calls.push(call);
      params.abortSignal?.addEventListener('abort', () => (call.stopped = true));
      const prefix = prefixOf(params);
      const parts: LanguageModelV3StreamPart[] = [
        ...pieces(answer(prefix)).map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: 't', delta })),
        { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: usage(undefined) },
      ];
      return { stream: new ReadableStream<LanguageModelV3StreamPart>({ pull: (c) => (parts.length ? c.enqueue(parts.shift()!) : c.close()) }) };
    },
  };
  return { model, calls };
}

const params: LanguageModelV3CallOptions = { prompt: [{ role: 'user', content: [{ type: 'text', text: 'q' }] }], stopSequences: ['\nUser:'] };
const request = { prompt: 'q', sampling: { maxTokens: 70, temperature: 1.5, topK: 5, stop: ['.'] } };

describe('LanguageModelGenerator', () => {
  it('a stop string cut from any chunking is `stop`; the model\'s own end is `eos`; no stop sequence reaches the provider', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 }), async (sizes) => {
        const chunk = (text: string) => {
          const out: string[] = [];
          for (let at = 0, i = 0; at < text.length; i++) out.push(text.slice(at, (at += sizes[i % sizes.length]!)));
          return out;
        };
        const two = streamingModel(() => 'First one. Second one.', chunk);
        const cut = await new LanguageModelGenerator(two.model, params, { kind: 'continue' }).generate(request);
        expect(cut).toMatchObject({ text: 'First one.', finishReason: 'stop', tokensEstimated: true });
        expect(two.calls[0]!.params.stopSequences).toBeUndefined();
        const ended = streamingModel(() => 'No sentence end', chunk);
        expect(await new LanguageModelGenerator(ended.model, params, { kind: 'continue' }).generate(request)).toMatchObject({ text: 'No sentence end', finishReason: 'eos' });
      }),
      { numRuns: 40 },
    );
  });

  it('stops the model once the stop string arrives (no tokens paid for after it)', async () => {
    const { model, calls } = streamingModel(() => 'One. Two. Three. Four.');
    await new LanguageModelGenerator(model, params, { kind: 'continue' }).generate(request);
    expect(calls[0]!.stopped).toBe(true);
  });

  it('deep alignment through an AI SDK model goes on sentence by sentence until the model ends (not after one sentence)', async () => {
    const sentences = [' I cannot help with that. ', 'Weapons are dangerous. ', 'Please ask about something else']; // the last ends without "."
    const whole = `As an AI assistant${sentences.join('')}`;
    const { model, calls } = streamingModel((prefix) => (whole.startsWith(prefix) ? whole.slice(prefix.length) : ''));
    const generator = new LanguageModelGenerator(model, params, { kind: 'continue' });
    const result = await alignDeep(generator, { prompt: 'q' }, { reward: async (t) => t.map(() => 1), clip: async (t) => t.map(() => 0.1) }, { ...ALIGNMENT_DEFAULTS.deep, candidates: 2 });
    expect(result.text).toBe(whole);
    expect(result.stoppedBy).toBe('eos');
    expect(result.sentences).toHaveLength(3);
    expect(calls).toHaveLength(6); // 2 candidates a round, one request each
  });

  it('without stop strings the app\'s own stop sequences stay', async () => {
    const seen: LanguageModelV3CallOptions[] = [];
    const model = { ...streamingModel(() => '').model, doGenerate: async (p: LanguageModelV3CallOptions) => (seen.push(p), { content: [{ type: 'text' as const, text: 'ok' }], finishReason: { unified: 'stop' as const, raw: 'stop' }, usage: usage(1), warnings: [] }) };
    const got = await new LanguageModelGenerator(model, params, { kind: 'continue' }).generate({ prompt: 'q', sampling: { maxTokens: 10, temperature: 0 } });
    expect(got).toEqual({ text: 'ok', finishReason: 'eos', tokens: 1 });
    expect(seen[0]!.stopSequences).toEqual(['\nUser:']);
  });
});
