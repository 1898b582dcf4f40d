// Back-pressure for the guard's entry points: at most `maxInFlight` calls run at once,
// up to `maxQueued` wait in order, and the rest are refused at once with BUSY, so a
// burst of requests costs bounded memory instead of a growing pile of pending work.
import { GuardError } from '../errors.ts';

export interface LimiterOptions {
  maxInFlight: number;
  maxQueued: number;
}

interface Waiting {
  start: () => void;
  fail: (error: GuardError) => void;
}

export class Limiter {
  readonly #options: LimiterOptions;
  readonly #queue: Waiting[] = [];
  #inFlight = 0;

  constructor(options: LimiterOptions) {
    this.#options = options;
  }

  get stats(): { inFlight: number; queued: number } & LimiterOptions {
    return { inFlight: this.#inFlight, queued: this.#queue.length, ...this.#options };
  }

  /** Runs `task` when a slot is free; rejects with BUSY when the queue is full, ABORTED when aborted while waiting. */
  async run<T>(what: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new GuardError('ABORTED', `${what} was aborted before it started.`);
    if (this.#inFlight >= this.#options.maxInFlight) await this.#wait(what, signal);
    else this.#inFlight++;
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      if (next) next.start(); // the slot passes straight to the next in line
      else this.#inFlight--;
    }
  }

  #wait(what: string, signal?: AbortSignal): Promise<void> {
    if (this.#queue.length >= this.#options.maxQueued) {
      throw new GuardError(
        'BUSY',
        `${what}: ${this.#inFlight} calls are running and ${this.#queue.length} waiting (concurrency.maxInFlight ${this.#options.maxInFlight}, maxQueued ${this.#options.maxQueued}); try again later.`,
      );
    }
    return new Promise<void>((resolve, reject) => {
      const waiting: Waiting = {
        start: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        fail: reject,
      };
      const onAbort = () => {
        const at = this.#queue.indexOf(waiting);
        if (at >= 0) this.#queue.splice(at, 1);
        reject(new GuardError('ABORTED', `${what} was aborted while waiting for a slot.`));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(waiting);
    });
  }

  /** Refuses everything still waiting (the guard is disposed). */
  rejectWaiting(error: GuardError): void {
    for (const waiting of this.#queue.splice(0)) waiting.fail(error);
  }
}
