// One load per page for equal options (issue 29): guards created with the same model settings
// share one set of model workers, reference-counted; the last holder to let go frees them.
// React StrictMode mounts, unmounts and mounts again in one go, so a hold released is only
// let go a task later: a guard created again meanwhile takes the same load, still loading or
// loaded, and the models load once.
import { abortedError } from '../errors.ts';

export interface Lease<T> {
  readonly value: T;
  /** Lets go of this hold (once; later calls do nothing). */
  release(): void;
}

interface Entry<T, P> {
  loading: Promise<T>;
  controller: AbortController;
  holders: number;
  listeners: Set<(progress: P) => void>;
}

export class SharedLoads<T, P> {
  readonly #entries = new Map<string, Entry<T, P>>();
  readonly #dispose: (value: T) => void;
  #unshared = 0;

  /** `dispose` frees a loaded value once nobody holds it. */
  constructor(dispose: (value: T) => void) {
    this.#dispose = dispose;
  }

  /** Loads in progress or loaded, held by someone (for diagnostics and tests). */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * A hold on the value loaded for `key` (undefined: never shared), starting `load` when there
   * is none. `signal` cancels this hold's wait (ABORTED); the load itself is cancelled (its
   * signal aborted) only when no hold is left. Progress reaches every current holder.
   */
  async acquire(key: string | undefined, load: (signal: AbortSignal, progress: (p: P) => void) => Promise<T>, onProgress: (p: P) => void, signal?: AbortSignal): Promise<Lease<T>> {
    const cancelled = () => abortedError('Loading the guard');
    if (signal?.aborted) throw cancelled();
    const id = key ?? `unshared:${++this.#unshared}`;
    const listener = (p: P) => onProgress(p); // one per hold, even where holders pass the same function
    const entry = this.#entries.get(id) ?? this.#start(id, load, listener);
    entry.holders++;
    entry.listeners.add(listener);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      entry.listeners.delete(listener);
      entry.holders--;
      if (entry.holders === 0) setTimeout(() => this.#letGo(id, entry), 0);
    };
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(cancelled())));
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return { value: await Promise.race([entry.loading, aborted]), release };
    } catch (error) {
      release();
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  #start(id: string, load: (signal: AbortSignal, progress: (p: P) => void) => Promise<T>, first: (p: P) => void): Entry<T, P> {
    const controller = new AbortController();
    const listeners = new Set<(progress: P) => void>([first]);
    const entry: Entry<T, P> = { controller, listeners, holders: 0, loading: load(controller.signal, (p) => listeners.forEach((listener) => listener(p))) };
    // A failed load is not kept: the next acquire starts afresh.
    entry.loading.catch(() => {
      if (this.#entries.get(id) === entry) this.#entries.delete(id);
    });
    this.#entries.set(id, entry);
    return entry;
  }

  #letGo(id: string, entry: Entry<T, P>): void {
    if (entry.holders > 0 || this.#entries.get(id) !== entry) return;
    this.#entries.delete(id);
    entry.controller.abort(); // a load still running stops (its workers are terminated)
    entry.loading.then(this.#dispose, () => undefined);
  }
}
