// Owns one model worker: starts it, loads its model, bounds every call with a
// timeout, notices crashes, and restarts (reloading the model) on the next call.
// comlink never rejects calls pending on a dead worker, so this races each call
// against the worker's error event and a timer.
import * as Comlink from 'comlink';
import { GuardError } from '../errors.ts';
import { spawnWorker } from './vite-prebundle.ts';

export interface WorkerHostOptions<Api, Report> {
  /** Human name for messages ("CLIP worker"). */
  label: string;
  spawn: () => Worker;
  /** Loads the model into a fresh worker; after a WebGPU device loss, `deviceLost` says why (load on WASM then). */
  init: (api: Comlink.Remote<Api>, context: { deviceLost: string | null }) => Promise<Report>;
  loadTimeoutMs: number;
  callTimeoutMs: number;
}

interface Live<Api, Report> {
  worker: Worker;
  api: Comlink.Remote<Api>;
  /** Rejects when the worker crashed or was stopped: every call waiting on it fails at once. */
  crashed: Promise<never>;
  stopped: (why: string) => void;
  ready: Promise<Report>;
}

export class WorkerHost<Api, Report> {
  readonly #options: WorkerHostOptions<Api, Report>;
  #live: Live<Api, Report> | null = null;
  #disposed = false;
  #restarts = 0;
  #lastReport: Report | null = null;
  #deviceLost: string | null = null;
  /** Rejects with DISPOSED when the host is disposed: running calls settle at once, not at their timeout. */
  readonly #disposal: { promise: Promise<never>; reject: (error: GuardError) => void };

  constructor(options: WorkerHostOptions<Api, Report>) {
    this.#options = options;
    let reject: (error: GuardError) => void = () => undefined;
    const promise = new Promise<never>((_, r) => (reject = r));
    promise.catch(() => undefined); // observed through the races in #bounded
    this.#disposal = { promise, reject };
  }

  /** Times the worker was restarted after a crash or timeout. */
  get restarts(): number {
    return this.#restarts;
  }

  /** The load report of the latest successful start (which backend is running), if any. */
  get lastReport(): Report | null {
    return this.#lastReport;
  }

  /** Why the worker left WebGPU (its device was lost), if it did. */
  get deviceLost(): string | null {
    return this.#deviceLost;
  }

  /** Starts the worker if needed and resolves with its load report. */
  ready(): Promise<Report> {
    try {
      return this.#ensure().ready;
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /** One call; on a crash the worker is restarted and the call retried once. */
  async call<R>(what: string, fn: (api: Comlink.Remote<Api>) => Promise<R>): Promise<R> {
    try {
      return await this.#callOnce(what, fn);
    } catch (error) {
      const lost = error instanceof GuardError && error.code === 'BACKEND_UNAVAILABLE' ? error.details.deviceLost : undefined;
      if (lost !== undefined && !this.#disposed) {
        // The GPU is gone for this worker: a fresh one loads on WASM, and the call is retried there.
        this.#deviceLost = lost;
        this.#kill();
      } else if (!(error instanceof GuardError) || error.code !== 'WORKER_CRASHED' || this.#disposed) throw error;
      this.#restarts++;
      return this.#callOnce(what, fn);
    }
  }

  dispose(): void {
    this.#disposed = true;
    this.#disposal.reject(new GuardError('DISPOSED', `${this.#options.label}: the guard was disposed.`));
    this.#kill();
  }

  async #callOnce<R>(what: string, fn: (api: Comlink.Remote<Api>) => Promise<R>): Promise<R> {
    const live = this.#ensure();
    await live.ready;
    return this.#bounded(live, fn(live.api), this.#options.callTimeoutMs, what);
  }

  #ensure(): Live<Api, Report> {
    if (this.#disposed) throw new GuardError('DISPOSED', `${this.#options.label}: the guard was disposed.`);
    if (this.#live) return this.#live;
    let worker: Worker;
    try {
      worker = spawnWorker(this.#options.spawn, import.meta.url);
    } catch (error) {
      // e.g. a bundler that emitted the worker's URL where the page cannot load it (file:, another origin).
      throw new GuardError(
        'ENVIRONMENT_UNSUPPORTED',
        `${this.#options.label} could not be started: ${error instanceof Error ? error.message : String(error)}. The worker script must be served from the page's origin (see docs/deploy.md, "Bundlers").`,
        { worker: this.#options.label },
        { cause: error },
      );
    }
    const api = Comlink.wrap<Api>(worker);
    let stopped: (why: string) => void = () => undefined;
    const crashed = new Promise<never>((_, reject) => {
      stopped = (why) => reject(new GuardError('WORKER_CRASHED', `${this.#options.label} ${why}. It will be restarted on the next call.`, { worker: this.#options.label }));
      const fail = (detail: string) => {
        stopped(`crashed: ${detail}`);
        if (this.#live?.worker === worker) this.#kill();
      };
      worker.addEventListener('error', (event) => fail(event.message || 'uncaught error in the worker'));
      worker.addEventListener('messageerror', () => fail('a message could not be deserialised'));
    });
    crashed.catch(() => undefined); // observed through the races below
    const live: Live<Api, Report> = { worker, api, crashed, stopped, ready: Promise.resolve() as Promise<Report> };
    live.ready = this.#bounded(live, this.#options.init(api, { deviceLost: this.#deviceLost }), this.#options.loadTimeoutMs, 'model load');
    live.ready.then((report) => {
      this.#lastReport = report;
    }, () => undefined);
    // A failed load leaves no half-started worker behind; the next call starts afresh.
    live.ready.catch(() => {
      if (this.#live === live) this.#kill();
    });
    this.#live = live;
    return live;
  }

  #bounded<R>(live: Live<Api, Report>, work: Promise<R>, timeoutMs: number, what: string): Promise<R> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new GuardError('TIMEOUT', `${this.#options.label}: ${what} did not finish within ${timeoutMs} ms.`, { worker: this.#options.label }));
        // A stuck worker cannot be interrupted; replace it (the calls waiting on it fail now, and retry on the new one).
        if (this.#live === live) this.#kill();
      }, timeoutMs);
    });
    return Promise.race([work, live.crashed, timeout, this.#disposal.promise]).finally(() => clearTimeout(timer));
  }

  #kill(): void {
    const live = this.#live;
    this.#live = null;
    if (!live) return;
    live.stopped('was stopped');
    live.api[Comlink.releaseProxy]();
    live.worker.terminate();
  }
}
