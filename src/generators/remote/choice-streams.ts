// The choices of one streamed completion request (`n` of them, interleaved by `index` as vLLM
// sends them), each cut at its first stop string where the server does not apply them. A choice
// is complete when it is cut or the server finishes it; once every choice is complete the
// request is ended, so a sentence-long candidate costs a sentence, not `max_tokens`.
import { GuardError } from '../../errors.ts';
import { type Completion, type FinishReason, cutAtStop } from '../types.ts';

export interface StreamChoice {
  index?: number;
  delta?: { content?: string | null };
  text?: string;
  finish_reason?: string | null;
  stop_reason?: string | number | null;
}

export interface StreamChunk {
  choices?: StreamChoice[];
  usage?: { completion_tokens?: number };
}

export interface ChoiceStreamsOptions {
  n: number;
  /** Stop strings applied here (null: the server applies them and says so in `stop_reason`). */
  stop: readonly string[] | null;
  /** The server's finish_reason (and stop_reason) as a FinishReason. */
  finishReason(finish: string, stopReason: StreamChoice['stop_reason']): FinishReason;
  /** Each choice's new text, as it comes (cut at its stop string). */
  onToken?(index: number, delta: string): void;
  /** Each choice once complete, before the others are. */
  onComplete?(index: number, completion: Completion): void;
  url: string;
}

interface ChoiceState {
  text: string;
  /** Streamed deltas: a token each on vLLM, llama.cpp and Ollama. */
  chunks: number;
  /**
   * Cut exactly at the end of the text so far: the next event tells whether the model ended
   * there (a finish with no more text: EOS) or went on (a stop string ended it).
   */
  cutAtEnd: boolean;
  finish: string | null;
  stopReason: StreamChoice['stop_reason'];
  done: Completion | null;
}

/** Reads a request's chunks into its `n` choices; `push` says when every choice is complete. */
export class ChoiceStreams {
  readonly #options: ChoiceStreamsOptions;
  readonly #choices: ChoiceState[];
  #usage: number | undefined;

  constructor(options: ChoiceStreamsOptions) {
    this.#options = options;
    this.#choices = Array.from({ length: options.n }, () => ({ text: '', chunks: 0, cutAtEnd: false, finish: null, stopReason: null, done: null }));
  }

  /** Takes one chunk; true once every choice is complete (the rest of the stream is not needed). */
  push(chunk: StreamChunk): boolean {
    if (chunk.usage?.completion_tokens !== undefined) this.#usage = chunk.usage.completion_tokens;
    for (const choice of chunk.choices ?? []) {
      const index = choice.index ?? 0;
      const state = this.#choices[index];
      if (!state) throw new GuardError('GENERATOR_STREAM_MALFORMED', `${this.#options.url} sent choice ${index} for n = ${this.#options.n}.`, { url: this.#options.url });
      if (state.done) continue;
      const delta = choice.delta?.content ?? choice.text ?? '';
      if (state.cutAtEnd && (delta || choice.finish_reason)) {
        // More text after a cut at the end: the stop string ended the choice; a bare finish: the model did.
        if (!delta && choice.finish_reason) {
          state.finish = choice.finish_reason;
          this.#complete(index, this.#options.finishReason(choice.finish_reason, choice.stop_reason ?? null));
        } else this.#complete(index, 'stop');
        continue;
      }
      if (delta) this.#take(index, state, delta);
      if (choice.finish_reason && !state.done) {
        state.finish = choice.finish_reason;
        state.stopReason = choice.stop_reason ?? null;
        this.#complete(index, this.#options.finishReason(state.finish, state.stopReason));
      }
    }
    return this.#choices.every((c) => c.done);
  }

  /** Whether the server would still be generating a complete choice (it was cut here): the request is worth ending. */
  get cutShort(): boolean {
    return this.#choices.some((c) => c.done?.finishReason === 'stop' && c.finish === null);
  }

  /**
   * The stream ended (or was ended here once every choice was complete). A choice still cut
   * at the end is a stop; one with neither cut nor finish makes the stream malformed. The
   * server's usage is the exact count for a single choice it finished itself.
   */
  end(): Completion[] {
    return this.#choices.map((state, index) => {
      if (!state.done && state.cutAtEnd) this.#complete(index, 'stop');
      if (!state.done) throw new GuardError('GENERATOR_STREAM_MALFORMED', `The stream from ${this.#options.url} ended without a finish_reason.`, { url: this.#options.url });
      const exact = this.#options.n === 1 && state.finish !== null && this.#usage !== undefined;
      return exact ? { text: state.done.text, finishReason: state.done.finishReason, tokens: this.#usage! } : state.done;
    });
  }

  #take(index: number, state: ChoiceState, delta: string): void {
    const cut = this.#options.stop ? cutAtStop(state.text + delta, this.#options.stop) : null;
    const piece = cut === null ? delta : cut.slice(state.text.length);
    state.text += piece;
    state.chunks++;
    if (piece) this.#options.onToken?.(index, piece);
    if (cut === null) return;
    if (piece === delta) state.cutAtEnd = true;
    else this.#complete(index, 'stop');
  }

  #complete(index: number, finishReason: FinishReason): void {
    const state = this.#choices[index]!;
    state.done = { text: state.text, finishReason, tokens: state.chunks, tokensEstimated: true };
    this.#options.onComplete?.(index, state.done);
  }
}
