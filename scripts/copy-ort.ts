// Copies ORT's WASM runtime into public/ort/ so the page serves it from its own
// origin (transformers.js would otherwise fetch it from a CDN and fail offline).
// Only the asyncify build is needed: it serves both the wasm and webgpu providers.
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ORT_WASM_FILES } from '../src/runtime/defaults.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web')); // …/onnxruntime-web/dist
const target = join(root, 'public', 'ort');
mkdirSync(target, { recursive: true });
for (const file of Object.values(ORT_WASM_FILES)) copyFileSync(join(ortDist, file), join(target, file));
console.log(`ort: copied ${Object.values(ORT_WASM_FILES).join(', ')} to public/ort/`);
