// RemoteGenerator against the repo's OpenAI-compatible test server, over real HTTP on loopback.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RecordedRequest, type TestServer, startTestServer } from '../e2e/openai-test-server/server.ts';
import { SCRIPTS } from '../e2e/openai-test-server/scripted-model.ts';
import { type GuardError, isGuardError } from '../src/errors.ts';
import { RemoteGenerator, type RemoteGeneratorOptions } from '../src/generators/remote/openai-generator.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
beforeEach(() => script([]));

async function script(faults: string[]) {
  await fetch(`${server.url}/__control`, { method: 'POST', body: JSON.stringify({ script: faults }) });
}
const recorded = async () => (await (await fetch(`${server.url}/__requests`)).json()) as RecordedRequest[];

const png = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
const greedy = { maxTokens: 1024, temperature: 0 };
const make = (options: Partial<RemoteGeneratorOptions> = {}) =>
  new RemoteGenerator({ baseUrl: `${server.url}/v1`, model: 'scripted-vlm', apiKey: 'test-key', retry: { baseDelayMs: 1 }, ...options });
const failure = (promise: Promise<unknown>) => promise.then(() => null, (e: unknown) => e as GuardError);

describe('RemoteGenerator', () => {
  it('streams a chat completion token by token, with the image as a data URL and the key as a bearer token', async () => {
    const deltas: string[] = [];
    const completion = await make().generate({ prompt: 'What is in the image?', image: png, sampling: greedy }, { onToken: (d) => deltas.push(d) });
    expect(completion).toEqual({ text: SCRIPTS.benign, finishReason: 'eos', tokens: deltas.length });
    expect(deltas.length).toBeGreaterThan(5);
    const [request] = await recorded();
    expect(request).toMatchObject({ path: '/v1/chat/completions', authorized: true, hadImage: true });
    expect(request!.body).toMatchObject({ stream: true, temperature: 0, max_tokens: 1024 });
  });

  it('sends an image Blob inline without making it one string on the page: the body is a Blob, the server reads the exact bytes', async () => {
    const bytes = new Uint8Array(2_000_003).map((_, i) => (i * 2654435761) >>> 24);
    const photo = new Blob([bytes], { type: 'image/jpeg' });
    const bodies: unknown[] = [];
    const spy: typeof fetch = (input, init) => {
      bodies.push(init?.body);
      return fetch(input, init);
    };
    await make({ fetch: spy }).generate({ prompt: 'What is in the image?', image: photo, sampling: greedy });
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toBeInstanceOf(Blob);
    const [request] = await recorded();
    const content = (request!.body.messages as { content: { image_url?: { url: string } }[] }[])[0]!.content;
    expect(content[0]!.image_url!.url).toBe(`data:image/jpeg;base64,${Buffer.from(bytes).toString('base64')}`);
  });

  it('continues a partial assistant message with continue_final_message (vLLM)', async () => {
    const completion = await make().generate({ prompt: 'How do I build a bomb?', assistantPrefix: 'As an AI assistant', sampling: greedy });
    expect(completion.text).toBe(SCRIPTS.afterSafetyPrefix);
    const [request] = await recorded();
    expect(request!.body).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect(request!.body.messages!.at(-1)).toEqual({ role: 'assistant', content: 'As an AI assistant' });
  });

  it('continues through raw /v1/completions with a rendered chat template (llama.cpp, Ollama)', async () => {
    const generator = make({ capabilities: { continuation: 'completions' } });
    const completion = await generator.generate({ prompt: 'How do I build a bomb?', image: png, assistantPrefix: 'As an AI assistant', sampling: greedy });
    expect(completion.text).toBe(SCRIPTS.afterSafetyPrefix);
    const [request] = await recorded();
    expect(request).toMatchObject({ path: '/v1/completions', hadImage: true });
    expect(request!.body.prompt).toEqual({
      prompt_string: '<|im_start|>user\n<__media__>\nHow do I build a bomb?<|im_end|>\n<|im_start|>assistant\nAs an AI assistant',
      multimodal_data: [btoa(String.fromCharCode(0x89, 0x50, 0x4e, 0x47))],
    });
  });

  it('shows the VLM every image: one image part each, in order; one media marker each in a raw prompt', async () => {
    const jpeg = new Blob([new Uint8Array([0xff, 0xd8, 0xff])], { type: 'image/jpeg' });
    await make().generate({ prompt: 'Compare them.', image: [png, jpeg], sampling: greedy });
    const [chat] = await recorded();
    const content = (chat!.body.messages as { role: string; content: { type: string; image_url?: { url: string } }[] }[])[0]!.content;
    expect(content.map((p) => p.type)).toEqual(['image_url', 'image_url', 'text']);
    expect(content[0]!.image_url!.url).toMatch(/^data:image\/png;base64,/);
    expect(content[1]!.image_url!.url).toMatch(/^data:image\/jpeg;base64,/);

    await script([]);
    await make({ capabilities: { continuation: 'completions' } }).generate({ prompt: 'Compare them.', image: [png, jpeg], assistantPrefix: 'As an AI assistant', sampling: greedy });
    const [raw] = await recorded();
    expect(raw!.body.prompt).toMatchObject({ prompt_string: expect.stringContaining('<__media__>\n<__media__>\nCompare them.') });
    expect((raw!.body.prompt as { multimodal_data: string[] }).multimodal_data).toHaveLength(2);
  });

  it('refuses to continue when the server cannot, with a typed error', async () => {
    const error = await failure(make({ capabilities: { continuation: 'none' } }).generate({ prompt: 'x', assistantPrefix: 'As', sampling: greedy }));
    expect(isGuardError(error, 'GENERATOR_UNSUPPORTED')).toBe(true);
  });

  it('asks for n samples in one request, with top_k and temperature', async () => {
    const samples = await make().sample({ prompt: 'bomb', assistantPrefix: 'As an AI assistant', sampling: { maxTokens: 70, temperature: 1.5, topK: 5 } }, 5);
    expect(samples).toHaveLength(5);
    const requests = await recorded();
    expect(requests).toHaveLength(1);
    expect(requests[0]!.body).toMatchObject({ n: 5, top_k: 5, temperature: 1.5, max_tokens: 70, stream: true });
  });

  it('streams the n samples of one request: each is reported once it reaches its stop string, and the request ends once all have (no tokens past a sentence)', async () => {
    const reported: { index: number; text: string; settled: boolean }[] = [];
    let settled = false;
    const sampling = { maxTokens: 70, temperature: 1.5, topK: 5, stop: ['. ', '.\n'] };
    const samples = await make()
      .sample({ prompt: 'How do I build a bomb?', assistantPrefix: 'As an AI assistant', sampling }, 3, { onCandidate: (index, c) => reported.push({ index, text: c.text, settled }) })
      .finally(() => (settled = true));
    expect(reported.map((r) => r.index).sort()).toEqual([0, 1, 2]);
    expect(reported.every((r) => !r.settled)).toBe(true);
    expect(reported.map((r) => r.text)).toEqual(reported.map((r) => samples[r.index]!.text));
    for (const s of samples) expect(s).toMatchObject({ finishReason: 'stop', text: expect.stringMatching(/\. $/) });
    await new Promise((r) => setTimeout(r, 50)); // the server notices the closed stream at its next token
    const [request] = await recorded();
    expect(request).toMatchObject({ body: { n: 3, stream: true }, closedEarly: true });
  });

  it('runs samples concurrently when the server has no n', async () => {
    const samples = await make({ capabilities: { n: false } }).sample({ prompt: 'bomb', sampling: { maxTokens: 70, temperature: 1.5, topK: 5 } }, 5);
    expect(samples).toHaveLength(5);
    expect(await recorded()).toHaveLength(5);
  });

  it('applies stop strings itself when the server cannot say which one matched', async () => {
    const deltas: string[] = [];
    const completion = await make().generate({ prompt: 'bomb', sampling: { ...greedy, stop: ['.'] } }, { onToken: (d) => deltas.push(d) });
    expect(completion.text).toBe('Sure.');
    expect(completion.finishReason).toBe('stop');
    expect(deltas.join('')).toBe('Sure.');
    expect((await recorded())[0]!.body.stop).toBeUndefined();
    const samples = await make().sample({ prompt: 'bomb', assistantPrefix: 'x', sampling: { maxTokens: 70, temperature: 1.5, topK: 5, stop: ['.'] } }, 3);
    for (const s of samples) {
      expect(s.finishReason).toBe('stop');
      expect(s.text.endsWith('.')).toBe(true);
      expect(s.text.indexOf('.')).toBe(s.text.length - 1);
    }
  });

  it("sends stop strings to a server that reports stop_reason (vLLM), keeping the stop string", async () => {
    const completion = await make({ capabilities: { stopReason: true } }).generate({ prompt: 'bomb', sampling: { ...greedy, stop: ['.'] } });
    expect(completion).toMatchObject({ text: 'Sure.', finishReason: 'stop' });
    expect((await recorded())[0]!.body).toMatchObject({ stop: ['.'], include_stop_str_in_output: true });
    const eos = await make({ capabilities: { stopReason: true } }).generate({ prompt: 'cat', sampling: { ...greedy, stop: ['!'] } });
    expect(eos.finishReason).toBe('eos');
  });

  it('reports the token cap as length', async () => {
    const completion = await make().generate({ prompt: 'cat', sampling: { maxTokens: 3, temperature: 0 } });
    expect(completion).toMatchObject({ finishReason: 'length', tokens: 3 });
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    await script(['429', '500', 'ok']);
    const completion = await make().generate({ prompt: 'cat', sampling: greedy });
    expect(completion.finishReason).toBe('eos');
    expect(await recorded()).toHaveLength(3);
  });

  it('gives up after maxRetries with the status, and never leaks the API key', async () => {
    await script(['500', '500', '500']);
    const error = await failure(make({ retry: { maxRetries: 2, baseDelayMs: 1 } }).generate({ prompt: 'cat', sampling: greedy }));
    expect(isGuardError(error, 'GENERATOR_HTTP')).toBe(true);
    expect(error!.details.status).toBe('500');
    expect(error!.message).toContain('after 3 attempts');
    expect(JSON.stringify({ message: error!.message, details: error!.details, stack: error!.stack })).not.toContain('test-key');
  });

  it('does not retry a 4xx that is not 429', async () => {
    const error = await failure(make().generate({ prompt: 'x', assistantPrefix: 'y', sampling: greedy, image: 'ftp://nope' }));
    expect(isGuardError(error, 'INPUT_INVALID')).toBe(true);
  });

  it.each([
    ['malformed', 'GENERATOR_STREAM_MALFORMED'],
    ['drop', 'GENERATOR_STREAM_MALFORMED'],
    ['stall', 'TIMEOUT'],
  ])('a %s stream fails with %s, never hangs', async (fault, code) => {
    await script([fault]);
    const error = await failure(make({ timeouts: { idleMs: 300 } }).generate({ prompt: 'cat', sampling: greedy }));
    expect(error?.code).toBe(code);
  });

  it('aborts mid-stream with ABORTED', async () => {
    const controller = new AbortController();
    const error = await failure(
      make().generate({ prompt: 'cat', sampling: greedy }, { signal: controller.signal, onToken: () => controller.abort() }),
    );
    expect(isGuardError(error, 'ABORTED')).toBe(true);
  });
});
