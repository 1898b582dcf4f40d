// Reads the risk list a VLM writes for Multimodal Risk Disentanglement: a JSON array of
// { malicious_content, source, risk_category }. Models wrap JSON in prose or code fences,
// truncate it or use loose labels; all of that is repaired or reported, never thrown.
import { jsonrepair } from 'jsonrepair';
import * as v from 'valibot';
import { GuardError } from '../errors.ts';
import { describeIssues } from '../validation.ts';
import { type RiskCategory, type RiskSource, toCategory, toSource } from '../risk-categories.ts';

export interface Risk {
  malicious_content: string;
  source: RiskSource;
  risk_category: RiskCategory;
}

const RiskSchema = v.object({
  malicious_content: v.pipe(v.string(), v.trim(), v.nonEmpty('is empty')),
  source: v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => toSource(dataset.value) ?? (addIssue({ message: `unknown source "${dataset.value}"` }), NEVER)),
  ),
  risk_category: v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }) => toCategory(dataset.value) ?? (addIssue({ message: `unknown risk category "${dataset.value}"` }), NEVER)),
  ),
});

export interface RiskListParse {
  risks: Risk[];
  /** Items that were not valid risks, with why (a partial list keeps the valid ones). */
  rejected: { item: unknown; reason: string }[];
}

/** The JSON part of a model's answer: from the first bracket to the matching last one (or the end, when cut off). */
function jsonPart(text: string): string | null {
  const start = text.search(/[[{]/);
  if (start < 0) return null;
  const close = text[start] === '[' ? ']' : '}';
  const end = text.lastIndexOf(close);
  return end > start ? text.slice(start, end + 1) : text.slice(start);
}

/**
 * Parses a risk list. Throws MODEL_OUTPUT_INVALID when there is no list at all
 * (garbage) or when no item is a valid risk; a partial list keeps its valid items.
 */
export function parseRiskList(text: string): RiskListParse {
  const part = jsonPart(text);
  if (part === null) throw new GuardError('MODEL_OUTPUT_INVALID', `The risk list is not JSON: "${excerpt(text)}".`);
  let json: unknown;
  try {
    json = JSON.parse(jsonrepair(part));
  } catch (error) {
    throw new GuardError('MODEL_OUTPUT_INVALID', `The risk list is not valid JSON (${error instanceof Error ? error.message : String(error)}): "${excerpt(text)}".`);
  }
  // Some models wrap the list ({"risks": [...]}) or give a single object.
  const items = Array.isArray(json) ? json : isRecord(json) && Array.isArray(json.risks) ? json.risks : isRecord(json) ? [json] : null;
  if (items === null) throw new GuardError('MODEL_OUTPUT_INVALID', `The risk list is not a JSON array: "${excerpt(text)}".`);
  const risks: Risk[] = [];
  const rejected: RiskListParse['rejected'] = [];
  for (const item of items) {
    const parsed = v.safeParse(RiskSchema, item);
    if (parsed.success) risks.push(parsed.output as Risk);
    else rejected.push({ item, reason: describeIssues(parsed.issues) });
  }
  if (risks.length === 0 && rejected.length > 0) {
    throw new GuardError('MODEL_OUTPUT_INVALID', `No item of the risk list is a valid risk: ${rejected.map((r) => r.reason).join(' | ')}.`);
  }
  return { risks, rejected };
}

/** A yes/no verification answer; null when the model said neither. */
export function parseYesNo(text: string): boolean | null {
  const first = /\b(yes|no)\b/i.exec(text.trim().slice(0, 40));
  return first ? first[1]!.toLowerCase() === 'yes' : null;
}

/** A 0–10 judge score: the first number in range; throws MODEL_OUTPUT_INVALID when there is none. */
export function parseJudgeScore(text: string): number {
  const match = /(?<![\d.])(10|\d)(?!\d|\.\d)/.exec(text);
  if (!match) throw new GuardError('MODEL_OUTPUT_INVALID', `The judge gave no score from 0 to 10: "${excerpt(text)}".`);
  return Number(match[1]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 120 ? `${flat.slice(0, 117)}…` : flat;
}
