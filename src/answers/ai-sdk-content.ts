// AI SDK calls as the guard reads them: the images of every message of the prompt, the last
// user turn's text and the system prompt; an answer's fields from its content (generate)
// or its stream parts (stream) — text, reasoning, tool calls and provider-run tool results.
import type { LanguageModelV3Content, LanguageModelV3FilePart, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { ImageInput } from '../images/image-input.ts';
import { type AnswerFields, emptyAnswer } from './answer-view.ts';

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

/** The image parts of the conversation (user and assistant turns), as they are. */
const imageParts = (prompt: LanguageModelV3Prompt): LanguageModelV3FilePart[] =>
  prompt.flatMap((m) => (m.role === 'user' || m.role === 'assistant' ? (m.content as { type: string }[]).filter(isImage) : []));

/** Whether the call shows an image, without copying any (the guard's work waits until the app's request is sent). */
export const showsImage = (prompt: LanguageModelV3Prompt): boolean => imageParts(prompt).length > 0;

/** Every image of the conversation (user and assistant turns), the last user turn's text, the system prompt. */
export function promptView(prompt: LanguageModelV3Prompt): PromptView {
  const images = imageParts(prompt).map(imageOf);
  const last = prompt.filter((m) => m.role === 'user').at(-1);
  const text = (last?.content ?? []).flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  const system = prompt.filter((m) => m.role === 'system').map((m) => m.content).join('\n');
  return { images, prompt: text, ...(system ? { system } : {}) };
}

const toolResultText = (result: unknown) => (typeof result === 'string' ? result : JSON.stringify(result) ?? '');

/** A generated answer's fields: text, reasoning, tool calls, provider-run tool results. */
export function contentFields(content: readonly LanguageModelV3Content[]): AnswerFields {
  const fields = emptyAnswer();
  for (const part of content) {
    if (part.type === 'text') fields.text.push(part.text);
    else if (part.type === 'reasoning') fields.reasoning.push(part.text);
    else if (part.type === 'tool-call') fields.toolCalls.push({ name: part.toolName, arguments: part.input });
    else if (part.type === 'tool-result') fields.toolCalls.push({ name: part.toolName, arguments: toolResultText(part.result) });
  }
  return fields;
}

/**
 * A stream's answer as the app would read it, from its parts so far: text and reasoning
 * deltas, whole tool calls, tool input streamed in pieces (a tool call that never arrives
 * whole is still judged), provider-run tool results.
 */
export class StreamedAnswer {
  readonly #fields = emptyAnswer();
  /** Tool inputs streamed in pieces, by id, until their whole tool-call part arrives. */
  readonly #inputs = new Map<string, { name: string; arguments: string }>();

  add(part: LanguageModelV3StreamPart): void {
    const { text, reasoning, toolCalls } = this.#fields;
    if (part.type === 'text-delta') text.push(part.delta);
    else if (part.type === 'reasoning-delta') reasoning.push(part.delta);
    else if (part.type === 'tool-input-start') this.#inputs.set(part.id, { name: part.toolName, arguments: '' });
    else if (part.type === 'tool-input-delta') {
      const input = this.#inputs.get(part.id) ?? { name: '', arguments: '' };
      this.#inputs.set(part.id, { ...input, arguments: input.arguments + part.delta });
    } else if (part.type === 'tool-call') {
      this.#inputs.delete(part.toolCallId);
      toolCalls.push({ name: part.toolName, arguments: part.input });
    } else if (part.type === 'tool-result') toolCalls.push({ name: part.toolName, arguments: toolResultText(part.result) });
  }

  get fields(): AnswerFields {
    return { ...this.#fields, toolCalls: [...this.#fields.toolCalls, ...this.#inputs.values()] };
  }
}
