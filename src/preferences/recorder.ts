// The opt-in preference recorder: listens for the guard's aligned answers and keeps
// them as (chosen, rejected) pairs for a later DPO run. Off unless the host asks
// (createGuard({ preferences: { enabled: true } })): an embedded runtime must not keep
// its users' images unless told to.
import { imageToUrl } from '../images/image-url.ts';
import { type AlignedAnswer, pairsFromAnswer, toJsonl } from './pairs.ts';
import { PreferenceStore, type PreferenceStoreOptions } from './store.ts';
import { type ImageInputs, imageList, sha256Hex } from '../images/image-input.ts';

/** What the guard announces for every aligned answer (event `aligned`). */
export interface AlignedEventDetail {
  input: { image: ImageInputs; prompt: string; system?: string };
  answer: Omit<AlignedAnswer, 'prompt' | 'system' | 'imageSha256s'>;
}

export class PreferenceRecorder {
  readonly #store: PreferenceStore;
  readonly #target: EventTarget;
  /** Pairs still being written: export/count/clear wait for them, so an answer just returned is in. */
  readonly #pending = new Set<Promise<void>>();
  readonly #onAligned = (event: Event) => {
    const keeping = this.#keep((event as CustomEvent<AlignedEventDetail>).detail);
    this.#pending.add(keeping);
    void keeping.finally(() => this.#pending.delete(keeping));
  };

  constructor(target: EventTarget, options: PreferenceStoreOptions) {
    this.#store = new PreferenceStore(options);
    this.#target = target;
    target.addEventListener('aligned', this.#onAligned);
  }

  /**
   * The pairs kept so far as JSONL (`prompt`/`chosen`/`rejected`/`images`/`metadata` a
   * line); images as `sha256:<hex>` references or embedded data URLs.
   */
  async export(options: { images?: 'hash' | 'data-url' } = {}): Promise<string> {
    await this.#settled();
    const { pairs, images } = await this.#store.all();
    return toJsonl(pairs, options.images === 'data-url' ? images : undefined);
  }

  /** How many pairs are kept (bounded by preferences.maxPairs). */
  async count(): Promise<number> {
    await this.#settled();
    return (await this.#store.all()).pairs.length;
  }

  async clear(): Promise<void> {
    await this.#settled();
    await this.#store.clear();
  }

  /** Stops listening (the guard's dispose calls it); what was kept stays. */
  stop(): void {
    this.#target.removeEventListener('aligned', this.#onAligned);
  }

  async #settled(): Promise<void> {
    await Promise.all(this.#pending);
  }

  /** A failure here never fails the answer; it is announced as `preferences-error`. */
  async #keep({ input, answer }: AlignedEventDetail): Promise<void> {
    try {
      const images = await Promise.all(
        imageList(input.image).map(async (image) => {
          const url = await imageToUrl(image);
          const dataUrl = typeof url === 'string' ? url : await url.dataUrl().text();
          return { sha256: await sha256Hex(new TextEncoder().encode(dataUrl)), dataUrl };
        }),
      );
      const pairs = pairsFromAnswer({ ...answer, prompt: input.prompt, ...(input.system ? { system: input.system } : {}), imageSha256s: images.map((i) => i.sha256) });
      await this.#store.add(pairs, images);
      this.#target.dispatchEvent(new CustomEvent('preferences-recorded', { detail: { pairs: pairs.length } }));
    } catch (error) {
      this.#target.dispatchEvent(new CustomEvent('preferences-error', { detail: error }));
    }
  }
}
