// Test harness: puts the library (and, for parity checks, transformers.js and the
// CLIP preprocessing step the worker uses) on window.
import * as transformers from '@huggingface/transformers';
import { WorkerHost } from '../src/runtime/worker-host.ts';
import { decodeImage } from '../src/images/image-input.ts';
import * as vlmGuard from '../src/index.ts';
import { clipPixelValues } from '../workers/clip-preprocess.ts';

declare global {
  interface Window {
    vlmGuard: typeof vlmGuard;
    transformers: typeof transformers;
    internals: {
      decodeImage: typeof decodeImage;
      clipPixelValues: typeof clipPixelValues;
      WorkerHost: typeof WorkerHost;
      spawnCrashingWorker: () => Worker;
    };
    harnessReady: boolean;
  }
}

window.vlmGuard = vlmGuard;
window.transformers = transformers;
window.internals = {
  decodeImage,
  clipPixelValues,
  WorkerHost,
  spawnCrashingWorker: () => new Worker(new URL('./fixtures/crashing.worker.ts', import.meta.url), { type: 'module' }),
};
window.harnessReady = true;
