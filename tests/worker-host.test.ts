// WorkerHost against real comlink over a MessageChannel (a worker stand-in that can crash).
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { GuardError, installErrorTransfer, isGuardError } from '../src/errors.ts';
import { WorkerHost } from '../src/runtime/worker-host.ts';

installErrorTransfer();

interface EchoApi {
  load(): Promise<{ generation: number }>;
  echo(value: string): Promise<string>;
  hang(): Promise<never>;
  fail(): Promise<never>;
}

/** Routes comlink's messages through a MessageChannel; 'error' events stay local so a test can fire them. */
class FakeWorker extends EventTarget {
  readonly #port: MessagePort;
  terminated = false;

  constructor(api: EchoApi) {
    super();
    const { port1, port2 } = new MessageChannel();
    Comlink.expose(api, port2);
    this.#port = port1;
    port1.start();
  }

  postMessage(message: unknown, transfer: Transferable[] = []): void {
    if (!this.terminated) this.#port.postMessage(message, transfer);
  }

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === 'message') this.#port.addEventListener(type, listener as EventListener);
    else super.addEventListener(type, listener);
  }

  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null): void {
    if (type === 'message') this.#port.removeEventListener(type, listener as EventListener);
    else super.removeEventListener(type, listener);
  }

  terminate(): void {
    this.terminated = true;
    this.#port.close();
  }

  crash(): void {
    this.dispatchEvent(Object.assign(new Event('error'), { message: 'simulated crash' }));
  }
}

const workers: FakeWorker[] = [];
const hosts: WorkerHost<EchoApi, { generation: number }>[] = [];
/** Resolves when worker `generation` has received a hang() call: a crash then hits a call in flight, whatever the timing. */
const hanging = new Map<number, { promise: Promise<void>; resolve: () => void }>();
function whenHanging(generation: number): Promise<void> {
  if (!hanging.has(generation)) {
    let resolve!: () => void;
    hanging.set(generation, { promise: new Promise<void>((r) => (resolve = r)), resolve });
  }
  return hanging.get(generation)!.promise;
}

function makeHost(behaviour: Partial<EchoApi> = {}, timeouts = { loadTimeoutMs: 1000, callTimeoutMs: 200 }) {
  const host = new WorkerHost<EchoApi, { generation: number }>({
    label: 'test worker',
    spawn: () => {
      const generation = workers.length + 1;
      const worker = new FakeWorker({
        load: async () => ({ generation }),
        echo: async (value) => `${value}@${generation}`,
        hang: () => {
          void whenHanging(generation);
          hanging.get(generation)!.resolve();
          return new Promise<never>(() => undefined);
        },
        fail: async () => {
          throw new GuardError('INFERENCE_FAILED', 'model said no', { model: 'm' });
        },
        ...behaviour,
      });
      workers.push(worker);
      return worker as unknown as Worker;
    },
    init: (api) => api.load(),
    ...timeouts,
  });
  hosts.push(host);
  return host;
}

afterEach(() => {
  hosts.splice(0).forEach((h) => h.dispose());
  workers.splice(0);
  hanging.clear();
});

describe('WorkerHost', () => {
  it('a worker that cannot be constructed is ENVIRONMENT_UNSUPPORTED, saying where the script must be served', async () => {
    const host = new WorkerHost<EchoApi, { generation: number }>({
      label: 'test worker',
      spawn: () => {
        throw new DOMException("Script at 'file:///_next/static/media/clip.worker.js' cannot be accessed from origin 'http://localhost:3000'.", 'SecurityError');
      },
      init: (api) => api.load(),
      loadTimeoutMs: 1000,
      callTimeoutMs: 200,
    });
    hosts.push(host);
    const error = await host.ready().catch((e: unknown) => e);
    expect(isGuardError(error, 'ENVIRONMENT_UNSUPPORTED')).toBe(true);
    expect((error as GuardError).message).toMatch(/could not be started: Script at 'file:.*served from the page's origin/);
  });

  it('calls waiting on a worker stopped for another call\'s timeout fail over at once to a fresh worker, not at their own timeout', async () => {
    const host = makeHost({}, { loadTimeoutMs: 1000, callTimeoutMs: 300 });
    await host.ready();
    const stuck = host.call('hang', (api) => api.hang()).catch((e: unknown) => e);
    await whenHanging(1);
    // A second call lands on the same worker 200 ms later; the first call's timeout stops the worker 100 ms after that.
    await new Promise((r) => setTimeout(r, 200));
    const waiting = host.call('hang on 1, echo on 2', (api) => (workers.length === 1 ? api.hang() : api.echo('moved')));
    expect(isGuardError(await stuck, 'TIMEOUT')).toBe(true);
    // Left waiting on the stopped worker it would end with its own TIMEOUT; it moved to a fresh worker instead.
    expect(await waiting).toBe('moved@2');
  });

  it('loads once and answers calls', async () => {
    const host = makeHost();
    expect(await host.ready()).toEqual({ generation: 1 });
    expect(await host.call('echo', (api) => api.echo('a'))).toBe('a@1');
    expect(await host.call('echo', (api) => api.echo('b'))).toBe('b@1');
    expect(workers).toHaveLength(1);
  });

  it('carries GuardError code and details across the worker boundary', async () => {
    const host = makeHost();
    const error = await host.call('fail', (api) => api.fail()).catch((e: unknown) => e);
    expect(isGuardError(error, 'INFERENCE_FAILED')).toBe(true);
    expect((error as GuardError).details).toEqual({ model: 'm' });
  });

  it('restarts a crashed worker and retries the call once', async () => {
    const host = makeHost();
    await host.ready();
    const pending = host.call('hang then echo', (api) => (workers.length === 1 ? api.hang() : api.echo('retried')));
    await whenHanging(1);
    workers[0]!.crash();
    expect(await pending).toBe('retried@2');
    expect(workers[0]!.terminated).toBe(true);
    expect(host.restarts).toBe(1);
    expect(await host.ready()).toEqual({ generation: 2 });
  });

  it('fails clearly when the retry crashes too', async () => {
    const host = makeHost();
    await host.ready();
    const pending = host.call('hang', (api) => api.hang());
    void whenHanging(1).then(() => workers[0]!.crash());
    void whenHanging(2).then(() => workers[1]!.crash());
    const error = await pending.catch((e: unknown) => e);
    expect(isGuardError(error, 'WORKER_CRASHED')).toBe(true);
    expect((error as Error).message).toContain('test worker crashed: simulated crash');
  });

  it('times out a hung call, replaces the worker, and recovers', async () => {
    const host = makeHost();
    const error = await host.call('hang', (api) => api.hang()).catch((e: unknown) => e);
    expect(isGuardError(error, 'TIMEOUT')).toBe(true);
    expect((error as Error).message).toContain('did not finish within 200 ms');
    expect(workers[0]!.terminated).toBe(true);
    expect(await host.call('echo', (api) => api.echo('x'))).toBe('x@2');
  });

  it('reports a failed load, and starts afresh on the next call', async () => {
    let attempts = 0;
    const host = makeHost({
      load: async () => {
        attempts++;
        if (attempts === 1) throw new GuardError('MODEL_FILE_MISSING', 'missing', { url: 'http://x/m.onnx' });
        return { generation: attempts };
      },
    });
    const error = await host.ready().catch((e: unknown) => e);
    expect(isGuardError(error, 'MODEL_FILE_MISSING')).toBe(true);
    expect(await host.call('echo', (api) => api.echo('y'))).toBe('y@2');
  });

  it('rejects calls after dispose', async () => {
    const host = makeHost();
    await host.ready();
    host.dispose();
    const error = await host.call('echo', (api) => api.echo('z')).catch((e: unknown) => e);
    expect(isGuardError(error, 'DISPOSED')).toBe(true);
  });
});
