import { describe, expect, it } from 'vitest';
import { isGuardError } from '../src/errors.ts';
import { readSseJson } from '../src/generators/remote/sse.ts';

function responseOf(parts: string[], delayMs = 0): Response {
  const encoder = new TextEncoder();
  return new Response(
    new ReadableStream<Uint8Array>({
      async start(controller) {
        for (const part of parts) {
          if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
          controller.enqueue(encoder.encode(part));
        }
        controller.close();
      },
    }),
  );
}

async function collect(response: Response, idleTimeoutMs = 1000) {
  const out: unknown[] = [];
  for await (const chunk of readSseJson(response, { url: 'http://x/v1', idleTimeoutMs })) out.push(chunk);
  return out;
}

const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e);

describe('SSE reading', () => {
  it('reassembles events split across network chunks, CRLF line ends and comments', async () => {
    const chunks = await collect(
      responseOf([': keep-alive\r\n\r\ndata: {"a"', ':1}\r\n\r\nda', 'ta: {"a":2}\n\n', 'event: message\ndata: {"a":3}\n\ndata: [DONE]\n\n']),
    );
    expect(chunks).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }]);
  });

  it('joins multi-line data fields', async () => {
    expect(await collect(responseOf(['data: {"a":\ndata: 4}\n\ndata: [DONE]\n\n']))).toEqual([{ a: 4 }]);
  });

  it('rejects a chunk that is not JSON with GENERATOR_STREAM_MALFORMED', async () => {
    const error = await failure(collect(responseOf(['data: {"choices": [\n\n'])));
    expect(isGuardError(error, 'GENERATOR_STREAM_MALFORMED')).toBe(true);
    expect((error as Error).message).toContain('not JSON');
  });

  it('rejects a stream that ends without [DONE]', async () => {
    const error = await failure(collect(responseOf(['data: {"a":1}\n\n'])));
    expect(isGuardError(error, 'GENERATOR_STREAM_MALFORMED')).toBe(true);
    expect((error as Error).message).toContain('without [DONE]');
  });

  it('times out a stalled stream', async () => {
    const stalled = new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode('data: {"a":1}\n\n')) }));
    const error = await failure(collect(stalled, 100));
    expect(isGuardError(error, 'TIMEOUT')).toBe(true);
  });
});
