// The one gate between a streamed answer and the app, used by respond, fetch protection
// and the AI SDK middleware alike. Units (a token, an SSE event, a stream part) wait
// until the image signals are in. Images that settle the call (ETA: safe images, so no
// answer can change the decision) open the gate: units flow as they come, unjudged and
// unbuffered. Otherwise each finished sentence is judged with all the text before it,
// and a unit reaches the app only once every character it carries was judged to pass;
// the first judgement to align stops the gate for good (nothing after it is released).
import type { EtaOutcome } from '../eta/pipeline.ts';
import { SentenceGate } from './sentence-gate.ts';

/** One piece of the answer as its path carries it: the text it adds, and how to hand it to the app. */
export interface AnswerUnit {
  /** What the unit adds to the judged text ('' for framing: a role chunk, a stream-start part). */
  text: string;
  /** Hands the unit to the app, unchanged. Called at most once, in order. */
  release(): void;
  /**
   * Released only once the whole answer passed (a tool call: the app acts on it, so it goes
   * out whole or not at all); the units after it wait with it. Pass-through ignores it.
   */
  whole?: boolean;
}

export type GateMode = 'waiting' | 'pass-through' | 'judged';

export interface AnswerGateOptions {
  /** Resolves true when the images settle the call; null when they are not checked first (ETA's reference order). */
  imagesSettle: Promise<boolean> | null;
  /** ETA's decision over the answer so far. */
  judge(text: string): Promise<EtaOutcome>;
  sentenceEnds: readonly string[];
  /** Called once, with the first judgement to align: the upstream should stop. */
  onWithhold?(outcome: EtaOutcome): void;
}

export interface GateResult {
  mode: 'pass-through' | 'judged';
  /** The last judgement (judged mode): the whole answer's when it passed, the withholding one otherwise. */
  outcome: EtaOutcome | null;
  /** Whether a judgement stopped the gate. */
  withheld: boolean;
  /** The text of the released units (judged mode): what the app has received. */
  released: string;
  sentencesChecked: number;
}

export class AnswerGate {
  readonly #options: AnswerGateOptions;
  readonly #sentences: SentenceGate;
  #mode: GateMode = 'waiting';
  readonly #settled: Promise<void>;
  /** Units not yet released, each with where its text ends in #text. */
  #held: { unit: AnswerUnit; end: number }[] = [];
  /** Everything pushed (kept only while waiting or judging: pass-through keeps nothing). */
  #text = '';
  /** The longest prefix of #text judged to pass. */
  #passed = '';
  /** Where the last released unit's text ends. */
  #releasedEnd = 0;
  #queue: Promise<void> = Promise.resolve();
  #outcome: EtaOutcome | null = null;
  #withheld = false;
  #stopped = false;
  #checked = 0;

  constructor(options: AnswerGateOptions) {
    this.#options = options;
    this.#sentences = new SentenceGate(options.sentenceEnds);
    // A failure to learn the image verdict judges everything (fail closed).
    const settles = options.imagesSettle ? options.imagesSettle.catch(() => false) : Promise.resolve(false);
    this.#settled = settles.then((open) => (open ? this.#open() : this.#judgeFrom(this.#text)));
  }

  get mode(): GateMode {
    return this.#mode;
  }

  push(unit: AnswerUnit): void {
    if (this.#stopped) return;
    if (this.#mode === 'pass-through') return unit.release();
    this.#text += unit.text;
    this.#held.push({ unit, end: this.#text.length });
    if (this.#mode === 'judged') this.#judgeFrom(unit.text);
  }

  /** The answer has ended: the text after the last sentence is judged, and the gate settles. */
  async finish(): Promise<GateResult> {
    await this.#settled;
    if (this.#mode === 'judged') {
      // The rest of the text (or an empty answer) is judged; units that add no text after the last judged sentence follow it.
      this.#enqueue(() => (this.#sentences.pending !== '' || this.#checked === 0 ? this.#judge(this.#passed + this.#sentences.pending, true) : this.#releaseUpTo(this.#passed.length, true)));
      await this.#queue;
    }
    return {
      mode: this.#mode === 'pass-through' ? 'pass-through' : 'judged',
      outcome: this.#outcome,
      withheld: this.#withheld,
      released: this.#text.slice(0, this.#releasedEnd),
      sentencesChecked: this.#checked,
    };
  }

  /** Ends the gate without a decision (the answer failed): nothing more is released. */
  stop(): void {
    this.#stopped = true;
    this.#held = [];
  }

  #open(): void {
    this.#mode = 'pass-through';
    const held = this.#held;
    this.#held = [];
    this.#text = '';
    if (!this.#stopped) for (const { unit } of held) unit.release();
  }

  #judgeFrom(text: string): void {
    this.#mode = 'judged';
    for (const sentence of this.#sentences.push(text)) this.#enqueue(() => this.#judge(this.#passed + sentence, false));
  }

  #enqueue(step: () => Promise<void> | undefined): void {
    this.#queue = this.#queue.then(() => (this.#stopped ? undefined : step()));
    this.#queue.catch(() => undefined); // a failed judgement surfaces from finish()
  }

  /** `last`: the whole answer (its pass releases the units that wait for it). */
  async #judge(text: string, last: boolean): Promise<void> {
    const outcome = await this.#options.judge(text);
    if (this.#stopped) return;
    this.#checked++;
    this.#outcome = outcome;
    if (outcome.decision === 'align') {
      this.#withheld = true;
      this.stop();
      this.#options.onWithhold?.(outcome);
      return;
    }
    this.#passed = text;
    this.#releaseUpTo(text.length, last);
  }

  #releaseUpTo(end: number, whole: boolean): undefined {
    while (this.#held.length > 0 && this.#held[0]!.end <= end && (whole || !this.#held[0]!.unit.whole)) {
      const next = this.#held.shift()!;
      this.#releasedEnd = next.end;
      next.unit.release();
    }
    return undefined;
  }
}
