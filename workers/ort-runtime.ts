// Points a worker's onnxruntime-web at its runtime: the module the page compiled once
// (src/runtime/ort-runtime.ts) when it sent one, else the runtime's URLs on our origin.
import type { WorkerRuntimeConfig } from '../src/runtime/contracts.ts';

/** onnxruntime-web's `env.wasm` settings (the same object transformers.js exposes as env.backends.onnx.wasm). */
export interface OrtWasmEnv {
  wasmPaths?: unknown;
  wasmBinary?: unknown;
  numThreads?: number;
}

/**
 * ORT takes its runtime as `wasmPaths` or as `wasmBinary` bytes, not as a compiled module. So
 * it gets a small stand-in buffer as its `wasmBinary`, and the one `WebAssembly.instantiate`
 * of those bytes (Emscripten's, given the buffer or a view of it) instantiates the page's
 * module instead — no fetch, no compile. Anything else passes through untouched.
 */
function instantiateFromModule(module: WebAssembly.Module): ArrayBuffer {
  const standIn = new ArrayBuffer(8);
  const original = WebAssembly.instantiate;
  const isStandIn = (source: unknown) => source === standIn || (ArrayBuffer.isView(source) && source.buffer === standIn);
  WebAssembly.instantiate = function (source: unknown, imports?: WebAssembly.Imports) {
    if (!isStandIn(source)) return Reflect.apply(original, WebAssembly, [source, imports]) as Promise<never>;
    return original(module, imports).then((instance) => ({ module, instance }));
  } as typeof WebAssembly.instantiate;
  return standIn;
}

/** Must run before the first session: ORT reads these once, when it starts. */
export function configureOrtRuntime(wasm: OrtWasmEnv, config: WorkerRuntimeConfig): void {
  wasm.wasmPaths = config.ortWasm; // from our origin, never a CDN
  if (config.ortModule && wasm.wasmBinary === undefined) wasm.wasmBinary = instantiateFromModule(config.ortModule);
  if (config.wasmThreads !== undefined) wasm.numThreads = config.wasmThreads;
}
