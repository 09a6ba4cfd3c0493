import { resolve } from 'node:path';
import { formatProblem } from '../../knowledge/problems.js';
import { validateFiles } from '../validate-files.js';
import { scenariosDir } from '../../demo/scenarios/load.js';
import type { CliIo } from '../io.js';
import { ruleTestsDir } from './test.js';
import { knowledgeDirs, type KnowledgeOptions } from '../knowledge.js';

export interface ValidateOptions extends KnowledgeOptions {
  scenarios?: string;
  ruleTests?: string;
  json?: boolean;
}

export function validateCommand(options: ValidateOptions, io: CliIo): number {
  const report = validateFiles({
    ...knowledgeDirs(options),
    scenariosDir: resolve(options.scenarios ?? scenariosDir),
    ruleTestsDir: resolve(options.ruleTests ?? ruleTestsDir),
  });
  if (options.json) {
    io.out(JSON.stringify(report, null, 2));
    return report.ok ? 0 : 1;
  }
  const { counts } = report;
  const what =
    `${counts.ruleFiles} rule files (${counts.rules} rules), ${counts.valueSets} value sets, ${counts.cards} cards, ` +
    `${counts.scenarios} scenarios, ${counts.ruleTests} rule tests`;
  for (const p of report.problems) io.out(`${p.severity === 'error' ? 'ERROR  ' : 'warning'} ${formatProblem(p)}`);
  const errors = report.problems.filter((p) => p.severity === 'error').length;
  const warnings = report.problems.length - errors;
  if (report.ok) {
    io.out(`✔ ${what}: valid${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}. Rules version ${report.version}.`);
  } else {
    io.out(
      `✘ ${what}: ${errors} error${errors > 1 ? 's' : ''}${warnings ? `, ${warnings} warning${warnings > 1 ? 's' : ''}` : ''}. ` +
        'The service keeps the last good files until these are fixed.',
    );
  }
  return report.ok ? 0 : 1;
}
