import * as vlmGuard from '/vendor/vlm-guard/index.js';
import * as aiSdk from '/vendor/vlm-guard/ai-sdk.js';

globalThis.vlmGuard = vlmGuard;
globalThis.vlmGuardAiSdk = aiSdk;
globalThis.harnessReady = true;
