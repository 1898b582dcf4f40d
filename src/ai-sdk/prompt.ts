// The alignment requests the middleware makes of the app's model: its call with an
// assistant turn to continue, or with a safety note first. (What the guard reads of a call
// and of an answer is src/answers/ai-sdk-content.ts.)
import type { LanguageModelV3CallOptions } from '@ai-sdk/provider';

/** The call with an assistant turn that starts with `prefix` appended (the model continues it). */
export function withAssistantPrefix(params: LanguageModelV3CallOptions, prefix: string): LanguageModelV3CallOptions {
  return { ...params, prompt: [...params.prompt, { role: 'assistant', content: [{ type: 'text', text: prefix }] }] };
}

/** The call with a system note put first (alignment where the provider cannot continue a message). */
export function withSystemNote(params: LanguageModelV3CallOptions, note: string): LanguageModelV3CallOptions {
  return { ...params, prompt: [{ role: 'system', content: note }, ...params.prompt] };
}
