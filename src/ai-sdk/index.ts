// vlm-guard/ai-sdk: the guard as an AI SDK language-model middleware.
export { vlmGuardMiddleware, SAFETY_NOTE } from './middleware.ts';
export type { VlmGuardMiddlewareOptions, VlmGuardDecision } from './middleware.ts';
