// Test harness: puts the library (and transformers.js for parity checks) on window.
import * as transformers from '@huggingface/transformers';
import * as vlmGuard from '../src/index.ts';

declare global {
  interface Window {
    vlmGuard: typeof vlmGuard;
    transformers: typeof transformers;
    harnessReady: boolean;
  }
}

window.vlmGuard = vlmGuard;
window.transformers = transformers;
window.harnessReady = true;
