// CLIP's text input, as the worker builds it (kept apart from the worker so tests run it).
import { type PreTrainedTokenizer, Tensor } from '@huggingface/transformers';

/**
 * A text's ids as CLIP reads them — [start, content…, end] — cut to `max` with the end
 * token kept in the last place (as OpenAI's CLIP does): the text tower pools at the end
 * token (argmax of the ids), so cutting it off would embed an arbitrary word instead.
 */
export function clipIds(tokenizer: PreTrainedTokenizer, text: string, max: number): number[] {
  const ids = tokenizer.encode(text);
  return ids.length <= max ? ids : [...ids.slice(0, max - 1), ids.at(-1)!];
}

/** A batch of id lists as the text tower's inputs, padded to the longest with the tokenizer's pad id. */
export function textInputs(tokenizer: PreTrainedTokenizer, rows: number[][]): { input_ids: Tensor; attention_mask: Tensor } {
  const width = Math.max(...rows.map((r) => r.length));
  const pad = (tokenizer as PreTrainedTokenizer & { pad_token_id?: number }).pad_token_id ?? rows[0]!.at(-1)!;
  const ids = rows.flatMap((r) => [...r, ...Array<number>(width - r.length).fill(pad)]);
  const mask = rows.flatMap((r) => [...Array<number>(r.length).fill(1), ...Array<number>(width - r.length).fill(0)]);
  const dims = [rows.length, width];
  return { input_ids: new Tensor('int64', BigInt64Array.from(ids, BigInt), dims), attention_mask: new Tensor('int64', BigInt64Array.from(mask, BigInt), dims) };
}
