// An AI SDK stream as the answer gate reads it: one unit per part (released to the app
// unchanged; the text it adds to the judged answer), the answer gathered as it goes, and
// the stream the app reads. The finish part waits for the decision (it carries
// providerMetadata.vlmGuard); an aligned answer closes the blocks left open and continues
// the message's text, then finishes with 'stop'.
import type { LanguageModelV3StreamPart, SharedV3ProviderMetadata } from '@ai-sdk/provider';
import { StreamedAnswer } from '../answers/ai-sdk-content.ts';
import { judgedText } from '../answers/answer-view.ts';
import type { AnswerStream, AnswerUnit } from '../respond/respond.ts';

type Part = LanguageModelV3StreamPart;
type FinishPart = Extract<Part, { type: 'finish' }>;

const ALIGNED_ID = 'vlm-guard-aligned';
const NO_USAGE: FinishPart['usage'] = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

export class PartsAnswer implements AnswerStream {
  readonly #upstream: Promise<ReadableStream<Part>>;
  readonly #stop: () => void;
  readonly #answer = new StreamedAnswer();
  #reader: ReadableStreamDefaultReader<Part> | null = null;
  #out: ReadableStreamDefaultController<Part> | null = null;
  #finish: FinishPart | null = null;
  /** Blocks the app has seen start but not end, by id: what an aligned answer must close. */
  readonly #open = new Map<string, 'text' | 'reasoning' | 'tool-input'>();
  /** The app's stream: the released parts, then what the guard appends. */
  readonly readable: ReadableStream<Part>;

  /** `upstream`: the model's stream, awaited only when the units are read; `stop` aborts its request. */
  constructor(upstream: Promise<ReadableStream<Part>>, stop: () => void) {
    this.#upstream = upstream;
    this.#stop = stop;
    this.readable = new ReadableStream<Part>({
      start: (controller) => {
        this.#out = controller;
      },
      cancel: () => this.abort(), // the app stopped reading: stop paying for tokens
    });
  }

  get units(): AsyncIterable<AnswerUnit> {
    return this.#read();
  }

  text(): string {
    return judgedText(this.#answer.fields);
  }

  abort(): void {
    this.#stop();
    this.#reader?.cancel().catch(() => undefined);
  }

  /** The model's answer stands: its finish part, with the decision. */
  pass(metadata: SharedV3ProviderMetadata[string]): void {
    if (this.#finish) this.#enqueue({ ...this.#finish, providerMetadata: { ...this.#finish.providerMetadata, vlmGuard: metadata } });
    this.#out?.close();
  }

  /** The aligned part follows what was released, in the same message; the finish says 'stop'. */
  aligned(part: string, metadata: SharedV3ProviderMetadata[string]): void {
    const textId = [...this.#open].reverse().find(([, kind]) => kind === 'text')?.[0];
    for (const [id, kind] of this.#open) if (id !== textId) this.#enqueue(kind === 'text' ? { type: 'text-end', id } : kind === 'reasoning' ? { type: 'reasoning-end', id } : { type: 'tool-input-end', id });
    const id = textId ?? ALIGNED_ID;
    if (!textId) this.#enqueue({ type: 'text-start', id });
    if (part) this.#enqueue({ type: 'text-delta', id, delta: part });
    this.#enqueue({ type: 'text-end', id });
    this.#enqueue({ type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage: this.#finish?.usage ?? NO_USAGE, providerMetadata: { ...this.#finish?.providerMetadata, vlmGuard: metadata } });
    this.#out?.close();
  }

  fail(error: unknown): void {
    this.#out?.error(error);
  }

  #enqueue(part: Part): void {
    if (part.type === 'text-start' || part.type === 'reasoning-start') this.#open.set(part.id, part.type === 'text-start' ? 'text' : 'reasoning');
    else if (part.type === 'tool-input-start') this.#open.set(part.id, 'tool-input');
    else if (part.type === 'text-end' || part.type === 'reasoning-end' || part.type === 'tool-input-end') this.#open.delete(part.id);
    this.#out?.enqueue(part);
  }

  async *#read(): AsyncGenerator<AnswerUnit> {
    const reader = (await this.#upstream).getReader();
    this.#reader = reader;
    let ended = false;
    try {
      for (;;) {
        const { done, value } = await reader.read();
        ended = done;
        if (done) break;
        this.#answer.add(value);
        const one = new StreamedAnswer();
        one.add(value);
        const part = value;
        // The finish part waits for the decision, which it carries.
        yield { text: judgedText(one.fields), release: () => (part.type === 'finish' ? (this.#finish = part) : this.#enqueue(part)) };
      }
    } finally {
      if (!ended) await reader.cancel().catch(() => undefined);
      else reader.releaseLock();
    }
  }
}
