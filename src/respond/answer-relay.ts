// What fetch protection and the AI SDK middleware share around the gate: the upstream's
// chunks read as answer units (each path says how a chunk becomes units), the stream the
// app reads (the released units, then what the guard appends), and a stop that ends both
// the upstream request and the read (a body that does not end on abort must not keep it).
// The upstream is read at the app's pace (no more than the app has taken: back-pressure),
// in slices that leave the page its turn, and — once the gate is open and keeps no more
// of the answer — forwarded chunk by chunk without being read into units at all.
import { slicer } from '../concurrency/yield-to-page.ts';
import type { AnswerStream, AnswerUnit } from './respond.ts';

export abstract class AnswerRelay<In, Out> implements AnswerStream {
  readonly #upstream: Promise<ReadableStream<In>>;
  readonly #stop: () => void;
  #reader: ReadableStreamDefaultReader<In> | null = null;
  #out: ReadableStreamDefaultController<Out> | null = null;
  /** Resolves the read loop's wait for the app to take what it was given. */
  #wake: (() => void) | null = null;
  #cancelled = false;
  #bypassed = false;
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
      pull: () => this.#wakeUp(),
      cancel: () => {
        // The app stopped reading: stop paying for tokens.
        this.#cancelled = true;
        this.#wakeUp();
        this.abort();
      },
    });
  }

  get units(): AsyncIterable<AnswerUnit> {
    return this.#read();
  }

  /** The units one upstream chunk completes (none until a whole one is in); null: the stream ended. */
  protected abstract unitsOf(chunk: In | null): AnswerUnit[];

  /** Hands an upstream chunk to the app as it came (after what the units held back of it): the gate is open and needs no more text. */
  protected abstract forward(chunk: In): void;

  /** The gate is open and keeps no more text: chunks go to the app as they come, unread. */
  bypass(): void {
    this.#bypassed = true;
  }

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

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  /** Waits while the app has not taken what it was given (its queue is full). */
  async #demand(): Promise<void> {
    while (!this.#cancelled && (this.#out?.desiredSize ?? 1) <= 0) await new Promise<void>((resolve) => (this.#wake = resolve));
  }

  async *#read(): AsyncGenerator<AnswerUnit> {
    const reader = (await this.#upstream).getReader();
    this.#reader = reader;
    const breathe = slicer();
    let ended = false;
    try {
      for (;;) {
        await this.#demand();
        const { done, value } = await reader.read();
        ended = done;
        if (done) {
          if (!this.#bypassed) yield* this.unitsOf(null);
          break;
        }
        if (this.#bypassed) this.forward(value);
        else yield* this.unitsOf(value);
        await breathe();
      }
    } finally {
      // Stopped early (a withheld sentence): the rest is not read.
      if (!ended) await reader.cancel().catch(() => undefined);
      else reader.releaseLock();
    }
  }
}
