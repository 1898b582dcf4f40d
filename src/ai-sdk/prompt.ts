// What the guard reads from an AI SDK call: the images of the conversation (the answer may
// refer to any), the last user turn's text and the system prompt; and what it judges of an
// answer: its text and every tool call, as `name(input)`.
import type { LanguageModelV3CallOptions, LanguageModelV3Content, LanguageModelV3FilePart, LanguageModelV3Prompt } from '@ai-sdk/provider';
import type { ImageInput } from '../images/image-input.ts';

export interface PromptView {
  images: ImageInput[];
  prompt: string;
  system?: string;
}

/** An image part as the guard takes it: bytes as a Blob, base64 as a data URL, a URL as its address. */
function imageOf(part: LanguageModelV3FilePart): ImageInput {
  const { data, mediaType } = part;
  if (data instanceof URL) return data.href;
  if (typeof data === 'string') return /^(data|https?|blob):/i.test(data) ? data : `data:${mediaType};base64,${data}`;
  return new Blob([data as Uint8Array<ArrayBuffer>], { type: mediaType });
}

const isImage = (part: { type: string; mediaType?: string }): part is LanguageModelV3FilePart => part.type === 'file' && (part.mediaType ?? '').startsWith('image/');

export function promptView(prompt: LanguageModelV3Prompt): PromptView {
  const users = prompt.filter((m) => m.role === 'user');
  const images = users.flatMap((m) => m.content.filter(isImage).map(imageOf));
  const last = users.at(-1);
  const text = (last?.content ?? []).flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  const system = prompt.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  return { images, prompt: text, ...(system ? { system } : {}) };
}

/** Every token the app would receive: the text, then each tool call as `name(input)`. */
export function judgedText(content: readonly LanguageModelV3Content[]): string {
  const parts = content.flatMap((c) => (c.type === 'text' ? [c.text] : c.type === 'tool-call' ? [`${c.toolName}(${c.input})`] : []));
  return parts.filter((p) => p !== '').join('\n');
}

/** The call with an assistant turn that starts with `prefix` appended (the model continues it). */
export function withAssistantPrefix(params: LanguageModelV3CallOptions, prefix: string): LanguageModelV3CallOptions {
  return { ...params, prompt: [...params.prompt, { role: 'assistant', content: [{ type: 'text', text: prefix }] }] };
}

/** The call with a system note put first (alignment where the provider cannot continue a message). */
export function withSystemNote(params: LanguageModelV3CallOptions, note: string): LanguageModelV3CallOptions {
  return { ...params, prompt: [{ role: 'system', content: note }, ...params.prompt] };
}
