// Keeps the preference pairs: bounded in memory (oldest dropped first) and, where the
// browser has it, persisted in IndexedDB so they survive reloads. Images are kept once
// per sha256 (as data URLs) while a pair refers to them.
import { type IDBPDatabase, openDB } from 'idb';
import type { PreferencePair } from './pairs.ts';

const DB_NAME = 'vlm-guard-preferences';
const PAIRS = 'pairs';
const IMAGES = 'images';

/** Off unless the host asks: the pairs hold users' images and questions. */
export const PREFERENCES_DEFAULTS = { enabled: false, maxPairs: 200, persist: true };

export interface PreferenceStoreOptions {
  maxPairs: number;
  /** Persist in IndexedDB (ignored where there is none). */
  persist: boolean;
}

/** Stored with an insertion number: pairs of one answer share a timestamp, order must not. */
type StoredPair = PreferencePair & { seq: number };

export class PreferenceStore {
  readonly #options: PreferenceStoreOptions;
  #pairs: PreferencePair[] = [];
  #seq = 0;
  readonly #images = new Map<string, string>();
  readonly #db: Promise<IDBPDatabase | null>;
  /** Writes happen in order; a load finishes before the first write. */
  #queue: Promise<unknown>;

  constructor(options: PreferenceStoreOptions) {
    this.#options = options;
    this.#db =
      options.persist && typeof indexedDB !== 'undefined'
        ? openDB(DB_NAME, 1, {
            upgrade(db) {
              db.createObjectStore(PAIRS, { keyPath: 'id' });
              db.createObjectStore(IMAGES);
            },
          }).catch(() => null)
        : Promise.resolve(null);
    this.#queue = this.#load();
  }

  get size(): number {
    return this.#pairs.length;
  }

  async add(pairs: PreferencePair[], images: { sha256: string; dataUrl: string }[]): Promise<void> {
    if (pairs.length === 0) return;
    await this.#enqueue(async () => {
      this.#pairs.push(...pairs);
      for (const image of images) this.#images.set(image.sha256, image.dataUrl);
      const dropped = this.#pairs.splice(0, Math.max(0, this.#pairs.length - this.#options.maxPairs));
      const unused = [...new Set(dropped.flatMap((p) => p.imageSha256s))].filter((sha) => !this.#pairs.some((p) => p.imageSha256s.includes(sha)));
      for (const sha of unused) this.#images.delete(sha);
      const db = await this.#db;
      if (!db) return;
      const tx = db.transaction([PAIRS, IMAGES], 'readwrite');
      await Promise.all([
        ...pairs.map((p) => tx.objectStore(PAIRS).put({ ...p, seq: ++this.#seq } satisfies StoredPair)),
        ...images.filter((image) => this.#images.has(image.sha256)).map((image) => tx.objectStore(IMAGES).put(image.dataUrl, image.sha256)),
        ...dropped.map((p) => tx.objectStore(PAIRS).delete(p.id)),
        ...unused.map((sha) => tx.objectStore(IMAGES).delete(sha)),
        tx.done,
      ]);
    });
  }

  async all(): Promise<{ pairs: PreferencePair[]; images: Map<string, string> }> {
    await this.#queue;
    return { pairs: [...this.#pairs], images: new Map(this.#images) };
  }

  async clear(): Promise<void> {
    await this.#enqueue(async () => {
      this.#pairs = [];
      this.#images.clear();
      const db = await this.#db;
      if (db) await Promise.all([db.clear(PAIRS), db.clear(IMAGES)]);
    });
  }

  #enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(work);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #load(): Promise<void> {
    const db = await this.#db;
    if (!db) return;
    const [stored, keys] = await Promise.all([db.getAll(PAIRS) as Promise<StoredPair[]>, db.getAllKeys(IMAGES)]);
    stored.sort((a, b) => a.seq - b.seq);
    this.#seq = stored.at(-1)?.seq ?? 0;
    this.#pairs = stored.slice(-this.#options.maxPairs).map((record) => {
      // Pairs kept before several images were judged carry one `imageSha256`.
      const { imageSha256, ...pair }: Partial<StoredPair> & { imageSha256?: string } = { ...record };
      delete pair.seq;
      return { ...(pair as PreferencePair), imageSha256s: pair.imageSha256s ?? (imageSha256 ? [imageSha256] : []) };
    });
    for (const key of keys) this.#images.set(String(key), (await db.get(IMAGES, key)) as string);
  }
}
