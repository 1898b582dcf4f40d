// Validation messages that name what is wrong, and where (valibot issues → one line).
import * as v from 'valibot';
import { GuardError } from './errors.ts';

export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues.map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`).join('; ');
}

/** Validates options against a schema (defaults filled in); OPTIONS_INVALID names the option. */
export function parseOption<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) throw new GuardError('OPTIONS_INVALID', `Invalid ${what}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}
