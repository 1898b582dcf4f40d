// A chat-completion SSE response as the answer gate reads it: one unit per event (its
// bytes, released to the app unchanged; the text its delta adds: the gate keeps what it
// needs); the guard may append its own events (an aligned continuation, its note).
import { judgedText } from '../answers/answer-view.ts';
import { type ChatChunk, ChoiceAnswer } from '../answers/openai-chat.ts';
import { AnswerRelay } from '../respond/answer-relay.ts';
import type { AnswerUnit } from '../respond/respond.ts';
import { SseEventSplitter, sseMessages } from './sse-events.ts';

const encoder = new TextEncoder();

export class SseAnswer extends AnswerRelay<Uint8Array, Uint8Array> {
  readonly #splitter = new SseEventSplitter();
  readonly #messagesOf = sseMessages();
  /** The first chunk's id, model and creation time: what the aligned events carry. */
  #first: ChatChunk | null = null;

  /** `response`: the upstream response, awaited only when the units are read; `upstream` stops its request. */
  constructor(response: Promise<Response>, upstream: AbortController) {
    super(
      response.then((r) => r.body ?? new ReadableStream<Uint8Array>({ start: (c) => c.close() })),
      () => upstream.abort(),
    );
  }

  /** Appends the guard's own events (the aligned continuation, the note), each a chunk in the stream's shape. */
  append(chunks: object[], done: boolean): void {
    const first = this.#first ?? {};
    const base = { id: first.id, object: 'chat.completion.chunk', created: first.created, model: first.model };
    this.enqueue(encoder.encode(chunks.map((chunk) => `data: ${JSON.stringify({ ...base, ...chunk })}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : '')));
  }

  protected forward(chunk: Uint8Array): void {
    const held = this.#splitter.flush(); // the start of an event the units had not completed
    if (held) this.enqueue(held);
    this.enqueue(chunk);
  }

  protected unitsOf(chunk: Uint8Array | null): AnswerUnit[] {
    // An event cut off before its blank line is not dispatched by an EventSource reader: it adds no text.
    const events = chunk ? this.#splitter.push(chunk) : [this.#splitter.flush()].filter((e): e is Uint8Array => e !== null);
    return events.map((event) => this.#unit(event, this.#messagesOf(event).map((m) => m.data)));
  }

  #unit(bytes: Uint8Array, data: string[]): AnswerUnit {
    const delta = new ChoiceAnswer();
    let toolCall = false;
    for (const item of data) {
      if (item === '[DONE]') continue;
      let chunk: ChatChunk;
      try {
        chunk = JSON.parse(item) as ChatChunk;
      } catch {
        // Not JSON: a client would fail on it; judged as text all the same.
        delta.add({ content: item });
        continue;
      }
      this.#first ??= chunk;
      for (const choice of chunk.choices ?? []) {
        const message = choice.delta ?? choice.message;
        toolCall ||= Boolean(message?.tool_calls?.length || message?.function_call);
        delta.add(message);
      }
    }
    return { text: judgedText(delta.fields), release: () => this.enqueue(bytes), ...(toolCall ? { whole: true } : {}) };
  }
}
