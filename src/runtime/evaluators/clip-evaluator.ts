// Image risk: CLIP cosine between the image and the unsafe description (ETA's
// pre-generation check), with an LRU of image embeddings keyed by pixel content.
import { LruCache } from '../../cache/lru-cache.ts';
import { type ImageInput, decodeImage, encodedContentKey, forAttempt, pixelContentKey, resolveImageSource } from '../../images/image-input.ts';
import { WINDOW_DEFAULTS } from '../text-windows.ts';
import { cosineSimilarity } from './cosine.ts';
import type { ClipWorkerApi, LoadReport } from '../contracts.ts';
import type { WorkerHost } from '../worker-host.ts';
import { scoringText } from '../../answers/scoring-text.ts';

export interface ImageScore {
  /** cosine(image_embeds, text_embeds). */
  score: number;
  /** The embedding came from the cache. */
  cached: boolean;
  timings: { decodeMs: number; embedMs: number };
}

export class ClipEvaluator {
  readonly #host: WorkerHost<ClipWorkerApi, LoadReport>;
  readonly #imageCache: LruCache<string, Float32Array>;
  readonly #textCache = new LruCache<string, Float32Array>(256);
  readonly #unsafeDescription: string;

  constructor(host: WorkerHost<ClipWorkerApi, LoadReport>, options: { cacheSize: number; unsafeDescription: string }) {
    this.#host = host;
    this.#imageCache = new LruCache(options.cacheSize);
    this.#unsafeDescription = options.unsafeDescription;
  }

  get cacheStats() {
    return this.#imageCache.stats;
  }

  async imageEmbedding(image: ImageInput): Promise<{ embedding: Float32Array; cached: boolean; decodeMs: number; embedMs: number }> {
    const t0 = performance.now();
    const caching = this.#imageCache.capacity > 0;
    const source = await resolveImageSource(image);
    const bytesKey = caching ? await encodedContentKey(source) : null;
    const byBytes = bytesKey === null ? undefined : this.#imageCache.get(bytesKey);
    if (byBytes) return { embedding: byBytes, cached: true, decodeMs: performance.now() - t0, embedMs: 0 };

    // An encoded file goes to the worker as it is and is decoded there, off the page's thread.
    const workerImage = source instanceof Blob ? source : await decodeImage(source);
    const key = bytesKey ?? (caching && !(workerImage instanceof Blob) ? await pixelContentKey(workerImage) : null);
    const t1 = performance.now();
    const byPixels = bytesKey === null && key !== null ? this.#imageCache.get(key) : undefined;
    if (byPixels) return { embedding: byPixels, cached: true, decodeMs: t1 - t0, embedMs: 0 };
    const embedding = await this.#host.call('image embedding', (api) => api.embedImage(forAttempt(workerImage)));
    if (key !== null) this.#imageCache.set(key, embedding);
    return { embedding, cached: false, decodeMs: t1 - t0, embedMs: performance.now() - t1 };
  }

  /** Embeddings of the texts' scoring copies (src/answers/scoring-text.ts), as every score reads them. */
  async textEmbeddings(given: string[]): Promise<Float32Array[]> {
    const texts = given.map(scoringText);
    const found = new Map<string, Float32Array>();
    for (const text of new Set(texts)) {
      const hit = this.#textCache.get(text);
      if (hit) found.set(text, hit);
    }
    const missing = [...new Set(texts)].filter((t) => !found.has(t));
    if (missing.length > 0) {
      const embeddings = await this.#host.call('text embedding', (api) => api.embedTexts(missing));
      missing.forEach((text, i) => {
        found.set(text, embeddings[i]!);
        this.#textCache.set(text, embeddings[i]!);
      });
    }
    return texts.map((t) => found.get(t)!);
  }

  /** ETA's pre-generation score: cosine(image, unsafe description). */
  async imageScore(image: ImageInput): Promise<ImageScore> {
    return this.textImageScore(image, this.#unsafeDescription);
  }

  /** cosine(image, text). */
  async textImageScore(image: ImageInput, text: string): Promise<ImageScore> {
    const [{ embedding, cached, decodeMs, embedMs }, [textEmbedding]] = await Promise.all([
      this.imageEmbedding(image),
      this.textEmbeddings([text]),
    ]);
    return { score: cosineSimilarity(embedding, textEmbedding!), cached, timings: { decodeMs, embedMs } };
  }

  /** cosine(image, text) for several texts in one text-tower call (deep alignment's candidates). */
  async imageTextScores(image: ImageInput, texts: string[]): Promise<number[]> {
    const [{ embedding }, textEmbeddings] = await Promise.all([this.imageEmbedding(image), this.textEmbeddings(texts)]);
    return textEmbeddings.map((t) => cosineSimilarity(embedding, t));
  }

  /**
   * cosine(text, other) for each other text, both through the text tower (the risk
   * report's text sources). A text longer than CLIP reads is embedded in windows and
   * each other text gets its closest window: an unsafe sentence is read wherever it is.
   */
  async textTextScores(text: string, others: string[]): Promise<number[]> {
    const [windows, targets] = await Promise.all([this.#host.call('text embedding', (api) => api.embedTextWindows(text, WINDOW_DEFAULTS.maxWindows)), this.textEmbeddings(others)]);
    return targets.map((t) => Math.max(...windows.map((w) => cosineSimilarity(w, t))));
  }
}
