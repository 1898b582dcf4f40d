/** A bounded least-recently-used map (Map keeps insertion order; a hit re-inserts). */
export class LruCache<K, V> {
  readonly #entries = new Map<K, V>();
  #hits = 0;
  #misses = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError(`LRU capacity must be an integer ≥ 0, got ${capacity}`);
  }

  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value === undefined) {
      this.#misses++;
      return undefined;
    }
    this.#hits++;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    return value;
  }

  set(key: K, value: V): void {
    if (this.capacity === 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, value);
    while (this.#entries.size > this.capacity) {
      const oldest = this.#entries.keys().next().value as K;
      this.#entries.delete(oldest);
    }
  }

  get size(): number {
    return this.#entries.size;
  }

  get stats(): { hits: number; misses: number; size: number; capacity: number } {
    return { hits: this.#hits, misses: this.#misses, size: this.size, capacity: this.capacity };
  }

  clear(): void {
    this.#entries.clear();
  }
}
