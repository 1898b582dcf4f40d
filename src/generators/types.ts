// One interface for every VLM the guard can drive: remote (OpenAI-compatible) or local (in a worker).
import type { ImageInputs } from '../images/image-input.ts';
import type { Completion, SamplingParams } from '../runtime/index.ts';

export type { Completion, FinishReason, SamplingParams } from '../runtime/index.ts';

export interface ChatInput {
  prompt: string;
  /** One image or several, shown before the prompt in the user turn. */
  image?: ImageInputs;
  system?: string;
}

export interface GenerateRequest extends ChatInput {
  /** Text the assistant turn already starts with; the model continues it. */
  assistantPrefix?: string;
  sampling: SamplingParams;
}

export interface GenerateOptions {
  onToken?: (delta: string) => void;
  signal?: AbortSignal;
}

export interface SampleOptions {
  signal?: AbortSignal;
  /** Each sample once it is complete (by its index), before the others are: its scoring can start. */
  onCandidate?: (index: number, completion: Completion) => void;
}

export interface Generator {
  /** For results and logs, e.g. "remote:http://host/v1 qwen2-vl" or "local:smolvlm". */
  readonly id: string;
  /** One completion, streamed token by token to `onToken`. */
  generate(request: GenerateRequest, options?: GenerateOptions): Promise<Completion>;
  /** `n` sampled completions: in one call where the backend can, else concurrently. */
  sample(request: GenerateRequest, n: number, options?: SampleOptions): Promise<Completion[]>;
  /** Requests one sample(…, n) call sends (deep alignment's budget); 1 when not said. */
  requestsFor?(n: number): number;
}

/** `n` samples as `n` concurrent single ones, each reported to `onCandidate` once complete. */
export function sampleConcurrently(n: number, one: () => Promise<Completion>, onCandidate?: SampleOptions['onCandidate']): Promise<Completion[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, j) => {
      const completion = await one();
      onCandidate?.(j, completion);
      return completion;
    }),
  );
}

/** A token count for a text whose count the backend did not give (~4 characters a token). */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** Cuts `text` right after the first stop string; null when none occurs. */
export function cutAtStop(text: string, stop: readonly string[] | undefined): string | null {
  let end = -1;
  for (const s of stop ?? []) {
    const at = text.indexOf(s);
    if (at >= 0 && (end < 0 || at + s.length < end)) end = at + s.length;
  }
  return end < 0 ? null : text.slice(0, end);
}
