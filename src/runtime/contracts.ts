// The contract between the page and the model workers (types only; comlink carries the calls).
import type { WorkerImage } from '../images/image-input.ts';
import type { GuardTokens, ModelDtype, RewardKind, ScoreRule } from './manifest.ts';
import type { WindowOptions } from './text-windows.ts';
import type { RiskCategory } from '../risk-categories.ts';

export type Device = 'auto' | 'webgpu' | 'wasm';
export type Backend = 'webgpu' | 'wasm';
export type ModelDtypes = Record<Backend, ModelDtype> & { webgpuWithoutF16?: ModelDtype };

export type { WorkerImage } from '../images/image-input.ts';

/** eos: the model ended; stop: a stop string ended it; length: the token cap did. */
export type FinishReason = 'eos' | 'stop' | 'length';

/** How a VLM samples (the worker contract; generators re-export it). */
export interface SamplingParams {
  maxTokens: number;
  /** 0 = greedy. */
  temperature: number;
  topK?: number;
  /** The output ends right after the first of these (the stop string is kept in the text). */
  stop?: string[];
  /** Makes sampling reproducible where the backend supports it. */
  seed?: number;
}

export interface Completion {
  /** The generated continuation only (not the assistant prefix). */
  text: string;
  finishReason: FinishReason;
  /** New tokens; `tokensEstimated` when the server did not say. */
  tokens: number;
  tokensEstimated?: boolean;
}

export interface WorkerRuntimeConfig {
  /** fp16 weights on WebGPU need shader-f16; without it, `auto` loads on WASM. */
  needsShaderF16?: boolean;
  /** Absolute URL of the folder holding model folders (transformers.js layout). */
  modelBase: string;
  /** Absolute URLs of ORT's .mjs/.wasm, served from our origin. */
  ortWasm: { mjs: string; wasm: string };
  /** ORT's runtime as the page compiled it (src/runtime/ort-runtime.ts); absent, the worker fetches `ortWasm.wasm`. */
  ortModule?: WebAssembly.Module;
  /** Opt-in: let transformers.js fall back to the Hugging Face hub. */
  allowRemoteModels: boolean;
  device: Device;
  /** WASM threads per worker (needs a cross-origin-isolated page); default: onnxruntime-web's choice. */
  wasmThreads?: number;
}

export interface LoadReport {
  backend: Backend;
  /** The weights loaded on that backend. */
  dtype?: ModelDtype;
  /** Set when `auto` wanted WebGPU and fell back to WASM: why. */
  fallbackReason?: string;
  loadMs: number;
  /** Of loadMs: the warm-up run after the files were read and the sessions made. */
  warmUpMs?: number;
}

/** transformers.js progress events, tagged with the model they belong to. */
export interface ModelProgress {
  model: string;
  status: 'initiate' | 'download' | 'progress' | 'progress_total' | 'done' | 'ready';
  file?: string;
  loaded?: number;
  total?: number;
  /** 0–100. */
  progress?: number;
}

export type ProgressSink = (progress: ModelProgress) => void;

/** The model a worker loads and the sha256 of each of its files (from the manifest): nothing else is loaded. */
export interface ModelFiles {
  modelId: string;
  /** Path inside the model folder → lowercase hex sha256. */
  sha256: Record<string, string>;
  /** Path → size in bytes, as the manifest lists it (memory is estimated before a fetch). */
  bytes: Record<string, number>;
  /** Absolute URL of the folder the files come from (a hub revision); default: `${modelBase}${modelId}/`. */
  folder?: string;
  /** Cache Storage that keeps the verified files for offline use (hub loading). */
  cacheName?: string;
}

export interface ClipLoadConfig extends WorkerRuntimeConfig, ModelFiles {
  maxTextTokens: number;
  /** Per backend: the worker picks the one it ends up on. */
  dtype: ModelDtypes;
}

/** Fault injection for drills and tests: destroys the worker's WebGPU device; false when it has none. */
export interface DeviceLossApi {
  loseDevice(): Promise<boolean>;
}

/** What a worker holds outside its JS heap (noted by workers/memory-probe.ts as it is made). */
export interface WorkerMemory {
  /** onnxruntime-web's WebAssembly memory, in bytes (it grows and never shrinks). */
  wasmBytes: number;
  /** WebAssembly memories seen (one per onnxruntime-web instance). */
  wasmMemories: number;
  /** Live WebGPU buffers and their bytes (ORT's reuse pool included). */
  gpuBuffers: number;
  gpuBytes: number;
  /** WebGPU buffers created since the worker started. */
  gpuBuffersCreated: number;
}

export interface MemoryApi {
  memory(): WorkerMemory;
}

export interface ClipWorkerApi extends DeviceLossApi, MemoryApi {
  load(config: ClipLoadConfig, onProgress?: ProgressSink): Promise<LoadReport>;
  /** Unnormalised `image_embeds` of one image (an encoded file is decoded in the worker). */
  embedImage(image: WorkerImage): Promise<Float32Array>;
  /** Unnormalised `text_embeds`, one per text, each cut to the model's token limit with its end token kept. */
  embedTexts(texts: string[]): Promise<Float32Array[]>;
  /** One embedding per window of a long text (half-overlapping, each with start and end tokens); TOO_LONG past `maxWindows`. */
  embedTextWindows(text: string, maxWindows: number): Promise<Float32Array[]>;
}

/**
 * How the response is put before the reward model (docs/method.md, ETA: a fixed instruction
 * as the user turn, the response as the assistant turn).
 * `auto`: the tokenizer's chat template when it has one, else the (instruction, response) pair.
 */
export type RewardFraming = 'auto' | 'chat-template' | 'pair' | 'response-only';

export interface RewardLoadConfig extends WorkerRuntimeConfig, ModelFiles {
  kind: RewardKind;
  maxTokens: number;
  /** How a text longer than the model's input is read: overlapping windows, each framed (src/runtime/text-windows.ts). */
  window: WindowOptions;
  /** Per backend: the worker picks the one it ends up on. */
  dtype: ModelDtypes;
  framing: RewardFraming;
  instruction: string;
  /** Decoder kinds: prompt tokens per forward pass (chunked prefill through the KV cache). */
  prefillChunk: number;
  score: ScoreRule;
  guard?: GuardTokens;
}

/** A score (higher = safer) and, for guard-generative models asked for detail, the categories it named. */
export interface ScoredText {
  score: number;
  codes?: string[];
  categories?: RiskCategory[];
}

export interface RewardLoadReport extends LoadReport {
  framing: Exclude<RewardFraming, 'auto'>;
}

/**
 * How a text is scored: as an answer under the guard's instruction (`response`), as an answer
 * under another instruction (deep alignment's candidates where the method scores them under
 * its own), or as a user's request (text read from an image).
 */
export type ScoreAs = 'response' | 'request' | { instruction: string };

export interface RewardWorkerApi extends DeviceLossApi, MemoryApi {
  load(config: RewardLoadConfig, onProgress?: ProgressSink): Promise<RewardLoadReport>;
  /**
   * The raw reward logit of each text (no softmax: a one-logit head would flatten to 1).
   * `as: 'request'` scores the text as a user's request (e.g. text read from an image).
   */
  score(texts: string[], as?: ScoreAs): Promise<number[]>;
  /** Scores with detail: guard-generative models name the risk categories of unsafe texts. */
  assess(texts: string[], as?: ScoreAs): Promise<ScoredText[]>;
}

export interface VlmLoadConfig extends WorkerRuntimeConfig, ModelFiles {
  /** Per backend: the worker picks the one it ends up on. */
  dtype: ModelDtypes;
  /** Split large images into tiles (SmolVLM: up to 17 of 512²); `auto`: on WebGPU only. */
  imageSplitting: 'auto' | 'on' | 'off';
}

/** How often the VLM's vision encoder ran, and how often its features were reused. */
/** Decoder passes over a whole prompt, and the rows they read (N candidates share one row). */
export interface PrefillStats {
  prefills: number;
  rows: number;
}

export interface ImageEncoderStats {
  encodes: number;
  reused: number;
  /** Tiles (pixel_values' image count) of the last image set encoded; 0 before any. */
  tiles: number;
}

/** A generation request as the VLM worker takes it: each image pixels or an encoded file, in the order shown. */
export interface VlmRequest {
  prompt: string;
  system?: string;
  images?: WorkerImage[];
  assistantPrefix?: string;
  sampling: SamplingParams;
}

export interface VlmWorkerApi extends MemoryApi {
  load(config: VlmLoadConfig, onProgress?: ProgressSink): Promise<LoadReport>;
  /**
   * One completion; text deltas go to `onToken` as they are decoded. `deltas` counts
   * them: the callback's messages travel on their own channel and may arrive after
   * this result, so the caller waits for that many.
   */
  generate(
    request: VlmRequest,
    onToken?: (delta: string) => void,
  ): Promise<Completion & { deltas: number }>;
  /** `n` sampled completions as one batch. */
  sample(request: VlmRequest, n: number): Promise<Completion[]>;
  /** Stops the running generation at the next token. */
  interrupt(): void;
  imageEncoder(): ImageEncoderStats & { splitting: boolean };
  prefills(): PrefillStats;
}

export interface OcrLoadConfig extends WorkerRuntimeConfig, ModelFiles {
  /** Paths inside the model folder. */
  files: { detection: string; recognition: string; dictionary: string };
  ocr: import('../ocr/config.ts').OcrConfig;
}

export interface OcrWorkerApi extends DeviceLossApi, MemoryApi {
  load(config: OcrLoadConfig, onProgress?: ProgressSink): Promise<LoadReport>;
  readText(image: WorkerImage): Promise<import('../ocr/pipeline.ts').OcrResult>;
}
