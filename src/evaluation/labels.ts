// A labelled evaluation set: `labels.json` (an array, or { items: [...] }) or
// `labels.csv` (header row) beside the images, one row per image:
//   file, label (unsafe | safe: the image), category?, question?, response?,
//   response_label? (unsafe | safe: the response; the reward threshold is calibrated on these only)
import Papa from 'papaparse';
import * as v from 'valibot';
import { GuardError } from '../errors.ts';
import { describeIssues } from '../validation.ts';

const Optional = v.optional(v.pipe(v.string(), v.trim()));
const Label = v.pipe(v.string(), v.trim(), v.toLowerCase(), v.picklist(['unsafe', 'safe'], 'label must be "unsafe" or "safe"'));
const ItemSchema = v.object({
  file: v.pipe(v.string(), v.trim(), v.nonEmpty('file is empty')),
  label: Label,
  category: Optional,
  question: Optional,
  response: Optional,
  /** Whether the response is unsafe, judged on its own (an unsafe image may come with a refusal). */
  response_label: v.optional(v.union([v.literal(''), Label])),
});

export type EvalItem = v.InferOutput<typeof ItemSchema>;

/** Blank optional cells (CSV) mean "not given". */
function withoutBlanks(item: EvalItem): EvalItem {
  const copy: EvalItem = { file: item.file, label: item.label };
  for (const key of ['category', 'question', 'response', 'response_label'] as const) if (item[key]) copy[key] = item[key] as never;
  return copy;
}

export function parseLabels(text: string, name: string): EvalItem[] {
  let rows: unknown[];
  if (name.toLowerCase().endsWith('.csv')) {
    const parsed = Papa.parse<Record<string, string>>(text.trim(), { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim().toLowerCase() });
    if (parsed.errors.length > 0) {
      const e = parsed.errors[0]!;
      throw new GuardError('INPUT_INVALID', `${name}: ${e.message}${e.row !== undefined ? ` (row ${e.row + 2})` : ''}.`);
    }
    rows = parsed.data;
  } else {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new GuardError('INPUT_INVALID', `${name} is not valid JSON: ${error instanceof Error ? error.message : String(error)}.`);
    }
    const list = Array.isArray(json) ? json : (json as { items?: unknown })?.items;
    if (!Array.isArray(list)) throw new GuardError('INPUT_INVALID', `${name} must hold an array of items or { "items": [...] }.`);
    rows = list;
  }
  const items = rows.map((row, i) => {
    const parsed = v.safeParse(ItemSchema, row);
    if (!parsed.success) throw new GuardError('INPUT_INVALID', `${name}, item ${i + 1}: ${describeIssues(parsed.issues)}.`);
    return withoutBlanks(parsed.output);
  });
  if (items.length === 0) throw new GuardError('INPUT_INVALID', `${name} lists no items.`);
  const files = new Set<string>();
  for (const item of items) {
    if (files.has(item.file)) throw new GuardError('INPUT_INVALID', `${name}: "${item.file}" is listed twice.`);
    files.add(item.file);
  }
  return items;
}
