// What the rest of the library may use of the runtime: the worker contracts, a worker
// host, and where models come from. Generators (the local VLM) go through here, never
// into the runtime's files directly.
export type * from './contracts.ts';
export { RUNTIME_DEFAULTS, ORT_WASM_FILES } from './defaults.ts';
export { WorkerHost } from './worker-host.ts';
export { findModel, type Manifest, type ManifestModel } from './manifest.ts';
export { loadManifest, modelFiles, needsShaderF16, runtimeConfig } from './model-source.ts';
