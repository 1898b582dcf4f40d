// The AI SDK as an app uses it — the real `ai` package and @ai-sdk/openai-compatible —
// with vlm-guard's middleware, put on window for the AI SDK tests.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText, wrapLanguageModel } from 'ai';
import * as vlmGuard from '../src/index.ts';
import { vlmGuardMiddleware } from '../src/ai-sdk/index.ts';

declare global {
  interface Window {
    aiSdk: { createOpenAICompatible: typeof createOpenAICompatible; generateText: typeof generateText; streamText: typeof streamText; wrapLanguageModel: typeof wrapLanguageModel };
    vlmGuard: typeof vlmGuard;
    vlmGuardMiddleware: typeof vlmGuardMiddleware;
    harnessReady: boolean;
  }
}

window.aiSdk = { createOpenAICompatible, generateText, streamText, wrapLanguageModel };
window.vlmGuard = vlmGuard;
window.vlmGuardMiddleware = vlmGuardMiddleware;
window.harnessReady = true;
