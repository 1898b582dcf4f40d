// Fetch protection: wraps window.fetch so OpenAI-compatible chat-completion calls the
// page already makes are evaluated (with the image from the request) and, when ETA's
// rule says so, answered with the aligned text — produced through the same endpoint —
// in the same wire format (JSON or SSE). Other requests pass through untouched.
import { judgedText } from '../answers/answer-view.ts';
import { type ChatBody, type ChatChoice, type ChatChunk, type ChatMessage, ChoiceAnswer, chatBody, conversation } from '../answers/openai-chat.ts';
import { yieldToPage } from '../concurrency/yield-to-page.ts';
import { GuardError, isGuardError } from '../errors.ts';
import type { RemoteCapabilities } from '../generators/remote/openai-generator.ts';
import { RemoteGenerator } from '../generators/remote/openai-generator.ts';
import { readSseJson } from '../generators/remote/sse.ts';
import type { DecisionRule } from '../eta/policy.ts';
import type { Guard, GuardRespondOptions, GuardRespondResult } from '../guard.ts';
import type { ImageInput } from '../images/image-input.ts';
import type { RespondInput } from '../respond/respond.ts';
import { type BodyContent, parseJsonSparing, readBody, requestImage } from './request-body.ts';
import { SseAnswer } from './sse-answer.ts';

export interface ProtectOptions {
  /** Which requests to guard: a URL substring, a RegExp, or a predicate (default: `/chat/completions`). */
  match?: string | RegExp | ((url: string) => boolean);
  /** Alignment for unsafe answers (default: the guard's — shallow, or deep under the eta-paper preset). */
  mode?: 'shallow' | 'deep';
  /** When to align (default: the guard's policy.rule): `eta` both unsafe, `response` the answer alone. */
  rule?: DecisionRule;
  /** How the endpoint continues a partial assistant message (see RemoteGenerator). */
  capabilities?: Partial<RemoteCapabilities>;
  /** Called with every decision, per answer (the one-tag script turns it into `vlmguard:decision`). */
  onDecision?: (result: GuardRespondResult & { aligned: boolean; url: string }) => void;
  onError?: (error: unknown) => void;
}

export interface Protection {
  /** Restores the fetch that was there before. */
  restore(): void;
}

/** Each image's CLIP score and verdict, for the note. */
const imagesNote = (result: GuardRespondResult): GuardNote['images'] => result.images.map((i) => ({ score: i.image.score, verdict: i.verdict }));

const isEventStream = (response: Response) => response.ok && /text\/event-stream/i.test(response.headers.get('content-type') ?? '');

const matcher = (match: ProtectOptions['match']): ((url: string) => boolean) => {
  if (typeof match === 'function') return match;
  if (match instanceof RegExp) return (url) => match.test(url);
  const needle = match ?? '/chat/completions';
  return (url) => url.includes(needle);
};

/** What the page is sending: the absolute URL, the method, the body (its text or bytes), the headers, the app's signal. */
interface Outgoing {
  url: string;
  method: string;
  content: BodyContent;
  /** The bytes of a body that reading used up (a stream), sent in its place. */
  resend?: Uint8Array<ArrayBuffer>;
  headers: Headers;
  signal?: AbortSignal;
}

async function outgoing(input: RequestInfo | URL, init: RequestInit | undefined, base: string): Promise<Outgoing> {
  if (input instanceof Request) {
    const request = init ? new Request(input, init) : input;
    const content = new Uint8Array(await request.clone().arrayBuffer());
    return { url: request.url, method: request.method, content, headers: request.headers, signal: request.signal };
  }
  return {
    url: new URL(String(input), base).href,
    method: (init?.method ?? 'GET').toUpperCase(),
    ...(await readBody(init?.body)),
    headers: new Headers(init?.headers),
    ...(init?.signal ? { signal: init.signal } : {}),
  };
}

/** The chat body, when the content is JSON in the shape of a chat request. */
async function chatBodyOf(content: BodyContent): Promise<ChatBody | null> {
  if (content === null) return null;
  try {
    return chatBody(await parseJsonSparing(content));
  } catch {
    return null;
  }
}

/** Headers for the alignment requests: the app's, less those of its own body. */
function alignmentHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    if (key !== 'content-type' && key !== 'content-length') out[key] = value;
  });
  return out;
}

/** The answers in a response body, per choice (every choice, even one with no text). */
async function answersOf(bytes: Uint8Array<ArrayBuffer>, url: string, stream: boolean): Promise<{ chunks: ChatChunk[]; answers: Map<number, ChoiceAnswer> }> {
  const answers = new Map<number, ChoiceAnswer>();
  const add = (choice: ChatChoice, message: ChatMessage | undefined) => {
    const index = choice.index ?? 0;
    const answer = answers.get(index) ?? new ChoiceAnswer();
    answers.set(index, answer);
    answer.add(message);
  };
  if (!stream) {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as ChatChunk;
    for (const choice of json.choices ?? []) add(choice, choice.message);
    return { chunks: [json], answers };
  }
  const chunks: ChatChunk[] = [];
  for await (const chunk of readSseJson<ChatChunk>(new Response(bytes), { url, idleTimeoutMs: 60_000 })) {
    chunks.push(chunk);
    for (const choice of chunk.choices ?? []) add(choice, choice.delta);
  }
  return { chunks, answers };
}

interface GuardNote {
  decision: 'pass' | 'align';
  aligned: boolean;
  /** Per answer (choice): whether it was aligned. */
  choices: { index: number; decision: 'pass' | 'align'; aligned: boolean }[];
  /** Per image of the conversation: its CLIP score and verdict (the most unsafe decided). */
  images: { score: number | null; verdict: string }[];
}

/**
 * The aligned response in the endpoint's shape: the same id, model and usage; each
 * aligned choice is the aligned text alone (its tool calls dropped: they were part of
 * what was judged unsafe), the others as they were; `vlm_guard` says what changed.
 */
function alignedResponse(original: Response, chunks: ChatChunk[], texts: Map<number, string>, stream: boolean, note: GuardNote): Response {
  const headers = new Headers(original.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  if (!stream) {
    const json = structuredClone(chunks[0]!);
    for (const choice of json.choices ?? []) {
      const c = note.choices.find((n) => n.index === (choice.index ?? 0));
      if (!c?.aligned) continue;
      choice.message = { role: 'assistant', content: texts.get(c.index)! };
      choice.finish_reason = 'stop';
    }
    return new Response(JSON.stringify({ ...json, vlm_guard: note }), { status: original.status, statusText: original.statusText, headers });
  }
  const first = chunks[0] ?? {};
  const base = { id: first.id, object: 'chat.completion.chunk', created: first.created, model: first.model, ...(first.system_fingerprint ? { system_fingerprint: first.system_fingerprint } : {}) };
  const aligned = new Set(note.choices.filter((c) => c.aligned).map((c) => c.index));
  const usage = chunks.map((c) => c.usage).filter((u) => u !== undefined && u !== null).at(-1);
  // Choices that stand go out as the server sent them (tool calls included); aligned ones as one delta and a stop.
  const kept = chunks.flatMap((chunk) => {
    const choices = (chunk.choices ?? []).filter((c) => !aligned.has(c.index ?? 0));
    return choices.length ? [{ ...chunk, choices, usage: undefined }] : [];
  });
  const events = [
    ...kept,
    ...[...aligned].sort((a, b) => a - b).flatMap((index) => [
      { ...base, choices: [{ index, delta: { role: 'assistant', content: texts.get(index)! }, finish_reason: null }] },
      { ...base, choices: [{ index, delta: {}, finish_reason: 'stop' }] },
    ]),
    { ...base, choices: [], ...(usage ? { usage } : {}), vlm_guard: note },
  ];
  const sse = `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`;
  return new Response(sse, { status: original.status, statusText: original.statusText, headers });
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
    const page = globalThis.document?.baseURI ?? globalThis.location.href;
    const rawUrl = input instanceof Request ? input.url : String(input);
    if (!matches(new URL(rawUrl, page).href) && !matches(rawUrl)) return originalFetch(input, init);
    let out: Outgoing;
    try {
      out = await outgoing(input, init, page);
    } catch (error) {
      // A call to a chat endpoint whose body cannot be read is not passed unjudged.
      throw failed(new GuardError('INPUT_INVALID', `vlm-guard could not read the request to ${rawUrl}: ${String(error)}`, { url: rawUrl }, { cause: error }));
    }
    const body = out.method === 'POST' ? await chatBodyOf(out.content) : null;
    const talk = body ? conversation(body) : null;
    if (!body || !talk || talk.images.length === 0) return originalFetch(input, init);

    const guard = await guardOrPromise;
    // The endpoint that produced the answer also aligns it, when ETA says so.
    const generator = new RemoteGenerator({
      baseUrl: out.url.replace(/\/chat\/completions.*$/, ''),
      ...(typeof body.model === 'string' && body.model ? { model: body.model } : {}),
      headers: alignmentHeaders(out.headers),
      fetch: originalFetch,
      ...(options.capabilities ? { capabilities: options.capabilities } : {}),
    });
    const call = { generator, ...(options.mode ? { mode: options.mode } : {}), ...(options.rule ? { rule: options.rule } : {}), ...(out.signal ? { signal: out.signal } : {}) };
    // The request goes out as the page made it (a read stream body is re-sent as the bytes
    // read), with a signal of ours beside the app's: a withheld sentence stops the upstream.
    const upstream = new AbortController();
    const signal = out.signal ? AbortSignal.any([out.signal, upstream.signal]) : upstream.signal;
    const sent = originalFetch(input instanceof Request ? input : out.url, { ...init, ...(out.resend ? { body: out.resend } : {}), signal });
    const guardFailure = (error: unknown) => {
      // The app's own abort reads as fetch reports one: an AbortError.
      if (out.signal?.aborted || isGuardError(error, 'ABORTED')) return abortError(out.signal);
      // Never hand back an answer that was not judged: the app gets a typed failure instead.
      return failed(error instanceof GuardError ? error : new GuardError('INFERENCE_FAILED', `vlm-guard could not guard the answer: ${String(error)}`, {}, { cause: error }));
    };
    sent.catch(() => undefined); // its failure is the app's, below
    // The app's send (the browser copies its body: ~45 ms for a 1 MB image with DevTools open)
    // stays a task of its own: the guard's work starts in the next one, never lengthening it.
    await yieldToPage();
    // Images the body held as bytes are decoded while the request is on its way.
    let images: ImageInput[];
    try {
      images = await Promise.all(talk.images.map((url) => requestImage(url, out.signal)));
    } catch (error) {
      upstream.abort();
      throw guardFailure(error);
    }
    const request = { image: images, prompt: talk.prompt, ...(talk.system ? { system: talk.system } : {}) };
    if (body.stream === true && !(typeof body.n === 'number' && body.n > 1)) {
      // One streamed answer: the guard starts now (the image checks with the request) and
      // the gate hands the server's events to the app as they pass.
      // The gate takes the body only when it is the event stream asked for: an error status or a
      // JSON answer stays whole for the path below, and for the app.
      const eventStream = sent.then((response) => (isEventStream(response) ? response : Promise.reject(new Error('not an event stream'))));
      eventStream.catch(() => undefined); // the stream path is left below
      const answer = new SseAnswer(eventStream, upstream);
      const stop = new AbortController();
      const judged = guard.respond(request, {
        ...call,
        signal: out.signal ? AbortSignal.any([out.signal, stop.signal]) : stop.signal,
        answer,
        onToken: (delta, { phase }) => {
          if (phase === 'aligned') answer.append([{ choices: [{ index: 0, delta: { role: 'assistant', content: delta }, finish_reason: null }] }], false);
        },
      });
      const response = await sent.catch((error: unknown) => {
        stop.abort();
        judged.catch(() => undefined);
        throw error;
      });
      if (isEventStream(response)) {
        judged.then(
          (result) => {
            const aligned = result.decision === 'align';
            options.onDecision?.({ ...result, aligned, url: out.url });
            if (aligned) {
              const note: GuardNote = { decision: 'align', aligned: true, choices: [{ index: 0, decision: 'align', aligned: true }], images: imagesNote(result) };
              answer.append([{ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }, { choices: [], vlm_guard: note }], true);
            }
            answer.close();
          },
          (error: unknown) => answer.fail(guardFailure(error)),
        );
        const headers = new Headers(response.headers);
        headers.delete('content-length');
        headers.delete('content-encoding');
        return new Response(answer.readable, { status: response.status, statusText: response.statusText, headers });
      }
      // Not a stream after all (an error status, a JSON answer): judged whole below.
      stop.abort();
      judged.catch(() => undefined);
    }
    // Judged whole (JSON, several choices): the first answer's judgement — and with it the image
    // checks — starts with the request; the answer joins it when the response is in.
    const stop = new AbortController();
    const whole = sent.then<WholeResponse | { response: Response; answers: null }>((response) => (response.ok ? readWhole(response, body, out.url) : { response, answers: null }));
    const firstAnswer = whole.then(({ answers }) => (answers ? judgedText(([...answers.values()][0] ?? new ChoiceAnswer()).fields) : Promise.reject(abortError(undefined))));
    const first = guard.respond(request, { ...call, signal: out.signal ? AbortSignal.any([out.signal, stop.signal]) : stop.signal, answer: firstAnswer });
    first.catch(() => undefined); // awaited below when there is an answer
    try {
      const read = await whole;
      if (!read.answers) {
        stop.abort();
        return read.response;
      }
      return await judgeWhole(guard, read, first, request, call, out.url);
    } catch (error) {
      throw guardFailure(error);
    } finally {
      stop.abort(); // a first judgement that no answer needed (none in the response) stops here
    }
  };

  /** A whole response read: its bytes, chunks (one for JSON) and answers per choice. */
  interface WholeResponse {
    response: Response;
    stream: boolean;
    bytes: Uint8Array<ArrayBuffer>;
    chunks: ChatChunk[];
    answers: Map<number, ChoiceAnswer>;
  }

  async function readWhole(response: Response, body: ChatBody, url: string): Promise<WholeResponse> {
    // SSE by what the server sent (a server may stream without being asked), else by the request.
    const type = response.headers.get('content-type') ?? '';
    const stream = /text\/event-stream/i.test(type) || (body.stream === true && !/json/i.test(type));
    const bytes = new Uint8Array(await response.arrayBuffer());
    return { response, stream, bytes, ...(await answersOf(bytes, url, stream)) };
  }

  /** A whole response (JSON, or SSE with several choices): every answer judged once (the first already under way), the response rebuilt when one is aligned. */
  async function judgeWhole(guard: Guard, whole: WholeResponse, first: Promise<GuardRespondResult>, request: RespondInput, call: GuardRespondOptions, url: string): Promise<Response> {
    const { response, stream, bytes, chunks, answers } = whole;
    const texts = new Map<number, string>();
    // Every answer (reasoning, text, refusal, tool calls) with every image, judged once:
    // respond with the answer given evaluates it and aligns it when ETA says so.
    const choices: GuardNote['choices'] = [];
    let images: GuardNote['images'] = [];
    for (const [n, [index, answer]] of [...answers].entries()) {
      const result = n === 0 ? await first : await guard.respond(request, { ...call, answer: judgedText(answer.fields) });
      images = imagesNote(result);
      const aligned = result.decision === 'align';
      options.onDecision?.({ ...result, aligned, url });
      if (aligned) texts.set(index, result.text);
      choices.push({ index, decision: result.decision, aligned });
    }
    const note: GuardNote = { decision: choices.some((c) => c.decision === 'align') ? 'align' : 'pass', aligned: choices.some((c) => c.aligned), choices, images };
    if (!note.aligned) {
      // Nothing changed: the app gets the server's bytes as they came.
      return new Response(bytes, { status: response.status, statusText: response.statusText, headers: response.headers });
    }
    return alignedResponse(response, chunks, texts, stream, note);
  }

  /** What fetch throws on abort: the signal's reason when it is an AbortError DOMException, else a new one. */
  function abortError(signal: AbortSignal | undefined): DOMException {
    const reason: unknown = signal?.reason;
    return reason instanceof DOMException && reason.name === 'AbortError' ? reason : new DOMException('The operation was aborted.', 'AbortError');
  }

  function failed(error: GuardError): GuardError {
    options.onError?.(error);
    return error;
  }

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
