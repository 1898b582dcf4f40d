// ORT's WebAssembly runtime (27 MB) is fetched and compiled once per page and handed to every
// worker of every guard as the compiled module (a WebAssembly.Module is shared, not copied,
// when posted to a worker). Without it each worker fetched and compiled its own (issue 29).
import type { WorkerRuntimeConfig } from './contracts.ts';

const compiled = new Map<string, Promise<WebAssembly.Module | undefined>>();

async function compile(url: string): Promise<WebAssembly.Module | undefined> {
  try {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) return undefined;
    // Streaming compiles while the bytes arrive; it needs the application/wasm type, which not every host sends.
    return response.headers.get('content-type')?.startsWith('application/wasm')
      ? await WebAssembly.compileStreaming(response)
      : await WebAssembly.compile(await response.arrayBuffer());
  } catch {
    return undefined;
  }
}

/**
 * The page's compiled runtime for `url`, or undefined where the page cannot compile it (a CSP
 * without 'wasm-unsafe-eval', a failed fetch): then each worker loads the runtime itself, as
 * before, and reports its own error if that fails too. A failure is not kept: a later guard tries again.
 */
export function compiledRuntime(url: string): Promise<WebAssembly.Module | undefined> {
  let module = compiled.get(url);
  if (!module) {
    module = compile(url);
    compiled.set(url, module);
    void module.then((m) => {
      if (!m) compiled.delete(url);
    });
  }
  return module;
}

/** The worker's runtime settings with the page's compiled ORT module, when it has one. */
export async function withCompiledRuntime(runtime: WorkerRuntimeConfig): Promise<WorkerRuntimeConfig> {
  const ortModule = await compiledRuntime(runtime.ortWasm.wasm);
  return ortModule ? { ...runtime, ortModule } : runtime;
}
