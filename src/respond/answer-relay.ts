// What fetch protection and the AI SDK middleware share around the gate: the upstream's
// chunks read as answer units (each path says how a chunk becomes units), the stream the
// app reads (the released units, then what the guard appends), and a stop that ends both
// the upstream request and the read (a body that does not end on abort must not keep it).
import type { AnswerStream, AnswerUnit } from './respond.ts';

export abstract class AnswerRelay<In, Out> implements AnswerStream {
  readonly #upstream: Promise<ReadableStream<In>>;
  readonly #stop: () => void;
  #reader: ReadableStreamDefaultReader<In> | null = null;
  #out: ReadableStreamDefaultController<Out> | null = null;
  /** The app's stream: the released units, then what the guard appends. */
  readonly readable: ReadableStream<Out>;

  /** `upstream`: awaited only when the units are read; `stop` aborts its request. */
  constructor(upstream: Promise<ReadableStream<In>>, stop: () => void) {
    this.#upstream = upstream;
    this.#stop = stop;
    this.readable = new ReadableStream<Out>({
      start: (controller) => {
        this.#out = controller;
      },
      cancel: () => this.abort(), // the app stopped reading: stop paying for tokens
    });
  }

  get units(): AsyncIterable<AnswerUnit> {
    return this.#read();
  }

  abstract text(): string;

  /** The units one upstream chunk completes (none until a whole one is in); null: the stream ended. */
  protected abstract unitsOf(chunk: In | null): AnswerUnit[];

  abort(): void {
    this.#stop();
    this.#reader?.cancel().catch(() => undefined);
  }

  protected enqueue(chunk: Out): void {
    this.#out?.enqueue(chunk);
  }

  close(): void {
    this.#out?.close();
  }

  fail(error: unknown): void {
    this.#out?.error(error);
  }

  async *#read(): AsyncGenerator<AnswerUnit> {
    const reader = (await this.#upstream).getReader();
    this.#reader = reader;
    let ended = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        ended = done;
        yield* this.unitsOf(done ? null : value);
        if (done) break;
      }
    } finally {
      // Stopped early (a withheld sentence): the rest is not read.
      if (!ended) await reader.cancel().catch(() => undefined);
      else reader.releaseLock();
    }
  }
}
