// One inference per session at a time. A decoder session keeps its KV cache between the
// steps of one text (reset, prefill, next…); two scores interleaved on it would read each
// other's cache, and ORT refuses a second run on a busy session. Calls wait their turn.
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  /** Runs `task` after every task queued before it has settled (whatever their outcome). */
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(task, task);
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
