// The one gate between a streamed answer and the app, used by respond, fetch protection
// and the AI SDK middleware alike. Units (a token, an SSE event, a stream part) wait
// until the image signals are in. Images that settle the call (ETA: safe images, so no
// answer can change the decision) open the gate: units flow as they come, unjudged and
// unbuffered. Otherwise each finished sentence (or window of a sentence that does not
// end) is judged with the text just before it, and a unit reaches the app only once
// every character it carries was judged to pass; the first judgement to align stops the
// gate for good (nothing after it is released). What the gate keeps is bounded: the
// context a judgement reads, the units not yet released, and `keepChars` of the answer.
import type { SentenceRule } from '../alignment/sentence-end.ts';
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

/** How much the gate reads and keeps (createGuard's `gate` option). */
export interface GateLimits {
  /**
   * Characters of the text already passed that a judgement reads before the new sentence: a
   * sentence is judged in its context, and the judged answer is covered piece by piece
   * (each judgement costs the same however long the answer grows; the reward model reads
   * long texts in windows of its own).
   */
  contextChars: number;
  /** A sentence that has not ended after this many characters is judged as it is (window by window). */
  windowChars: number;
  /** Characters of the answer kept for the result (`vanilla`); a relayed answer's reader holds all of it. */
  keepChars: number;
}

/**
 * A judgement reads at most contextChars + windowChars (~1500 characters, ~400 tokens): one window
 * of a 512-token reward model, so each costs one forward pass however long the answer. Sentences
 * are judged one by one, never grouped: a harmful sentence judged with the benign text after it
 * could pass (the withheld-sentence test in tests/safe-by-construction.test.ts).
 */
export const GATE_DEFAULTS: GateLimits = { contextChars: 300, windowChars: 1200, keepChars: 1 << 20 };

export type GateMode = 'waiting' | 'pass-through' | 'judged';

export interface AnswerGateOptions {
  /** Resolves true when the images settle the call; null when they are not checked first (ETA's reference order). */
  imagesSettle: Promise<boolean> | null;
  /** ETA's decision over a piece of the answer (with the context before it). */
  judge(text: string): Promise<EtaOutcome>;
  sentenceEnds: readonly string[];
  /** Where a sentence ends (sentence-end.ts; default `sentence`). */
  sentenceRule?: SentenceRule;
  limits: GateLimits;
  /** Text the answer follows (what the app already has): the first judgement reads its end as context. */
  context?: string;
  /** Called once, with the first judgement to align: the upstream should stop. */
  onWithhold?(outcome: EtaOutcome): void;
}

export interface GateResult {
  mode: 'pass-through' | 'judged';
  /**
   * Judged mode: the withholding judgement, or (the answer passed) the least safe of its
   * judgements — the answer's score is its most unsafe piece's.
   */
  outcome: EtaOutcome | null;
  /** Whether a judgement stopped the gate. */
  withheld: boolean;
  /** Characters of the answer released to the app (judged mode; pass-through releases all). */
  releasedChars: number;
  /** The answer as pushed, its first `keepChars` characters. */
  kept: string;
  /** Whether `kept` is the whole answer. */
  keptWhole: boolean;
  sentencesChecked: number;
}

export class AnswerGate {
  readonly #options: AnswerGateOptions;
  readonly #sentences: SentenceGate;
  #mode: GateMode = 'waiting';
  readonly #settled: Promise<void>;
  /** Units not yet released, each with where its text ends (characters from the answer's start). */
  #held: { unit: AnswerUnit; end: number }[] = [];
  /** Characters pushed so far. */
  #pushed = 0;
  /** The end of the text passed so far. */
  #passedEnd = 0;
  /** The last `contextChars` of the text given to the judge so far (what the next judgement reads first). */
  #context = '';
  /** Judgements started (the first starts with the first sentence, before the image verdict). */
  #started = 0;
  /** Where the last released unit's text ends. */
  #releasedEnd = 0;
  #kept = '';
  #keptWhole = true;
  #queue: Promise<void> = Promise.resolve();
  #outcome: EtaOutcome | null = null;
  #withheld = false;
  #stopped = false;
  #checked = 0;
  #failed = false;
  /** Judgements queued or under way. */
  #judging = 0;
  /** Readers waiting for the gate to hold less (see room()). */
  #roomWaiters: (() => void)[] = [];

  constructor(options: AnswerGateOptions) {
    this.#options = options;
    this.#sentences = new SentenceGate(options.sentenceEnds, options.limits.windowChars, options.sentenceRule);
    this.#context = contextOf(options.context ?? '', options.limits.contextChars);
    // A failure to learn the image verdict judges everything (fail closed).
    const settles = options.imagesSettle ? options.imagesSettle.catch(() => false) : Promise.resolve(false);
    this.#settled = settles.then((open) => {
      if (open) this.#open();
      else this.#mode = 'judged';
    });
  }

  get mode(): GateMode {
    return this.#mode;
  }

  /** Whether the gate still keeps text it is given (open, it needs none but what it keeps). */
  get keeping(): boolean {
    return this.#mode !== 'pass-through' || this.#kept.length < this.#options.limits.keepChars;
  }

  /**
   * Resolves once the gate holds little enough for its reader to read on (back-pressure on a
   * stream): open, stopped, or at most two windows of text held. It waits only for what will
   * come without more text (the image verdict, judgements under way): text after the last
   * sentence, and units held behind a tool call (they wait for the whole answer), need more.
   */
  async room(): Promise<void> {
    const limit = 2 * this.#options.limits.windowChars;
    const progressing = () => this.#mode === 'waiting' || this.#judging > 0;
    while (!this.#stopped && !this.#failed && progressing() && this.#pushed - this.#releasedEnd > limit && !this.#held[0]?.unit.whole) {
      await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    }
  }

  /** The answer so far, its first `keepChars` characters. */
  get kept(): string {
    return this.#kept;
  }

  push(unit: AnswerUnit): void {
    this.#keep(unit.text); // the vanilla answer: all the model said, also after a stop (until its stream ends)
    if (this.#stopped) return;
    this.#pushed += unit.text.length;
    if (this.#mode === 'pass-through') return unit.release();
    this.#held.push({ unit, end: this.#pushed });
    // Sentences are judged as they end, also before the image verdict: their scores are under
    // way while the image is checked (the judge waits for it to decide). Images that settle the
    // call make these judgements moot; they are dropped.
    for (const sentence of this.#sentences.push(unit.text)) this.#schedule(sentence, false);
  }

  /** The answer has ended: the text after the last sentence is judged, and the gate settles. */
  async finish(): Promise<GateResult> {
    await this.#settled;
    if (this.#mode === 'judged') {
      // The rest of the text (or an empty answer) is judged; units that add no text after the last judged sentence follow it.
      if (this.#sentences.pending !== '' || this.#started === 0) this.#schedule(this.#sentences.pending, true);
      else this.#enqueue(() => this.#releaseUpTo(this.#passedEnd, true));
      await this.#queue;
    }
    return {
      mode: this.#mode === 'pass-through' ? 'pass-through' : 'judged',
      outcome: this.#outcome,
      withheld: this.#withheld,
      releasedChars: this.#mode === 'pass-through' ? this.#pushed : this.#releasedEnd,
      kept: this.#kept,
      keptWhole: this.#keptWhole,
      sentencesChecked: this.#checked,
    };
  }

  /** Ends the gate without a decision (the answer failed): nothing more is released. */
  stop(): void {
    this.#stopped = true;
    this.#held = [];
    this.#makeRoom();
  }

  #makeRoom(): void {
    const waiters = this.#roomWaiters;
    this.#roomWaiters = [];
    for (const wake of waiters) wake();
  }

  #keep(text: string): void {
    const room = this.#options.limits.keepChars - this.#kept.length;
    if (text.length > room) this.#keptWhole = false;
    if (room > 0) this.#kept += text.length > room ? text.slice(0, room) : text;
  }

  #open(): void {
    this.#mode = 'pass-through';
    const held = this.#held;
    this.#held = [];
    if (!this.#stopped) for (const { unit } of held) unit.release();
    this.#makeRoom();
  }

  /** Starts judging the next piece (after its context) now; its outcome applies in order, after the pieces before it. */
  #schedule(piece: string, last: boolean): void {
    if (this.#stopped) return;
    const read = this.#context + piece;
    this.#context = contextOf(read, this.#options.limits.contextChars);
    this.#started++;
    const outcome = this.#options.judge(read);
    outcome.catch(() => undefined); // applied (and its failure surfaced) in order, by the queue
    this.#enqueue(() => this.#apply(piece, outcome, last));
  }

  #enqueue(step: () => Promise<void> | undefined): void {
    this.#judging++;
    this.#queue = this.#queue
      .then(() => (this.#stopped || this.#mode === 'pass-through' ? undefined : step()))
      .finally(() => {
        this.#judging--;
        this.#makeRoom();
      });
    // A failed judgement surfaces from finish(); the reader is not kept waiting for room meanwhile.
    this.#queue.catch(() => {
      this.#failed = true;
      this.#makeRoom();
    });
  }

  /** Applies a piece's judgement; `last`: the answer ends with it (its pass releases the units that wait for it). */
  async #apply(piece: string, judged: Promise<EtaOutcome>, last: boolean): Promise<void> {
    const outcome = await judged;
    await this.#settled; // nothing is released before the image verdict, whatever the judge awaited
    if (this.#stopped || this.#mode === 'pass-through') return;
    this.#checked++;
    if (outcome.decision === 'align') {
      this.#outcome = outcome;
      this.#withheld = true;
      this.stop();
      this.#options.onWithhold?.(outcome);
      return;
    }
    if (!this.#outcome || lessSafe(outcome, this.#outcome)) this.#outcome = outcome;
    this.#passedEnd += piece.length;
    this.#releaseUpTo(this.#passedEnd, last);
  }

  #releaseUpTo(end: number, whole: boolean): undefined {
    while (this.#held.length > 0 && this.#held[0]!.end <= end && (whole || !this.#held[0]!.unit.whole)) {
      const next = this.#held.shift()!;
      this.#releasedEnd = next.end;
      next.unit.release();
    }
    this.#makeRoom();
    return undefined;
  }
}

/** The last `chars` of a passed text, from a word's start where there is one. */
function contextOf(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const tail = text.slice(text.length - chars);
  const space = tail.indexOf(' ');
  return space >= 0 ? tail.slice(space + 1) : tail;
}

/** Of two passing judgements, whether `a` judged its answer less safe: no score (unknown) first, then the lower reward. */
function lessSafe(a: EtaOutcome, b: EtaOutcome): boolean {
  const sa = a.responseCheck.score;
  const sb = b.responseCheck.score;
  if (sa === null || sb === null) return sa === null && sb !== null;
  return sa < sb;
}
