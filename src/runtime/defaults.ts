// The runtime's defaults: where models and ORT come from, which device, caches, limits.
// Every number here can be overridden through createGuard's options.
import { IMAGE_FETCH_TIMEOUT_MS } from '../images/image-fetch.ts';

export const RUNTIME_DEFAULTS = {
  modelBase: '/models/',
  device: 'auto' as 'auto' | 'webgpu' | 'wasm',
  allowRemoteModels: false,
  /** Hub loading (createGuard({ models: { hub } })): the hub, and the Cache Storage its files are kept in. */
  hub: { host: 'https://huggingface.co', cacheName: 'vlm-guard-hub-v1' },
  /** Read the text in the image (OCR) as an image signal: off by default (ETA's CLIP check only). */
  imageText: 'off' as 'auto' | 'on' | 'off',
  /** Calls of evaluate/respond/assessRisks running at once, and waiting beyond those. */
  concurrency: { maxInFlight: 4, maxQueued: 64 },
  /** Images one evaluate/respond call may carry (every image is judged; more is INPUT_INVALID). */
  maxImages: 16,
  /**
   * Decoder evaluators (Llama Guard, a Qwen3 reward model): prompt tokens per forward pass.
   * A long prompt goes through the KV cache in chunks, so no pass holds its whole activations.
   */
  prefillChunk: 256,
  /** Entries of the image-embedding LRU (one embedding per distinct image content). */
  imageCacheSize: 64,
  timeouts: {
    /** Loading a model (download + session creation); WebGPU shader compilation can be slow. */
    loadMs: 180_000,
    /** One inference call. */
    callMs: 60_000,
    /** Fetching an image given as a URL. */
    imageFetchMs: IMAGE_FETCH_TIMEOUT_MS,
  },
  /** Origins the guard may fetch image URLs from, besides the page's own (data: and blob: always). */
  allowImageOrigins: [] as string[],
};

/** ORT's WASM build that serves both the wasm and the webgpu execution providers. */
export const ORT_WASM_FILES = {
  mjs: 'ort-wasm-simd-threaded.asyncify.mjs',
  wasm: 'ort-wasm-simd-threaded.asyncify.wasm',
} as const;
