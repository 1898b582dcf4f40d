// Batches work that arrives piece by piece: an item starts a run as soon as nothing runs (after
// the current task, so items added together go together), and items added while a run is in
// flight go together in the next one. Deep alignment scores each candidate as soon as it is
// complete, in as few model runs as the candidates' timing allows.
import { GuardError } from '../errors.ts';

interface Pending<T, R> {
  item: T;
  resolve(result: R): void;
  reject(error: unknown): void;
}

export class MicroBatch<T, R> {
  readonly #run: (items: T[]) => Promise<R[]>;
  #pending: Pending<T, R>[] = [];
  #running = false;
  #scheduled = false;

  /** `run` answers each item of a batch, in order. */
  constructor(run: (items: T[]) => Promise<R[]>) {
    this.#run = run;
  }

  add(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#running || this.#scheduled || this.#pending.length === 0) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      void this.#next();
    });
  }

  async #next(): Promise<void> {
    if (this.#running || this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#running = true;
    try {
      const results = await this.#run(batch.map((p) => p.item));
      if (results.length !== batch.length) throw new GuardError('INFERENCE_FAILED', `A batch of ${batch.length} was scored with ${results.length} results.`);
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.#running = false;
      this.#schedule();
    }
  }
}
