/**
 * Reading the knowledge files: each file's text goes into the content hash (the version) and is
 * kept to place problems by line, then is parsed as JSON and checked against its zod schema. A file
 * that fails is remembered as broken, so its consequences are not reported as causes.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { z } from 'zod';
import { explainIssues, formatPath } from './messages.js';
import { jsonSyntaxError } from './positions.js';
import type { Problem } from './problems.js';

/** The .json files of a folder (not its sub-folders), sorted; none when the folder is missing. */
export function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

export interface KnowledgeReader {
  /** The file's content when it reads, parses and fits the schema; otherwise undefined, its problems recorded. */
  parse<T>(file: string, schema: z.ZodType<T>): T | undefined;
  /** A path as the informatician sees it: from the folder that holds rules/ (and, usually, cards/). */
  show(file: string): string;
  /** Whether a file (by its shown path) was there but did not load. */
  isBroken(shownFile: string): boolean;
  /** File text by shown path, to place problems. */
  readonly sources: ReadonlyMap<string, string>;
  /** The place of the first occurrence of a text in a file (for placeholders, which have no JSON path of their own). */
  placeOf(shownFile: string, needle: string): { line?: number; column?: number };
  /** The content hash of every file read so far, in reading order. */
  version(): string;
}

/** A reader that records every problem it meets in `problems`. */
export function knowledgeReader(rulesDir: string, problems: Problem[]): KnowledgeReader {
  const hash = createHash('sha256');
  const sources = new Map<string, string>();
  const broken = new Set<string>();
  const show = (file: string): string => relative(dirname(rulesDir), file) || file;

  function parse<T>(file: string, schema: z.ZodType<T>): T | undefined {
    let raw: string;
    let json: unknown;
    try {
      raw = readFileSync(file, 'utf8');
    } catch (err) {
      broken.add(show(file));
      problems.push({ file: show(file), path: '', message: `not readable: ${(err as Error).message}` });
      return undefined;
    }
    hash.update(show(file)).update('\0').update(raw).update('\0');
    sources.set(show(file), raw);
    try {
      json = JSON.parse(raw);
    } catch (err) {
      broken.add(show(file));
      const syntax = jsonSyntaxError(raw);
      problems.push({
        file: show(file),
        path: '',
        message: syntax?.message ?? `not valid JSON: ${(err as Error).message}`,
        ...(syntax ? { line: syntax.line, column: syntax.column } : {}),
      });
      return undefined;
    }
    const result = schema.safeParse(json);
    if (result.success) return result.data;
    broken.add(show(file));
    const rules = (json as { rules?: { id?: unknown }[] }).rules;
    for (const issue of explainIssues(result.error.issues, json)) {
      const ruleIndex = issue.path[0] === 'rules' && typeof issue.path[1] === 'number' ? issue.path[1] : undefined;
      // A rule file names the rule by its index; a card names it in "rule".
      const ruleId = ruleIndex !== undefined ? rules?.[ruleIndex]?.id : (json as { rule?: unknown }).rule;
      problems.push({
        file: show(file),
        ...(typeof ruleId === 'string' ? { rule: ruleId } : {}),
        path: formatPath(issue.path),
        message: issue.message,
      });
    }
    return undefined;
  }

  return {
    parse,
    show,
    isBroken: (shownFile) => broken.has(shownFile),
    sources,
    placeOf(file, needle) {
      const text = sources.get(file);
      const at = text?.indexOf(needle) ?? -1;
      if (text === undefined || at < 0) return {};
      const before = text.slice(0, at);
      return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
    },
    version: () => hash.copy().digest('hex').slice(0, 16),
  };
}
