// Model files in a worker: hashed as they arrive, checked against the manifest, handed on whole.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { verifiedFetch } from '../workers/model-file.ts';

const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
const bytesOf = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255);

/** A body whose chunks the test releases one at a time. */
function controlledBody(chunks: Uint8Array[]) {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
  let next = 0;
  return {
    body,
    /** Sends the next chunk (the end after the last); true while more are left. */
    release(): boolean {
      if (next < chunks.length) controller.enqueue(chunks[next]!);
      if (next++ === chunks.length - 1) controller.close();
      return next < chunks.length;
    },
  };
}

afterEach(() => vi.unstubAllGlobals());

describe('verifiedFetch', () => {
  it('verifies a file that arrives in chunks (hashed as they come) and hands on exactly its bytes', async () => {
    const chunks = [bytesOf(1000, 2), bytesOf(1000, 3), bytesOf(500, 4)];
    const all = new Uint8Array(2500);
    chunks.reduce((at, c) => (all.set(c, at), at + c.byteLength), 0);
    const body = controlledBody(chunks);
    vi.stubGlobal('fetch', async () => new Response(body.body, { headers: { 'content-length': '0' } }));
    const model = { modelId: 'm', modelBase: '/models/', sha256: { 'b.onnx': sha(all) }, bytes: { 'b.onnx': 2500 } };
    const loaded: number[] = [];
    const response = verifiedFetch('/models/m/b.onnx', model, undefined, (_path, bytes) => loaded.push(bytes));
    while (body.release()) await new Promise((r) => setTimeout(r, 0));
    const r = await response;
    expect(new Uint8Array(await r.arrayBuffer())).toEqual(all);
    expect(r.headers.get('content-length')).toBe('2500');
    expect(loaded).toEqual([1000, 2000, 2500]);
  });

  it('files read side by side, their chunks interleaved, each hash as their own bytes (one hasher in the worker)', async () => {
    const parts = { 'x.onnx': [bytesOf(700, 7), bytesOf(300, 8)], 'y.onnx': [bytesOf(400, 9), bytesOf(900, 10), bytesOf(5, 11)] };
    const whole = (cs: Uint8Array[]) => Uint8Array.from(cs.flatMap((c) => [...c]));
    const bodies = { 'x.onnx': controlledBody(parts['x.onnx']), 'y.onnx': controlledBody(parts['y.onnx']) };
    vi.stubGlobal('fetch', async (url: string) => new Response(bodies[url.split('/').pop() as keyof typeof bodies].body));
    const model = { modelId: 'm', modelBase: '/models/', sha256: { 'x.onnx': sha(whole(parts['x.onnx'])), 'y.onnx': sha(whole(parts['y.onnx'])) }, bytes: { 'x.onnx': 1000, 'y.onnx': 1305 } };
    const both = Promise.all([verifiedFetch('/models/m/x.onnx', model), verifiedFetch('/models/m/y.onnx', model)]);
    for (let more = true; more; ) {
      more = bodies['x.onnx'].release() || false;
      more = bodies['y.onnx'].release() || more;
      await new Promise((r) => setTimeout(r, 10));
    }
    const [x, y] = await both;
    expect(new Uint8Array(await x.arrayBuffer())).toEqual(whole(parts['x.onnx']));
    expect(new Uint8Array(await y.arrayBuffer())).toEqual(whole(parts['y.onnx']));
  });

  it('a file that fails its check does not hold the others; one not in the manifest is a 404; one the server lacks is MODEL_FILE_MISSING', async () => {
    const good = bytesOf(64, 5);
    const bad = bytesOf(64, 6);
    vi.stubGlobal('fetch', async (url: string) => (url.endsWith('gone.bin') ? new Response('not found', { status: 404 }) : new Response(url.endsWith('good.bin') ? good : bad)));
    const model = { modelId: 'm', modelBase: '/models/', sha256: { 'good.bin': sha(good), 'bad.bin': sha(good), 'gone.bin': sha(good) }, bytes: { 'good.bin': 64, 'bad.bin': 64, 'gone.bin': 64 } };
    const read = async (path: string) => (await verifiedFetch(`/models/m/${path}`, model)).arrayBuffer();
    const [ok, refused, gone] = await Promise.allSettled([read('good.bin'), read('bad.bin'), read('gone.bin')]);
    expect(ok.status).toBe('fulfilled');
    expect(refused).toMatchObject({ status: 'rejected', reason: { code: 'MODEL_INTEGRITY' } });
    expect(gone).toMatchObject({ status: 'rejected', reason: { code: 'MODEL_FILE_MISSING', details: { url: '/models/m/gone.bin' } } });
    expect((await verifiedFetch('/models/m/other.bin', model)).status).toBe(404);
  });

  it('fetches nothing until the body is read: a caller that takes only the headers (transformers.js\'s size probe) costs no download', async () => {
    const file = bytesOf(5000, 1);
    const fetched: string[] = [];
    vi.stubGlobal('fetch', async (url: string) => (fetched.push(url), new Response(file)));
    const model = { modelId: 'm', modelBase: '/models/', sha256: { 'w.onnx': sha(file) }, bytes: { 'w.onnx': 5000 } };
    const probe = await verifiedFetch('/models/m/w.onnx', model);
    expect(probe.status).toBe(200);
    expect(probe.headers.get('content-length')).toBe('5000');
    await new Promise((r) => setTimeout(r, 20));
    expect(fetched).toEqual([]);
    const load = await verifiedFetch('/models/m/w.onnx', model);
    expect(new Uint8Array(await load.arrayBuffer())).toEqual(file);
    expect(fetched).toEqual(['/models/m/w.onnx']);
  });

  it('fails closed for any file in any chunking: the body is the file byte for byte when it matches, else MODEL_INTEGRITY and no byte', async () => {
    const served = fc
      .record({
        file: fc.uint8Array({ minLength: 1, maxLength: 4000 }),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
        // What the server sends instead: the file, one byte changed, cut short, or with bytes after it.
        change: fc.oneof(fc.constant({ kind: 'none' as const }), fc.record({ kind: fc.constant('flip' as const), at: fc.nat() }), fc.record({ kind: fc.constant('short' as const), by: fc.integer({ min: 1, max: 50 }) }), fc.record({ kind: fc.constant('long' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 50 }) })),
      })
      .map(({ file, cuts, change }) => {
        let sent = file;
        if (change.kind === 'flip') {
          sent = file.slice();
          const at = change.at % file.length;
          sent[at] = sent[at]! ^ 1;
        }
        if (change.kind === 'short') sent = file.slice(0, Math.max(0, file.length - change.by));
        if (change.kind === 'long') sent = Uint8Array.from([...file, ...change.extra]);
        const bounds = [0, ...[...new Set(cuts.map((c) => c % (sent.length + 1)))].sort((a, b) => a - b), sent.length];
        return { file, sent, chunks: bounds.slice(1).map((end, i) => sent.slice(bounds[i], end)), intact: change.kind === 'none' };
      });
    await fc.assert(
      fc.asyncProperty(served, async ({ file, chunks, intact }) => {
        vi.stubGlobal('fetch', async () => new Response(new ReadableStream({ start: (c) => (chunks.forEach((chunk) => c.enqueue(chunk)), c.close()) })));
        const model = { modelId: 'm', modelBase: '/models/', sha256: { 'w.onnx': sha(file) }, bytes: { 'w.onnx': file.length } };
        const read = await (await verifiedFetch('/models/m/w.onnx', model)).arrayBuffer().then((bytes) => new Uint8Array(bytes), (error: unknown) => error);
        if (intact) expect(read).toEqual(file);
        else expect(read).toMatchObject({ code: 'MODEL_INTEGRITY' });
      }),
      { numRuns: 150 },
    );
  });
});
