// Validation messages that name what is wrong, and where (valibot issues → one line).
import * as v from 'valibot';
import { GuardError } from './errors.ts';

/** A union's failure names what failed inside its closest branch (`policy.thresholds.image`), not only the union. */
function deepest(issues: readonly v.BaseIssue<unknown>[]): v.BaseIssue<unknown>[] {
  // A branch's issues carry paths from the union's own value: the union's path goes first.
  const within = (issue: v.BaseIssue<unknown>) => deepest(issue.issues!).map((sub) => ({ ...sub, path: [...(issue.path ?? []), ...(sub.path ?? [])] }) as v.BaseIssue<unknown>);
  const flat = issues.flatMap((issue) => (issue.issues?.length ? within(issue) : [issue]));
  const depth = (issue: v.BaseIssue<unknown>) => issue.path?.length ?? 0;
  const most = Math.max(...flat.map(depth));
  return flat.filter((issue) => depth(issue) === most);
}

export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return deepest(issues).map((issue) => `${v.getDotPath(issue) ?? '(root)'}: ${issue.message}`).join('; ');
}

/** Validates options against a schema (defaults filled in); OPTIONS_INVALID names the option. */
export function parseOption<S extends v.GenericSchema>(schema: S, value: unknown, what: string): v.InferOutput<S> {
  const parsed = v.safeParse(schema, value);
  if (!parsed.success) throw new GuardError('OPTIONS_INVALID', `Invalid ${what}: ${describeIssues(parsed.issues)}`);
  return parsed.output;
}

/** An object made as a literal (or with a null prototype): what a class instance or a prototype chain holds is not read as options. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A strict object (unknown keys refused) that must be a plain object: keys inherited from a
 * prototype are not taken as options (valibot reads `input[key]`, inherited ones too).
 */
export function plainObject<T extends v.ObjectEntries>(entries: T) {
  return v.pipe(v.custom<Record<string, unknown>>(isPlainObject, 'must be a plain object (own keys only)'), v.strictObject(entries));
}
