// Fetch protection streams through the answer gate (the real respond, word-rule scorers):
// with a safe image the server's events reach the app while the server is still sending
// (an upstream that waits for the app to read would hang a guard that buffers); with an
// unsafe image the unsafe sentence never arrives, the upstream is stopped, and the aligned
// part follows in the same SSE message. The SSE splitter keeps every byte, any chunking.
import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { ALIGNMENT_DEFAULTS } from '../src/alignment/config.ts';
import { GATE_DEFAULTS } from '../src/respond/answer-gate.ts';
import { resolvePolicy } from '../src/eta/policy.ts';
import type { Guard } from '../src/guard.ts';
import { protectFetch } from '../src/protect/fetch-protection.ts';
import { SseEventSplitter, sseMessages } from '../src/protect/sse-events.ts';
import { type RespondDeps, type RespondOptions, respond } from '../src/respond/respond.ts';
import type { ClipModelEntry, RewardModelEntry } from '../src/runtime/manifest.ts';
import type { Generator } from '../src/generators/types.ts';

const policy = resolvePolicy({ thresholds: { image: 0.5, reward: 0 } }, { clipId: 'c', clip: { thresholds: { image: 0.5 } } as ClipModelEntry, rewardId: 'r', reward: { thresholds: { reward: 0 } } as RewardModelEntry });
const rewardOf = (text: string) => (/explosive/i.test(text) ? -2 : 1);

/** A guard over the real respond: CLIP stands at `imageScore`, the reward is a word rule. */
function guardAt(imageScore: number, decided: { gate?: string }[]): Guard {
  const deps = (generator: Generator): RespondDeps => ({
    generator,
    policy,
    alignment: ALIGNMENT_DEFAULTS,
    gate: GATE_DEFAULTS,
    scorers: { images: [{ image: async () => ({ score: imageScore, cached: false }) }], response: async (text) => ({ score: rewardOf(text) }) },
    rewardMany: async (texts) => texts.map(rewardOf),
    imageTextScores: async (_i, texts) => texts.map(() => 0.1),
  });
  return {
    respond: async (input: Parameters<typeof respond>[1], options: RespondOptions & { generator: Generator }) => {
      const result = await respond(deps(options.generator), input, options);
      decided.push({ gate: result.gate.mode });
      return result;
    },
  } as unknown as Guard;
}

const event = (content: string, finish: string | null = null) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;
const encoder = new TextEncoder();
const request = { model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AA==' } }, { type: 'text', text: 'hi' }] }] };

/** An upstream the test drives event by event; it records whether it was stopped. */
function drivenUpstream() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const state = { stopped: false, alignmentBodies: [] as unknown[] };
  const stopped = new Promise<void>((resolve) => {
    globalThis.fetch = async (_input, init) => {
      const sent = init?.body;
      const body = JSON.parse(typeof sent === 'string' ? sent : new TextDecoder().decode(sent as Uint8Array)) as { messages: { role: string }[] };
      if (body.messages.at(-1)?.role === 'assistant') {
        // The alignment request: continue the safety prefix.
        state.alignmentBodies.push(body);
        return new Response(`${event(', I cannot help with that.', 'stop')}data: [DONE]\n\n`, { headers: { 'content-type': 'text/event-stream' } });
      }
      init?.signal?.addEventListener('abort', () => ((state.stopped = true), resolve()));
      const stream = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c), cancel: () => ((state.stopped = true), resolve()) });
      return new Response(stream, { headers: { 'content-type': 'text/event-stream' } });
    };
  });
  return { send: (text: string) => controller.enqueue(encoder.encode(text)), end: () => controller.close(), state, stopped };
}

const originalFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = originalFetch;
});

describe('fetch protection, a whole (JSON) answer', () => {
  it('the image is checked while the server is still answering: its check starts with the request, not with the response', async () => {
    (globalThis as { location?: { href: string } }).location ??= { href: 'http://app.test/' };
    let answer: (response: Response) => void = () => undefined;
    globalThis.fetch = () => new Promise<Response>((resolve) => (answer = resolve));
    let imageChecks = 0;
    const guard = {
      respond: (input: Parameters<typeof respond>[1], options: RespondOptions & { generator: Generator }) =>
        respond(
          {
            generator: options.generator,
            policy,
            alignment: ALIGNMENT_DEFAULTS,
            gate: GATE_DEFAULTS,
            scorers: { images: [{ image: async () => (imageChecks++, { score: 0.1, cached: false }) }], response: async (text) => ({ score: rewardOf(text) }) },
            rewardMany: async (texts) => texts.map(rewardOf),
            imageTextScores: async (_i, texts) => texts.map(() => 0.1),
          },
          input,
          options,
        ),
    } as unknown as Guard;
    const protection = protectFetch(guard);
    try {
      const body = JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'A cup of coffee.' }, finish_reason: 'stop' }] });
      const responding = fetch('http://vlm.test/v1/chat/completions', { method: 'POST', body: JSON.stringify({ ...request, stream: false }) });
      await new Promise((r) => setTimeout(r, 10));
      expect(imageChecks).toBe(1); // under way while the server has not answered
      answer(new Response(body, { headers: { 'content-type': 'application/json' } }));
      const response = await responding;
      expect(await response.text()).toBe(body); // passed, byte for byte
      expect(imageChecks).toBe(1); // once
    } finally {
      protection.restore();
    }
  });
});

async function contentOf(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<{ content: string; raw: string }> {
  let raw = '';
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    raw += decoder.decode(value, { stream: true });
  }
  let content = '';
  createParser({ onEvent: (m) => m.data !== '[DONE]' && (content += (JSON.parse(m.data) as { choices: { delta?: { content?: string } }[] }).choices[0]?.delta?.content ?? '') }).feed(raw);
  return { content, raw };
}

describe('fetch protection through the answer gate', () => {
  it('safe image: each event reaches the app while the server is still sending, byte for byte', async () => {
    (globalThis as { location?: { href: string } }).location ??= { href: 'http://app.test/' };
    const upstream = drivenUpstream();
    const decided: { gate?: string }[] = [];
    const protection = protectFetch(guardAt(0.1, decided));
    try {
      const response = await fetch('http://vlm.test/v1/chat/completions', { method: 'POST', body: JSON.stringify(request) });
      const reader = response.body!.getReader();
      const sent = [event('Sure.'), event(' First mix the explosive powder.'), event(' Done.'), 'data: [DONE]\n\n'];
      let received = '';
      for (const piece of sent) {
        upstream.send(piece);
        // The next event is sent only once the app has this one: a guard that held the stream would wait forever.
        while (received.length < sent.slice(0, sent.indexOf(piece) + 1).join('').length) received += new TextDecoder().decode((await reader.read()).value);
      }
      upstream.end();
      expect(await reader.read()).toMatchObject({ done: true });
      expect(received).toBe(sent.join(''));
      expect(decided).toEqual([{ gate: 'pass-through' }]);
    } finally {
      protection.restore();
    }
  });

  it('unsafe image: the unsafe sentence never arrives, the upstream is stopped, the aligned part continues the message', async () => {
    (globalThis as { location?: { href: string } }).location ??= { href: 'http://app.test/' };
    const upstream = drivenUpstream();
    const decided: { gate?: string }[] = [];
    const protection = protectFetch(guardAt(0.9, decided));
    try {
      const response = await fetch('http://vlm.test/v1/chat/completions', { method: 'POST', body: JSON.stringify(request) });
      // (the model goes on after the '.': a sentence is known to end once what follows it shows so)
      upstream.send(event('Sure.') + event(' First mix the explo') + event('sive powder.') + event(' Then'));
      // The gate stops the upstream; nothing after the unsafe sentence is sent.
      await upstream.stopped;
      const { content, raw } = await contentOf(response.body!.getReader());
      expect(upstream.state.stopped).toBe(true);
      expect(content).toBe('Sure. As an AI assistant, I cannot help with that.');
      expect(raw).not.toContain('explo');
      expect(raw.endsWith('data: [DONE]\n\n')).toBe(true);
      expect(raw).toContain('"vlm_guard"');
      expect(decided).toEqual([{ gate: 'judged' }]);
      // The alignment continued what the app had: the released sentence, then the safety prefix.
      expect(JSON.stringify(upstream.state.alignmentBodies[0])).toContain('Sure. As an AI assistant');
    } finally {
      protection.restore();
    }
  });
});

describe('fetch protection, a stream asked for and something else answered', () => {
  it('for any error status and body: the app reads the server\'s answer as it came (the gate never took the body)', async () => {
    (globalThis as { location?: { href: string } }).location ??= { href: 'http://app.test/' };
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 400, max: 599 }), fc.constantFrom('application/json', 'text/plain', 'text/event-stream'), fc.string({ unit: 'grapheme', maxLength: 200 }), async (status, type, text) => {
        globalThis.fetch = async () => new Response(text, { status, headers: { 'content-type': type } });
        const decided: { gate?: string }[] = [];
        const protection = protectFetch(guardAt(0.1, decided));
        try {
          const response = await fetch('http://vlm.test/v1/chat/completions', { method: 'POST', body: JSON.stringify(request) });
          expect(response.status).toBe(status);
          expect(await response.text()).toBe(text);
        } finally {
          protection.restore();
        }
      }),
      { numRuns: 40 },
    );
  });

  it('a JSON answer to a stream request is judged whole and reaches the app byte for byte (safe image)', async () => {
    (globalThis as { location?: { href: string } }).location ??= { href: 'http://app.test/' };
    const json = JSON.stringify({ id: 'c1', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'A cat beside a cup.' }, finish_reason: 'stop' }] });
    globalThis.fetch = async () => new Response(json, { headers: { 'content-type': 'application/json' } });
    const decided: { gate?: string }[] = [];
    const protection = protectFetch(guardAt(0.1, decided));
    try {
      const response = await fetch('http://vlm.test/v1/chat/completions', { method: 'POST', body: JSON.stringify(request) });
      expect(await response.text()).toBe(json);
      expect(decided).toHaveLength(1);
    } finally {
      protection.restore();
    }
  });
});

describe('the SSE splitter', () => {
  const line = fc.constantFrom('\n', '\r\n', '\r');
  const field = fc.oneof(fc.stringMatching(/^[a-z ]{0,8}$/).map((s) => `data: ${s}`), fc.constant(': comment'), fc.constant('id: 7'), fc.constant('event: x'));
  const sse = fc.array(fc.tuple(fc.array(fc.tuple(field, line), { minLength: 1, maxLength: 3 }), line), { maxLength: 6 }).map((events) => events.map(([fields, end]) => fields.map(([f, l]) => f + l).join('') + end).join(''));

  it('for any stream and chunking: the events are the bytes, and read as the whole stream reads', () => {
    fc.assert(
      fc.property(sse, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const bytes = encoder.encode(text);
        const at = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
        const splitter = new SseEventSplitter();
        const events = at.slice(1).flatMap((end, i) => splitter.push(bytes.slice(at[i], end)));
        const rest = splitter.flush();
        const all = [...events, ...(rest ? [rest] : [])];
        expect(new TextDecoder().decode(new Uint8Array(all.flatMap((e) => [...e])))).toBe(text);
        const read = sseMessages();
        const whole: string[] = [];
        createParser({ onEvent: (m) => whole.push(m.data) }).feed(text);
        expect(all.flatMap((e) => read(e).map((m) => m.data))).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });
});
