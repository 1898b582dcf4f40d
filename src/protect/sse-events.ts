// A server-sent event stream cut into its events, byte for byte: the gate releases an
// answer event by event, so each event's own bytes (comments, ids, line endings) must
// reach the app exactly as the server sent them. Only the boundaries are found here
// (a blank line, with any of the three line endings); fields are read by eventsource-parser.
import { type EventSourceMessage, createParser } from 'eventsource-parser';
import { concatBytes } from '../bytes/concat-bytes.ts';

const LF = 0x0a;
const CR = 0x0d;

export class SseEventSplitter {
  /** Bytes of the event under way from earlier chunks. */
  #pending: Uint8Array[] = [];
  /** No byte but line endings since the last line ending (the line so far is empty). */
  #lineEmpty = true;
  /** The last byte was a CR: an LF right after it ends the same line. */
  #afterCr = false;
  /** A blank line ended with a CR: the event ends after the LF that may follow, or before the next byte. */
  #endsAfterLf = false;

  /** The events this chunk completes, each as the server's bytes. */
  push(chunk: Uint8Array): Uint8Array[] {
    const events: Uint8Array[] = [];
    let start = 0;
    const cut = (end: number) => {
      events.push(concatBytes([...this.#pending, chunk.subarray(start, end)]));
      this.#pending = [];
      start = end;
    };
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (this.#endsAfterLf) {
        this.#endsAfterLf = false;
        this.#afterCr = false;
        if (byte === LF) {
          cut(i + 1);
          continue;
        }
        cut(i);
      }
      if (byte === LF && this.#afterCr) {
        this.#afterCr = false; // the CR already ended this line
      } else if (byte === LF || byte === CR) {
        this.#afterCr = byte === CR;
        if (this.#lineEmpty) {
          if (byte === CR) this.#endsAfterLf = true;
          else cut(i + 1);
        }
        this.#lineEmpty = true;
      } else {
        this.#afterCr = false;
        this.#lineEmpty = false;
      }
    }
    if (start < chunk.length) this.#pending.push(chunk.slice(start));
    return events;
  }

  /** What is left at the end of the stream: an event cut off before its blank line (or one ended by a last CR). */
  flush(): Uint8Array | null {
    const rest = this.#pending.length ? concatBytes(this.#pending) : null;
    this.#pending = [];
    return rest;
  }
}

/** Reads the messages of whole events (eventsource-parser): one parser per stream keeps its state (last id, retry). */
export function sseMessages(): (event: Uint8Array) => EventSourceMessage[] {
  const decoder = new TextDecoder();
  let messages: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => messages.push(message) });
  return (event) => {
    messages = [];
    parser.feed(decoder.decode(event, { stream: true }));
    return messages;
  };
}
