/**
 * `backpain-cds valueset import` and `valueset expand`: value set files from published FHIR
 * ValueSets (VSAC, NHS terminology server, eCQM packages), and their expansions refreshed from a
 * FHIR terminology server (TERMINOLOGY_SERVER). Both write rules/valuesets/ files; the service
 * itself only ever reads those files.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../config.js';
import { formatProblem } from '../../knowledge/problems.js';
import { valueSetProblems } from '../../knowledge/valueset-checks.js';
import { explainIssues, formatPath } from '../../knowledge/messages.js';
import { ValueSetFileSchema, type ValueSetFile } from '../../knowledge/schemas.js';
import { expandOnServer } from '../../knowledge/terminology.js';
import { fileText, importValueSet, valueSetsIn, withExpansion } from '../../knowledge/valueset-files.js';
import { CliError, type CliIo } from '../io.js';
import { knowledgeDirs, type KnowledgeOptions } from '../knowledge.js';

const shown = (file: string): string => relative(process.cwd(), file) || file;

function textWordsOf(path: string): NonNullable<ValueSetFile['extension']> {
  try {
    const parsed = ValueSetFileSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? (parsed.data.extension ?? []) : [];
  } catch {
    return [];
  }
}

export interface ImportOptions extends KnowledgeOptions {
  id?: string;
  out?: string;
  json?: boolean;
}

export function valueSetImportCommand(files: string[], options: ImportOptions, io: CliIo, now: Date = new Date()): number {
  const outDir = resolve(options.out ?? join(knowledgeDirs(options).rulesDir, 'valuesets'));
  const sources = files.flatMap((f) => {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(f, 'utf8'));
    } catch (err) {
      throw new CliError(`${f}: not readable JSON (${(err as Error).message})`);
    }
    const found = valueSetsIn(json);
    if (!found.length) throw new CliError(`${f}: holds no FHIR ValueSet (a ValueSet resource, or a Bundle with ValueSet entries)`);
    return found.map((vs) => ({ file: f, vs }));
  });
  if (options.id && sources.length > 1)
    throw new CliError(
      `--id names one value set, and ${files.join(', ')} hold ${sources.length}: ` +
        'leave --id out (ids come from each name) or import them one by one',
    );
  const results: { source: string; id?: string; written?: string; notes: string[]; error?: string }[] = [];
  for (const { file, vs } of sources) {
    try {
      const { file: out, notes } = importValueSet(vs, {
        ...(options.id ? { id: options.id } : {}),
        sourceFile: file.split(/[\\/]/).pop() ?? file,
        now,
        uuid: randomUUID,
      });
      const target = join(outDir, `${out.id}.json`);
      // The words for medications recorded by name are ours, not the publisher's: replacing the codes keeps them.
      const words = existsSync(target) ? textWordsOf(target) : [];
      if (words.length) {
        out.extension = words;
        notes.push(`kept the ${words.length} text-includes/text-excludes words of the file it replaces`);
      }
      const problems = valueSetProblems(`${out.id}.json`, out);
      if (problems.length) throw new Error(problems.map(formatProblem).join('; '));
      mkdirSync(outDir, { recursive: true });
      writeFileSync(target, fileText(out));
      results.push({ source: file, id: out.id, written: shown(target), notes });
    } catch (err) {
      results.push({ source: file, notes: [], error: (err as Error).message });
    }
  }
  if (options.json) io.out(JSON.stringify({ ok: results.every((r) => !r.error), results }, null, 2));
  else {
    for (const r of results) {
      if (r.error) io.out(`✘ ${r.source}: ${r.error}`);
      else io.out(`✔ ${r.written} (${r.id}) from ${r.source}`);
      for (const n of r.notes) io.out(`    ${n}`);
    }
    if (results.some((r) => r.written)) io.out('Next: backpain-cds validate, then name the value set in rules/findings.json or a rule.');
  }
  return results.every((r) => !r.error) ? 0 : 1;
}

export interface ExpandOptions extends KnowledgeOptions {
  server?: string;
  json?: boolean;
}

function terminologyServer(options: ExpandOptions): string {
  if (options.server) return options.server;
  let configured: string | undefined;
  try {
    configured = loadConfig(process.env).TERMINOLOGY_SERVER;
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message);
    throw err;
  }
  if (!configured)
    throw new CliError(
      'no terminology server: set TERMINOLOGY_SERVER to a FHIR terminology server base URL ' +
        '(for example https://tx.example.org/fhir), or give --server',
    );
  return configured;
}

function readValueSetFile(path: string): ValueSetFile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new Error(`not readable JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = ValueSetFileSchema.safeParse(json);
  if (!parsed.success)
    throw new Error(
      explainIssues(parsed.error.issues, json)
        .map((i) => `${formatPath(i.path)}: ${i.message}`)
        .join('; '),
    );
  return parsed.data;
}

export async function valueSetExpandCommand(
  ids: string[],
  options: ExpandOptions,
  io: CliIo,
  now: () => Date = () => new Date(),
): Promise<number> {
  const server = terminologyServer(options);
  const dir = join(knowledgeDirs(options).rulesDir, 'valuesets');
  const all = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => f.replace(/\.json$/, ''))
    : [];
  const missing = ids.filter((id) => !all.includes(id));
  if (missing.length) throw new CliError(`no value set ${missing.map((m) => `"${m}"`).join(', ')} in ${shown(dir)}`);
  const results: { id: string; added?: number; removed?: number; total?: number; pages?: number; error?: string }[] = [];
  for (const id of ids.length ? ids : all) {
    const path = join(dir, `${id}.json`);
    try {
      const file = readValueSetFile(path);
      const answer = await expandOnServer(server, file);
      const change = withExpansion(file, answer.expansion, answer.contains, { now: now(), uuid: randomUUID });
      const problems = valueSetProblems(`${id}.json`, change.file);
      if (problems.length) throw new Error(problems.map(formatProblem).join('; '));
      writeFileSync(path, fileText(change.file));
      results.push({ id, added: change.added, removed: change.removed, total: change.total, pages: answer.pages });
    } catch (err) {
      results.push({ id, error: (err as Error).message });
    }
  }
  if (options.json) io.out(JSON.stringify({ ok: results.every((r) => !r.error), server, results }, null, 2));
  else {
    for (const r of results) {
      io.out(
        r.error
          ? `✘ ${r.id}: ${r.error}`
          : `✔ ${r.id}: ${r.added} added, ${r.removed} removed, ${r.total} codes${r.pages && r.pages > 1 ? ` (${r.pages} pages)` : ''}`,
      );
    }
    io.out('Expansions are part of the rules version: review the changes (git diff rules/valuesets), then backpain-cds validate.');
  }
  return results.every((r) => !r.error) ? 0 : 1;
}
