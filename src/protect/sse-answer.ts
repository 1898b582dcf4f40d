// A chat-completion SSE response as the answer gate reads it: one unit per event (its
// bytes, released to the app unchanged; the text its delta adds), the answer gathered
// as it goes, and the stream the app reads — the released events, then whatever the
// guard appends (an aligned continuation, its note) — closed when the guard is done.
import { judgedText } from '../answers/answer-view.ts';
import { type ChatChunk, ChoiceAnswer } from '../answers/openai-chat.ts';
import type { AnswerStream, AnswerUnit } from '../respond/respond.ts';
import { SseEventSplitter, sseMessages } from './sse-events.ts';

const encoder = new TextEncoder();

export class SseAnswer implements AnswerStream {
  readonly #response: Promise<Response>;
  readonly #upstream: AbortController;
  readonly #answer = new ChoiceAnswer();
  #out: ReadableStreamDefaultController<Uint8Array> | null = null;
  /** The first chunk's id, model and creation time: what the aligned events carry. */
  #first: ChatChunk | null = null;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** The app's stream: the released events, then what the guard appends. */
  readonly readable: ReadableStream<Uint8Array>;

  /** `response`: the upstream response, awaited only when the units are read; `upstream` stops it. */
  constructor(response: Promise<Response>, upstream: AbortController) {
    this.#response = response;
    this.#upstream = upstream;
    this.readable = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#out = controller;
      },
      cancel: () => upstream.abort(), // the app stopped reading: stop paying for tokens
    });
  }

  get units(): AsyncIterable<AnswerUnit> {
    return this.#read();
  }

  text(): string {
    return judgedText(this.#answer.fields);
  }

  abort(): void {
    this.#upstream.abort();
    // A body that does not end on abort (a service worker's, a test's) must not keep the reader waiting.
    this.#reader?.cancel().catch(() => undefined);
  }

  /** Appends the guard's own events (the aligned continuation, the note), each a chunk in the stream's shape. */
  append(chunks: object[], done: boolean): void {
    const first = this.#first ?? {};
    const base = { id: first.id, object: 'chat.completion.chunk', created: first.created, model: first.model };
    const events = chunks.map((chunk) => `data: ${JSON.stringify({ ...base, ...chunk })}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '');
    this.#out?.enqueue(encoder.encode(events));
  }

  close(): void {
    this.#out?.close();
  }

  fail(error: unknown): void {
    this.#out?.error(error);
  }

  async *#read(): AsyncGenerator<AnswerUnit> {
    const response = await this.#response;
    if (!response.body) return;
    const splitter = new SseEventSplitter();
    const messagesOf = sseMessages();
    const reader = response.body.getReader();
    this.#reader = reader;
    let ended = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        ended = done;
        if (done) break;
        for (const event of splitter.push(value)) yield this.#unit(event, messagesOf(event).map((m) => m.data));
      }
      // An event cut off before its blank line is not dispatched by an EventSource reader: it adds no text.
      const rest = splitter.flush();
      if (rest) yield this.#unit(rest, messagesOf(rest).map((m) => m.data));
    } finally {
      // Stopped early (a withheld sentence): the rest is not read.
      if (!ended) await reader.cancel().catch(() => undefined);
      else reader.releaseLock();
    }
  }

  #unit(bytes: Uint8Array, data: string[]): AnswerUnit {
    const delta = new ChoiceAnswer();
    for (const item of data) {
      if (item === '[DONE]') continue;
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(item) as ChatChunk;
      } catch {
        // Not JSON: a client would fail on it; judged as text all the same.
        delta.add({ content: item });
        this.#answer.add({ content: item });
        continue;
      }
      this.#first ??= chunk;
      for (const choice of chunk.choices ?? []) {
        delta.add(choice.delta ?? choice.message);
        this.#answer.add(choice.delta ?? choice.message);
      }
    }
    return { text: judgedText(delta.fields), release: () => this.#out?.enqueue(bytes) };
  }
}
