// The large-stream part of the streaming bench, in the page: an answer of `mb` MB made on
// demand by the page (nothing of it kept), read by the app through fetch protection or the
// AI SDK middleware on a safe photo, or unguarded. The runner samples the page's heap (CDP)
// while it runs; here: the time, the bytes that reached the app, the longest main-thread stall.
import { vlmGuardMiddleware } from '../src/ai-sdk/index.ts';
import { type Guard, protectFetch } from '../src/index.ts';
import '../e2e/fixtures/on-demand-stream.js';
import { stallMeter } from './stats.ts';

const source = globalThis.onDemandStream;

export type LargePath = 'fetch protection' | 'AI SDK middleware';
export interface LargeRun {
  ms: number;
  received: number;
  longestStallMs: number;
  stallAttribution: string | null;
}

type Part = { type: string; id?: string; delta?: string; finishReason?: unknown; usage?: unknown };
const TEXT = 'the cat sat on the mat and looked at the garden. '.repeat(320); // 16 KB per piece
const SSE = new TextEncoder().encode(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', model: 'm', choices: [{ index: 0, delta: { content: TEXT }, finish_reason: null }] })}\n\n`);
const DONE = new TextEncoder().encode('data: [DONE]\n\n');
const USAGE = { inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined }, outputTokens: { total: 1, text: 1, reasoning: undefined } };

export async function runLargeStream(guard: Guard, photo: Blob, path: LargePath, mb: number, guarded: boolean): Promise<LargeRun> {
  const bytes = mb * 2 ** 20;
  const dataUrl = await new Promise<string>((resolve) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.readAsDataURL(photo);
  });
  const stalls = stallMeter();
  const t0 = performance.now();
  let received: number;
  if (path === 'fetch protection') {
    const pageFetch = globalThis.fetch;
    globalThis.fetch = async () => new Response(source(bytes, SSE, SSE.length, [DONE]), { headers: { 'content-type': 'text/event-stream' } });
    const protection = guarded ? protectFetch(guard) : null;
    try {
      const response = await fetch('/v1/chat/completions', { method: 'POST', body: JSON.stringify({ model: 'm', stream: true, messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: dataUrl } }, { type: 'text', text: 'Tell me.' }] }] }) });
      received = await globalThis.drainStream(response.body!, (chunk) => chunk.length);
    } finally {
      protection?.restore();
      globalThis.fetch = pageFetch;
    }
  } else {
    const end: Part[] = [{ type: 'text-end', id: 't' }, { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage: USAGE }];
    const doStream = async () => ({ stream: source<Part>(bytes, { type: 'text-delta', id: 't', delta: TEXT }, TEXT.length, end) });
    let stream: ReadableStream<Part>;
    if (guarded) {
      const middleware = vlmGuardMiddleware({ guard }) as unknown as Record<string, (o: unknown) => Promise<unknown>>;
      const params = { prompt: [{ role: 'user', content: [{ type: 'file', mediaType: 'image/png', data: new Uint8Array(await photo.arrayBuffer()) }, { type: 'text', text: 'Tell me.' }] }] };
      const transformed = await middleware.transformParams!({ type: 'stream', params });
      stream = ((await middleware.wrapStream!({ doStream, params: transformed, model: { specificationVersion: 'v3', provider: 'bench', modelId: 'long', supportedUrls: {} } })) as { stream: ReadableStream<Part> }).stream;
    } else {
      stream = (await doStream()).stream;
    }
    received = await globalThis.drainStream(stream, (part) => (part.type === 'text-delta' ? part.delta!.length : 0));
  }
  const ms = performance.now() - t0;
  stalls.stop();
  return { ms, received, longestStallMs: stalls.longest(), stallAttribution: stalls.attribution() };
}
