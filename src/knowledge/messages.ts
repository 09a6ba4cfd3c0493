/**
 * zod's issues in words an informatician can act on: where (the JSON path), what is there now, and
 * what to write instead. A failed union (a rule condition can take four shapes) is reported for the
 * shape the author evidently meant, not as four lists of complaints.
 */
import type { z } from 'zod';
import { didYouMean } from './positions.js';

type Issue = z.core.$ZodIssue;
type Segment = PropertyKey;

export interface Located {
  path: Segment[];
  message: string;
}

function valueAt(json: unknown, path: readonly Segment[]): unknown {
  let v = json;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function shown(value: unknown): string {
  if (value === undefined) return 'missing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `the ${typeof value} ${shown(value)}`;
}

/** How far a union branch is from what the author wrote: missing keys and keys it does not know, at its own level. */
function distance(branch: Issue[], json: unknown, at: Segment[]): number {
  let d = 0;
  for (const i of branch) {
    if (i.code === 'unrecognized_keys' && i.path.length === 0) d += i.keys.length;
    else if (i.code === 'invalid_type' && i.path.length <= 1 && valueAt(json, [...at, ...i.path]) === undefined) d += 1;
  }
  return d;
}

function unionOfTypes(issue: Extract<Issue, { code: 'invalid_union' }>): string[] | undefined {
  // A discriminated union whose discriminator matches no branch has no branch errors: its own message says what to use.
  if (issue.errors.length === 0) return undefined;
  const expected = issue.errors.map((b) =>
    b.length === 1 && b[0]?.code === 'invalid_type' && b[0].path.length === 0 ? b[0].expected : undefined,
  );
  return expected.every((e) => e !== undefined) ? expected : undefined;
}

function describe(issue: Issue, json: unknown, path: Segment[]): string {
  const value = valueAt(json, path);
  const name = path.length ? String(path[path.length - 1]) : 'the file';
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `"${name}" is missing: add it (${issue.expected})`;
      return `is ${kind(value)}, but must be ${issue.expected === 'array' ? 'a list' : `a ${issue.expected}`}: change it`;
    case 'unrecognized_keys': {
      const keys = issue.keys.map((k) => `"${k}"`).join(', ');
      return (
        `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}: remove ` +
        `${issue.keys.length > 1 ? 'them' : 'it'} or fix the spelling (the schema in rules/schemas/ lists ` +
        `the fields allowed here)`
      );
    }
    case 'invalid_value': {
      const near =
        typeof value === 'string'
          ? didYouMean(
              value,
              issue.values.filter((v): v is string => typeof v === 'string'),
            )
          : undefined;
      return (
        `is ${shown(value)};${near ? ` did you mean ${JSON.stringify(near)}?` : ''} use one of ` +
        `${issue.values.map((v) => JSON.stringify(v)).join(', ')}`
      );
    }
    case 'too_small':
      if (issue.origin === 'array')
        return (
          `needs at least ${String(issue.minimum)} item${Number(issue.minimum) === 1 ? '' : 's'}: add ` +
          `${Number(issue.minimum) === 1 ? 'one' : 'more'}`
        );
      if (issue.origin === 'string')
        return Number(issue.minimum) <= 1 ? 'is empty: write the text' : `is too short: at least ${String(issue.minimum)} characters`;
      return `is ${shown(value)}; it must be ${issue.inclusive ? 'at least' : 'more than'} ${String(issue.minimum)}`;
    case 'too_big':
      return `is ${shown(value)}; it must be ${issue.inclusive ? 'at most' : 'less than'} ${String(issue.maximum)}`;
    case 'invalid_union': {
      const types = unionOfTypes(issue);
      if (types) return value === undefined ? `"${name}" is missing: add it` : `is ${kind(value)}; use one of: ${types.join(', ')}`;
      return issue.message;
    }
    default:
      // invalid_format and custom issues carry the schema's own message, written to say what to do.
      return issue.message;
  }
}

/** Every issue with its full path and a message that says what to do. */
export function explainIssues(issues: readonly Issue[], json: unknown, at: Segment[] = []): Located[] {
  return issues.flatMap((issue): Located[] => {
    const path = [...at, ...issue.path];
    const value = valueAt(json, path);
    // A condition value: a plain value, or {"param": name}. An object that is not a param reference
    // is most likely a threshold written another way.
    const paramBranch = issue.code === 'invalid_union' && issue.errors.some((b) => b.some((i) => i.path[0] === 'param'));
    if (paramBranch && value !== null && typeof value === 'object' && !Array.isArray(value) && !('param' in value)) {
      return [
        {
          path,
          message:
            'is an object; use one of: number, string, boolean, null, array, or {"param": "<name>"} naming one of the rule\'s params',
        },
      ];
    }
    if (issue.code === 'invalid_union' && issue.errors.length && !unionOfTypes(issue)) {
      const best = [...issue.errors].sort((a, b) => distance(a, json, path) - distance(b, json, path) || a.length - b.length)[0] ?? [];
      return explainIssues(best, json, path);
    }
    return [{ path, message: describe(issue, json, path) }];
  });
}

/** A JSON path as people write it: rules[0].conditions.all[2].operator */
export function formatPath(segments: readonly PropertyKey[]): string {
  return segments.map((s, i) => (typeof s === 'number' ? `[${s}]` : `${i ? '.' : ''}${String(s)}`)).join('');
}

/** The file's content as `schema` reads it, or an Error naming the file and every problem, each at its JSON path. */
export function parseFileContent<S extends z.ZodType>(schema: S, json: unknown, file: string): z.output<S> {
  const result = schema.safeParse(json);
  if (result.success) return result.data;
  const problems = explainIssues(result.error.issues, json).map((i) => `${formatPath(i.path) || '(file)'}: ${i.message}`);
  throw new Error(`${file}: ${problems.join('; ')}`);
}
