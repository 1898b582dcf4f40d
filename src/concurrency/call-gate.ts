// The one door every public call of a guard goes through: the same back-pressure
// (Limiter) and the same closed state. Once closed, waiting calls reject, running
// calls reject at once (their work is aborted through the signal they were given),
// and new calls reject — all with DISPOSED, never a decision.
import { GuardError } from '../errors.ts';
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
   * aborts or the gate closes; the call settles with DISPOSED the moment the gate closes.
   */
  async run<T>(what: string, task: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (this.closed) throw disposedError(what);
    const combined = signal ? AbortSignal.any([signal, this.#closed.signal]) : this.#closed.signal;
    // A running call settles the moment the gate closes, whatever its work is awaiting;
    // a caller's abort reaches the work through `combined` (it may keep a partial answer).
    let onClose: () => void = () => undefined;
    const closing = new Promise<never>((_, reject) => {
      onClose = () => reject(disposedError(what));
      this.#closed.signal.addEventListener('abort', onClose, { once: true });
    });
    closing.catch(() => undefined);
    try {
      return await Promise.race([this.#limiter.run(what, () => task(combined), signal), closing]);
    } catch (error) {
      throw this.closed ? disposedError(what) : error;
    } finally {
      this.#closed.signal.removeEventListener('abort', onClose);
    }
  }

  /** Closes the door: everything waiting or running settles with DISPOSED now. */
  close(): void {
    if (this.closed) return;
    this.#limiter.rejectWaiting(disposedError('A call waiting for a slot'));
    this.#closed.abort(disposedError('The call'));
  }
}
