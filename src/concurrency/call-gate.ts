// The one door every public call of a guard goes through: the same back-pressure
// (Limiter) and the same closed state. Once closed, waiting calls reject, running
// calls reject at once (their work is aborted through the signal they were given),
// and new calls reject — all with DISPOSED, never a decision.
import { GuardError, abortedError, asGuardError } from '../errors.ts';
import { Limiter, type LimiterOptions } from './limiter.ts';

const disposedError = (what: string) => new GuardError('DISPOSED', `${what}: the guard was disposed.`);

export class CallGate {
  readonly #limiter: Limiter;
  readonly #closed = new AbortController();

  constructor(options: LimiterOptions) {
    this.#limiter = new Limiter(options);
  }

  get closed(): boolean {
    return this.#closed.signal.aborted;
  }

  /** Calls running and waiting, against the limits. */
  get stats(): Limiter['stats'] {
    return this.#limiter.stats;
  }

  /**
   * Runs `task` when a slot is free. The task gets one signal that fires when the caller
   * aborts or the gate closes. The call settles with DISPOSED the moment the gate closes
   * and — unless `keepsPartial` (the task settles an abort itself, e.g. with the answer so
   * far) — with ABORTED the moment the caller aborts, whatever its work is awaiting. The
   * slot is freed when the call settles: work that ignores its signal cannot hold it.
   */
  async run<T>(what: string, task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal, options: { keepsPartial?: boolean } = {}): Promise<T> {
    if (this.closed) throw disposedError(what);
    const combined = signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal;
    const settleOn = options.keepsPartial ? this.#closed.signal : combined;
    let onAbort: () => void = () => undefined;
    const ended = new Promise<never>((_, reject) => {
      onAbort = () => reject(this.closed ? disposedError(what) : abortedError(what));
      settleOn.addEventListener('abort', onAbort, { once: true });
    });
    ended.catch(() => undefined);
    try {
      return await this.#limiter.run(what, () => Promise.race([task(combined), ended]), signal);
    } catch (error) {
      // Nothing but a GuardError leaves the guard: a raw browser error becomes one.
      throw this.closed ? disposedError(what) : asGuardError(error, 'INFERENCE_FAILED', what);
    } finally {
      settleOn.removeEventListener('abort', onAbort);
    }
  }

  /** Closes the door: everything waiting or running settles with DISPOSED now. */
  close(): void {
    if (this.closed) return;
    this.#limiter.rejectWaiting(disposedError('A call waiting for a slot'));
    this.#closed.abort(disposedError('The call'));
  }
}
