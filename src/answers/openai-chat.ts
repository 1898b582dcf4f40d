// OpenAI-compatible chat completions as the guard reads them: a request recognised by its
// shape (vLLM and llama.cpp take a body without `model`), every image of the conversation,
// and each choice's answer gathered field by field from whole messages or streamed deltas.
import { DataUrlBytes } from '../protect/request-body.ts';
import { type AnswerFields, emptyAnswer } from './answer-view.ts';

/** A content part as clients send it. */
export interface ChatPart {
  type?: string;
  text?: string;
  refusal?: string;
  /** OpenAI's object form, or the plain string some clients send (a large data: URL of a body read as bytes stays bytes). */
  image_url?: { url?: ImageUrlValue } | ImageUrlValue;
}

/** An image URL in a request: a string, or a large data: URL as the body's bytes. */
export type ImageUrlValue = string | DataUrlBytes;

export interface ChatRequestMessage {
  role: string;
  content?: string | ChatPart[] | null;
}

export interface ChatBody {
  model?: string;
  stream?: boolean;
  /** How many answers (choices) to generate. */
  n?: number;
  messages: ChatRequestMessage[];
}

/** A tool call as sent whole (message) or in pieces (delta, by `index`). */
export interface ToolCall {
  index?: number;
  function?: { name?: string; arguments?: string };
}

/** A choice's message or delta: every field a client may show. */
export interface ChatMessage {
  role?: string;
  content?: string | ChatPart[] | null;
  refusal?: string | null;
  /** DeepSeek, vLLM and others. */
  reasoning_content?: string | null;
  /** OpenRouter, Ollama's OpenAI endpoint and others. */
  reasoning?: string | null;
  reasoning_details?: { text?: string; summary?: string }[];
  tool_calls?: ToolCall[];
  /** The legacy single function call. */
  function_call?: { name?: string; arguments?: string };
}

export interface ChatChoice {
  index?: number;
  delta?: ChatMessage;
  message?: ChatMessage;
  finish_reason?: string | null;
}

export interface ChatChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  system_fingerprint?: string;
  choices?: ChatChoice[];
  usage?: unknown;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const str = (x: unknown): string => (typeof x === 'string' ? x : '');

/** The chat body, when the JSON has the shape of a chat request: a non-empty `messages` list of objects with a string `role`. */
export function chatBody(json: unknown): ChatBody | null {
  if (!isObject(json) || !Array.isArray(json.messages) || json.messages.length === 0) return null;
  return json.messages.every((m) => isObject(m) && typeof m.role === 'string') ? (json as unknown as ChatBody) : null;
}

const partsOf = (content: ChatRequestMessage['content']): ChatPart[] =>
  typeof content === 'string' ? [{ type: 'text', text: content }] : Array.isArray(content) ? content.filter(isObject) : [];

const isUrl = (x: unknown): x is ImageUrlValue => typeof x === 'string' || x instanceof DataUrlBytes;

const imageUrlOf = (part: ChatPart): ImageUrlValue | null => {
  if (part.type !== 'image_url' && part.image_url === undefined) return null;
  return isUrl(part.image_url) ? part.image_url : isObject(part.image_url) && isUrl(part.image_url.url) ? part.image_url.url : null;
};

const textOf = (content: ChatRequestMessage['content']) =>
  partsOf(content)
    .filter((p) => p.type === 'text' || (p.type === undefined && typeof p.text === 'string'))
    .map((p) => str(p.text))
    .join('\n');

/** Every image of the conversation, from every message (the answer may refer to any), the last user turn's text, the system prompt. */
export function conversation(body: ChatBody): { images: ImageUrlValue[]; prompt: string; system?: string } {
  const images = body.messages.flatMap((m) => partsOf(m.content).map(imageUrlOf)).filter((u) => u !== null);
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  const system = body.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).filter(Boolean).join('\n');
  return { images, prompt: textOf(user?.content ?? null), ...(system ? { system } : {}) };
}

/** One choice's answer as it came, field by field (pieces of a stream joined; tool calls by index). */
export class ChoiceAnswer {
  readonly #fields: AnswerFields = emptyAnswer();
  readonly #calls = new Map<number, { name: string; arguments: string }>();

  add(message: ChatMessage | undefined): void {
    if (!isObject(message)) return;
    const { reasoning, text, refusal } = this.#fields;
    reasoning.push(str(message.reasoning_content), str(message.reasoning));
    for (const detail of Array.isArray(message.reasoning_details) ? message.reasoning_details : []) reasoning.push(str(detail?.text), str(detail?.summary));
    refusal.push(str(message.refusal));
    if (typeof message.content === 'string') text.push(message.content);
    for (const part of partsOf(Array.isArray(message.content) ? message.content : null)) {
      text.push(str(part.text));
      refusal.push(str(part.refusal));
    }
    const calls = [...(Array.isArray(message.tool_calls) ? message.tool_calls : []), ...(message.function_call ? [{ index: -1, function: message.function_call }] : [])];
    calls.forEach((call, i) => {
      const at = call?.index ?? i;
      const seen = this.#calls.get(at) ?? { name: '', arguments: '' };
      this.#calls.set(at, { name: seen.name + str(call?.function?.name), arguments: seen.arguments + str(call?.function?.arguments) });
    });
  }

  /** The answer's fields (tool calls in index order). */
  get fields(): AnswerFields {
    return { ...this.#fields, toolCalls: [...this.#calls.entries()].sort(([a], [b]) => a - b).map(([, c]) => c) };
  }
}
