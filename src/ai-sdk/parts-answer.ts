// An AI SDK stream as the answer gate reads it: one unit per part (released to the app
// unchanged; the text it adds to the judged answer: the gate keeps what it needs). The
// finish part waits for the decision (it carries providerMetadata.vlmGuard); an aligned
// answer closes the blocks left open and continues the message's text, then finishes 'stop'.
import type { LanguageModelV3StreamPart, SharedV3ProviderMetadata } from '@ai-sdk/provider';
import { StreamedAnswer } from '../answers/ai-sdk-content.ts';
import { judgedText } from '../answers/answer-view.ts';
import { AnswerRelay } from '../respond/answer-relay.ts';
import type { AnswerUnit } from '../respond/respond.ts';

type Part = LanguageModelV3StreamPart;
type FinishPart = Extract<Part, { type: 'finish' }>;

const ALIGNED_ID = 'vlm-guard-aligned';
const NO_USAGE: FinishPart['usage'] = {
  inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: undefined, text: undefined, reasoning: undefined },
};

export class PartsAnswer extends AnswerRelay<Part, Part> {
  #finish: FinishPart | null = null;
  /** Blocks the app has seen start but not end, by id: what an aligned answer must close. */
  readonly #open = new Map<string, 'text' | 'reasoning' | 'tool-input'>();

  /** The model's answer stands: its finish part, with the decision. */
  pass(metadata: SharedV3ProviderMetadata[string]): void {
    if (this.#finish) this.#send({ ...this.#finish, providerMetadata: { ...this.#finish.providerMetadata, vlmGuard: metadata } });
    this.close();
  }

  /** A piece of the aligned part, as it passes: it continues the open text block (the other open blocks closed first). */
  continueText(delta: string): void {
    this.#send({ type: 'text-delta', id: this.#alignedBlock(), delta });
  }

  /** The aligned part has all been sent (`rest`: any of it not sent piece by piece); the finish says 'stop'. */
  aligned(rest: string, metadata: SharedV3ProviderMetadata[string]): void {
    const id = this.#alignedBlock();
    if (rest) this.#send({ type: 'text-delta', id, delta: rest });
    this.#send({ type: 'text-end', id });
    this.#send({ type: 'finish', finishReason: { unified: 'stop', raw: undefined }, usage: this.#finish?.usage ?? NO_USAGE, providerMetadata: { ...this.#finish?.providerMetadata, vlmGuard: metadata } });
    this.close();
  }

  /** The text block the aligned part goes to: the message's open one, else one of ours; every other open block is closed. */
  #alignedBlock(): string {
    const textId = [...this.#open].reverse().find(([, kind]) => kind === 'text')?.[0];
    for (const [id, kind] of this.#open) if (id !== textId) this.#send(kind === 'text' ? { type: 'text-end', id } : kind === 'reasoning' ? { type: 'reasoning-end', id } : { type: 'tool-input-end', id });
    if (textId) return textId;
    this.#send({ type: 'text-start', id: ALIGNED_ID });
    return ALIGNED_ID;
  }

  protected unitsOf(part: Part | null): AnswerUnit[] {
    if (!part) return [];
    const one = new StreamedAnswer();
    one.add(part);
    // The finish part waits for the decision, which it carries; a tool call goes out whole or not at all.
    const toolCall = part.type === 'tool-call' || part.type.startsWith('tool-input');
    return [{ text: judgedText(one.fields), release: () => this.forward(part), ...(toolCall ? { whole: true } : {}) }];
  }

  /** A part to the app; the finish part waits for the decision, which it carries. */
  protected forward(part: Part): void {
    if (part.type === 'finish') this.#finish = part;
    else this.#send(part);
  }

  #send(part: Part): void {
    if (part.type === 'text-start' || part.type === 'reasoning-start') this.#open.set(part.id, part.type === 'text-start' ? 'text' : 'reasoning');
    else if (part.type === 'tool-input-start') this.#open.set(part.id, 'tool-input');
    else if (part.type === 'text-end' || part.type === 'reasoning-end' || part.type === 'tool-input-end') this.#open.delete(part.id);
    this.enqueue(part);
  }
}
