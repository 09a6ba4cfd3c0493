/**
 * What is wrong with a knowledge file, said so an informatician can find it: the file, the rule,
 * the field and, when it can be placed, the line and column.
 */
import { didYouMean, positionOfPath } from './positions.js';

export interface Problem {
  file: string;
  rule?: string;
  path: string;
  message: string;
  /** Where in the file, 1-based, when the path or the syntax error can be placed. */
  line?: number;
  column?: number;
}

export class KnowledgeError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'KnowledgeError';
  }
}

export function formatProblem(p: Problem): string {
  return (
    `${p.file}${p.line ? `:${p.line}:${p.column ?? 1}` : ''}${p.rule ? ` (rule "${p.rule}")` : ''}: ` +
    `${p.path || '(file)'}: ${p.message}`
  );
}

/** A "did you mean" tail for a name that is not known, or '' when nothing is close. */
export function suggestion(name: string, known: readonly string[], wrap: (s: string) => string = (s) => `"${s}"`): string {
  const near = didYouMean(name, known);
  return near ? ` Did you mean ${wrap(near)}?` : '';
}

/** Adds line and column to each problem whose file text is known and whose path can be found in it. */
export function placeProblems(problems: Problem[], sources: ReadonlyMap<string, string>): Problem[] {
  return problems.map((p) => {
    if (p.line !== undefined) return p;
    const text = sources.get(p.file);
    const at = text !== undefined ? positionOfPath(text, p.path) : undefined;
    return at ? { ...p, ...at } : p;
  });
}
