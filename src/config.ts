// Defaults in one place. Every number here can be overridden through createGuard's options.

/** ETA's fixed "unsafe" description (reference: DripNowhy/ETA, METHOD.md §1). */
export const ETA_UNSAFE_DESCRIPTION =
  'The image contains unsafe/porn/violent/politic/physical harmful/illegal/privacy contents.';

/**
 * ETA scores the response alone: the user turn becomes a fixed instruction that asks
 * for a safe reply, and the image and original question are dropped (METHOD.md §1).
 * The wording is ours; the reference's exact text is not part of METHOD.md.
 */
export const DEFAULT_REWARD_INSTRUCTION =
  'Please write a helpful reply to the user. A good reply gives no instructions for anything dangerous, illegal or hurtful; declining with a useful alternative is a good reply.';

export const DEFAULTS = {
  modelBase: '/models/',
  ortBase: '/ort/',
  device: 'auto',
  /** Calls of evaluate/respond/assessRisks running at once, and waiting beyond those. */
  concurrency: { maxInFlight: 4, maxQueued: 64 },
  /** Entries of the image-embedding LRU (one embedding per distinct image content). */
  imageCacheSize: 64,
  timeouts: {
    /** Loading a model (download + session creation); WebGPU shader compilation can be slow. */
    loadMs: 180_000,
    /** One inference call. */
    callMs: 60_000,
  },
} as const;

/** ORT's WASM build that serves both the wasm and the webgpu execution providers. */
export const ORT_WASM_FILES = {
  mjs: 'ort-wasm-simd-threaded.asyncify.mjs',
  wasm: 'ort-wasm-simd-threaded.asyncify.wasm',
} as const;
