// Fetch protection: wraps window.fetch so OpenAI-compatible chat-completion calls the
// page already makes are evaluated (with the image from the request) and, when ETA's
// rule says so, answered with the aligned text — produced through the same endpoint —
// in the same wire format (JSON or SSE). Other requests pass through untouched.
import { GuardError } from '../errors.ts';
import type { RemoteCapabilities } from '../generators/remote/openai-generator.ts';
import { RemoteGenerator } from '../generators/remote/openai-generator.ts';
import { readSseJson } from '../generators/remote/sse.ts';
import type { Guard, GuardRespondResult } from '../guard.ts';

export interface ProtectOptions {
  /** Which requests to guard: a URL substring, a RegExp, or a predicate (default: `/chat/completions`). */
  match?: string | RegExp | ((url: string) => boolean);
  /** Alignment for unsafe answers (default shallow). */
  mode?: 'shallow' | 'deep';
  /** How the endpoint continues a partial assistant message (see RemoteGenerator). */
  capabilities?: Partial<RemoteCapabilities>;
  /** Called with every decision (the one-tag script turns it into `vlmguard:decision`). */
  onDecision?: (result: GuardRespondResult & { aligned: boolean; url: string }) => void;
  onError?: (error: unknown) => void;
}

export interface Protection {
  /** Restores the fetch that was there before. */
  restore(): void;
}

interface ChatPart {
  type: string;
  text?: string;
  image_url?: { url: string };
}

interface ChatBody {
  model: string;
  stream?: boolean;
  messages: { role: string; content: string | ChatPart[] }[];
}

interface ChatChunk {
  id?: string;
  created?: number;
  model?: string;
  choices?: { index: number; delta?: { content?: string | null }; message?: { content?: string | null }; finish_reason?: string | null }[];
}

const matcher = (match: ProtectOptions['match']): ((url: string) => boolean) => {
  if (typeof match === 'function') return match;
  if (match instanceof RegExp) return (url) => match.test(url);
  const needle = match ?? '/chat/completions';
  return (url) => url.includes(needle);
};

/** The chat body if this is a request we guard: POST JSON with messages and an image. */
function chatRequest(init: RequestInit | undefined): ChatBody | null {
  if ((init?.method ?? 'GET').toUpperCase() !== 'POST' || typeof init?.body !== 'string') return null;
  try {
    const body = JSON.parse(init.body) as ChatBody;
    return Array.isArray(body.messages) && typeof body.model === 'string' ? body : null;
  } catch {
    return null;
  }
}

/** The last user turn's image (image_url part) and text. */
function userTurn(body: ChatBody): { image: string | null; prompt: string; system?: string } {
  const user = [...body.messages].reverse().find((m) => m.role === 'user');
  const parts: ChatPart[] = typeof user?.content === 'string' ? [{ type: 'text', text: user.content }] : (user?.content ?? []);
  const system = body.messages.find((m) => m.role === 'system');
  return {
    image: parts.find((p) => p.type === 'image_url')?.image_url?.url ?? null,
    prompt: parts.filter((p) => p.type === 'text').map((p) => p.text ?? '').join('\n'),
    ...(typeof system?.content === 'string' ? { system: system.content } : {}),
  };
}

function headersOf(init: RequestInit | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => {
    if (key !== 'content-type' && key !== 'content-length') headers[key] = value;
  });
  return headers;
}

/** The answer text of a non-streaming response, or of an SSE stream read to the end. */
async function answerOf(response: Response, url: string, stream: boolean): Promise<{ text: string; first: ChatChunk }> {
  if (!stream) {
    const json = (await response.json()) as ChatChunk;
    return { text: json.choices?.[0]?.message?.content ?? '', first: json };
  }
  let text = '';
  let first: ChatChunk = {};
  for await (const chunk of readSseJson<ChatChunk>(response, { url, idleTimeoutMs: 60_000 })) {
    if (!first.id) first = chunk;
    text += chunk.choices?.[0]?.delta?.content ?? '';
  }
  return { text, first };
}

/** The same wire format as the endpoint's: one JSON completion, or SSE chunks then [DONE]. */
function answerResponse(text: string, original: ChatChunk, body: ChatBody, stream: boolean, guard: object): Response {
  const base = { id: original.id ?? 'chatcmpl-vlm-guard', created: original.created ?? Math.floor(Date.now() / 1000), model: original.model ?? body.model };
  if (!stream) {
    const json = {
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      vlm_guard: guard,
    };
    return new Response(JSON.stringify(json), { status: 200, headers: { 'content-type': 'application/json' } });
  }
  const pieces = text.match(/\s*\S+/g) ?? [];
  const events = [
    ...pieces.map((content, i) => ({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: i === 0 ? { role: 'assistant', content } : { content }, finish_reason: null }] })),
    { ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], vlm_guard: guard },
  ];
  const sse = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
  return new Response(sse, { status: 200, headers: { 'content-type': 'text/event-stream' } });
}

/**
 * Installs the wrapper at once; guarded calls wait for `guard` (a promise is fine, so
 * calls made while the models load are guarded too). If the guard cannot load, guarded
 * calls fail with its error rather than pass unevaluated (fail closed).
 */
export function protectFetch(guardOrPromise: Guard | Promise<Guard>, options: ProtectOptions = {}): Protection {
  // The one-tag loader may already hold the page's fetch (it queues early calls).
  const original = globalThis.__vlmGuardOriginalFetch ?? globalThis.fetch;
  const originalFetch: typeof fetch = (input, init) => original.call(globalThis, input, init);
  const matches = matcher(options.match);

  const guarded: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = typeof input === 'string' || input instanceof URL ? chatRequest(init) : null;
    const turn = body ? userTurn(body) : null;
    if (!body || !turn?.image || !matches(url)) return originalFetch(input, init);

    const guard = await guardOrPromise;
    const response = await originalFetch(input, init);
    if (!response.ok) return response;
    const stream = body.stream === true;
    let answer: { text: string; first: ChatChunk };
    try {
      answer = await answerOf(response, url, stream);
    } catch (error) {
      options.onError?.(error);
      throw error;
    }
    // The endpoint that produced the answer also aligns it, when ETA says so.
    const generator = new RemoteGenerator({
      baseUrl: url.replace(/\/chat\/completions.*$/, ''),
      model: body.model,
      headers: headersOf(init),
      fetch: originalFetch,
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    });
    let result: GuardRespondResult;
    try {
      const input = { image: turn.image, prompt: turn.prompt, ...(turn.system ? { system: turn.system } : {}) };
      result = await guard.respond(input, { answer: answer.text, mode: options.mode ?? 'shallow', generator });
    } catch (error) {
      // Never hand back an answer that was not judged: the app gets a typed failure instead.
      options.onError?.(error);
      throw error instanceof GuardError ? error : new GuardError('INFERENCE_FAILED', `vlm-guard could not guard the answer: ${String(error)}`);
    }
    const aligned = result.text !== answer.text;
    options.onDecision?.({ ...result, aligned, url });
    return answerResponse(result.text, answer.first, body, stream, { decision: result.decision, aligned });
  };

  globalThis.fetch = guarded;
  return {
    restore: () => {
      if (globalThis.fetch === guarded) globalThis.fetch = original;
    },
  };
}

declare global {
  var __vlmGuardOriginalFetch: typeof fetch | undefined;
}
