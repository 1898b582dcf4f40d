// What a model worker holds outside its JS heap: onnxruntime-web's WebAssembly memory
// and its live WebGPU buffers. Neither is reachable from outside (ORT keeps both to
// itself), so the worker notes them as they are made: the probe wraps
// WebAssembly.instantiate(Streaming) and GPUDevice.createBuffer / GPUBuffer.destroy when
// this module is first imported — before ORT instantiates its module or makes a buffer.
// It only counts: buffers sit in a WeakMap, so nothing is kept alive by the probe.
import type { WorkerMemory } from '../src/runtime/contracts.ts';

const memories = new Set<WebAssembly.Memory>();
const bufferSizes = new WeakMap<object, number>();
const gpu = { live: 0, bytes: 0, created: 0 };

function noteMemories(values: Iterable<unknown>): void {
  for (const value of values) if (value instanceof WebAssembly.Memory) memories.add(value);
}

/** A threaded build imports its (shared) memory; a single-threaded one exports it. */
function noteImports(imports: WebAssembly.Imports | undefined): void {
  for (const module of Object.values(imports ?? {})) noteMemories(Object.values(module));
}

function noteInstance(result: WebAssembly.Instance | WebAssembly.WebAssemblyInstantiatedSource): void {
  const instance = result instanceof WebAssembly.Instance ? result : result.instance;
  noteMemories(Object.values(instance.exports));
}

function wrapInstantiation(): void {
  const { instantiate, instantiateStreaming } = WebAssembly;
  WebAssembly.instantiate = async function (this: unknown, ...args: Parameters<typeof instantiate>) {
    noteImports(args[1]);
    const result = await Reflect.apply(instantiate, WebAssembly, args);
    noteInstance(result);
    return result;
  } as typeof instantiate;
  WebAssembly.instantiateStreaming = async function (this: unknown, ...args: Parameters<typeof instantiateStreaming>) {
    noteImports(args[1]);
    const result = await Reflect.apply(instantiateStreaming, WebAssembly, args);
    noteInstance(result);
    return result;
  };
}

interface GpuClasses {
  GPUDevice?: { prototype: { createBuffer(descriptor: { size: number }): object } };
  GPUBuffer?: { prototype: { destroy(): void } };
}

function wrapGpuBuffers(): void {
  const { GPUDevice, GPUBuffer } = globalThis as GpuClasses;
  if (!GPUDevice || !GPUBuffer) return; // no WebGPU in this context
  const { createBuffer } = GPUDevice.prototype;
  const { destroy } = GPUBuffer.prototype;
  GPUDevice.prototype.createBuffer = function (this: object, descriptor: { size: number }) {
    const buffer = Reflect.apply(createBuffer, this, [descriptor]) as object;
    bufferSizes.set(buffer, descriptor.size);
    gpu.live++;
    gpu.created++;
    gpu.bytes += descriptor.size;
    return buffer;
  };
  GPUBuffer.prototype.destroy = function (this: object) {
    const size = bufferSizes.get(this);
    if (size !== undefined) {
      bufferSizes.delete(this);
      gpu.live--;
      gpu.bytes -= size;
    }
    Reflect.apply(destroy, this, []);
  };
}

wrapInstantiation();
wrapGpuBuffers();

/** This worker's WebAssembly memory and WebGPU buffers now. */
export function workerMemory(): WorkerMemory {
  let wasmBytes = 0;
  for (const memory of memories) wasmBytes += memory.buffer.byteLength;
  return { wasmBytes, wasmMemories: memories.size, gpuBuffers: gpu.live, gpuBytes: gpu.bytes, gpuBuffersCreated: gpu.created };
}
