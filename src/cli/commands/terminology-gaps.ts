/**
 * `backpain-cds terminology gaps`: which codes in real records name a red flag but are in no value
 * set. Reads a FHIR Bulk Data export; prints systems, codes, displays and counts, never patient ids.
 */
import { relative } from 'node:path';
import { keywordMatcher, redFlagKeywords } from '../../knowledge/red-flag-keywords.js';
import { CliError, type CliIo } from '../io.js';
import { loadForCli, type KnowledgeOptions } from '../knowledge.js';
import { table } from '../table.js';
import { TerminologyGaps, type GapSummary } from '../terminology/gaps.js';
import { ndjsonFiles, readNdjson, type LineProblem } from '../terminology/ndjson.js';

export interface GapsOptions extends KnowledgeOptions {
  json?: boolean;
  /** Leave out codes seen fewer times than this. */
  min?: string;
}

export interface GapsReport extends GapSummary {
  files: number;
  lines: number;
  /** Lines that were not a JSON resource, by file and line number only. */
  unreadableLines: number;
  unreadable: LineProblem[];
}

const SHOWN_PROBLEMS = 10;

function minimum(value: string | undefined): number {
  if (value === undefined) return 1;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`--min must be a whole number of 1 or more, not "${value}"`);
  return n;
}

export async function terminologyGapsCommand(paths: string[], options: GapsOptions, io: CliIo): Promise<number> {
  if (!paths.length)
    throw new CliError(
      'name a FHIR Bulk Data export: NDJSON files or the folder that holds them (e.g. backpain-cds terminology gaps ./export/)',
    );
  const min = minimum(options.min);
  const knowledge = loadForCli(options);
  const files = ndjsonFiles(paths);
  const gaps = new TerminologyGaps([...knowledge.valueSets.values()], keywordMatcher(redFlagKeywords(knowledge)));
  let lines = 0;
  const unreadable: LineProblem[] = [];
  for (const file of files) {
    const result = await readNdjson(file, (resource) => gaps.add(resource));
    lines += result.lines;
    unreadable.push(...result.problems);
  }
  const summary = gaps.summary();
  const report: GapsReport = {
    files: files.length,
    lines,
    resourcesRead: summary.resourcesRead,
    gaps: summary.gaps.filter((g) => g.records >= min),
    textOnly: summary.textOnly.filter((t) => t.records >= min),
    unreadableLines: unreadable.length,
    unreadable: unreadable.slice(0, SHOWN_PROBLEMS).map((p) => ({ file: relative(process.cwd(), p.file) || p.file, line: p.line })),
  };
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
    return 0;
  }
  const out: string[] = [
    `Read ${report.files} file${report.files === 1 ? '' : 's'} (${report.lines} lines): ` +
      `${report.resourcesRead} resources of the types that record red flags checked against ${knowledge.valueSets.size} value sets.`,
  ];
  if (report.gaps.length) {
    out.push(
      '',
      "Codes in no value set whose display or text names a red flag (add them to the red flag's value set, or leave them out on purpose):",
      '',
      table(
        ['SYSTEM', 'CODE', 'RED FLAGS', 'RECORDS', 'PATIENTS', 'RESOURCES', 'DISPLAY'],
        report.gaps.map((g) => [
          g.system,
          g.code,
          g.redFlags.join(', '),
          String(g.records),
          String(g.patients),
          g.resourceTypes.join(', '),
          g.display,
        ]),
      ),
    );
  } else {
    out.push('', 'No code outside the value sets names a red flag.');
  }
  if (report.textOnly.length) {
    out.push(
      '',
      'Entries with no coded value at all whose text names a red flag (the service reads these by text only; the text is not shown):',
      '',
      table(
        ['RED FLAG', 'RECORDS', 'PATIENTS'],
        report.textOnly.map((t) => [t.redFlag, String(t.records), String(t.patients)]),
      ),
    );
  }
  if (report.unreadableLines) {
    out.push(
      '',
      `${report.unreadableLines} line${report.unreadableLines === 1 ? ' was' : 's were'} not a JSON resource ` +
        `and ${report.unreadableLines === 1 ? 'was' : 'were'} skipped: ` +
        `${report.unreadable.map((p) => `${p.file}:${p.line}`).join(', ')}${report.unreadableLines > SHOWN_PROBLEMS ? ', …' : ''}`,
    );
  }
  io.out(out.join('\n'));
  return 0;
}
