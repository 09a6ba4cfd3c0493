/**
 * `validate` on the rule-level tests (test/rule-tests/*.json): each file parses and has the rule
 * test's shape, names facts the engine knows with values of the fact's type, a CDS service that has
 * a rule file, and expected rule ids of that rule file. Every problem has its line and column, like
 * the problems of the knowledge files, so a test that could never pass is found before it is run.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SERVICES } from '../hooks/services.js';
import { isRuleTestJson, RuleTestSchema } from './rule-tests.js';
import { ENGINE_FACT_NAMES, FACT_DOCS, type FactDoc } from '../knowledge/fact-docs.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { suggestion, type Problem } from '../knowledge/problems.js';
import { explainIssues, formatPath } from '../knowledge/messages.js';
import { jsonSyntaxError, positionOfPath } from '../knowledge/positions.js';

export interface RuleTestChecks {
  count: number;
  problems: Problem[];
}

const TYPE_OF: Record<'number' | 'boolean' | 'text', string> = { number: 'number', boolean: 'boolean', text: 'string' };

function valueProblem(fact: string, value: unknown): string | undefined {
  const doc: FactDoc | undefined = (FACT_DOCS as Readonly<Record<string, FactDoc>>)[fact];
  if (!doc || value === null || typeof value === TYPE_OF[doc.type]) return undefined;
  if (doc.type === 'number' && typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) {
    return `is "${value}" in quotes: ${fact} is a number, and the text "${value}" never compares as one; write ${value} without quotes`;
  }
  const kind = `${doc.type === 'text' ? 'text' : doc.type}${doc.unit ? ` (${doc.unit})` : ''}`;
  return `is ${JSON.stringify(value)}; ${fact} is a ${kind}, or null for unknown`;
}

function fileProblems(file: string, shown: string, kb: KnowledgeBase | undefined): Problem[] {
  const text = readFileSync(file, 'utf8');
  const syntax = jsonSyntaxError(text);
  if (syntax) return [{ file: shown, path: '', message: syntax.message, line: syntax.line, column: syntax.column }];
  const json: unknown = JSON.parse(text);
  // A file with a patient is a record-level scenario: `validate` checks those with the scenarios.
  if (!isRuleTestJson(json) && typeof json === 'object' && json !== null && 'patient' in json) return [];
  const at = (path: string, message: string, rule?: string): Problem => ({
    file: shown,
    ...(rule ? { rule } : {}),
    path,
    message,
    ...(positionOfPath(text, path) ?? {}),
  });

  const parsed = RuleTestSchema.safeParse(json);
  if (!parsed.success) return explainIssues(parsed.error.issues, json).map((i) => at(formatPath(i.path), i.message));
  const test = parsed.data;
  const problems: Problem[] = [];
  for (const [fact, value] of Object.entries(test.facts)) {
    if (!ENGINE_FACT_NAMES.includes(fact)) {
      problems.push(
        at(
          `facts.${fact}`,
          `unknown fact "${fact}": fix the name.${suggestion(fact, ENGINE_FACT_NAMES)} ` +
            '(`npx backpain-cds rules` shows the facts each rule uses)',
        ),
      );
      continue;
    }
    const wrong = valueProblem(fact, value);
    if (wrong) problems.push(at(`facts.${fact}`, wrong));
  }
  if (!SERVICES.some((s) => s.id === test.service)) {
    problems.push(
      at(
        'service',
        `"${test.service}" is not a CDS service: fix the id.${suggestion(
          test.service,
          SERVICES.map((s) => s.id),
        )} (services: ${SERVICES.map((s) => s.id).join(', ')})`,
      ),
    );
    return problems;
  }
  if (!kb) return problems; // the knowledge files do not load: their own errors say why
  const ruleSet = kb.ruleSetFor(test.service);
  if (!ruleSet)
    return [
      ...problems,
      at('service', `no rule file serves "${test.service}": add it to a rule file's "services", or test another service`),
    ];
  const known = ruleSet.rules.map((r) => r.id);
  for (const key of ['fired', 'notFired', 'cards'] as const) {
    (test.expect[key] ?? []).forEach((id, i) => {
      if (!known.includes(id))
        problems.push(
          at(
            `expect.${key}[${i}]`,
            `"${id}" is not a rule of ${test.service} (${ruleSet.file}): ` +
              `fix the rule id.${suggestion(id, known)} (its rules: ${known.join(', ')})`,
            id,
          ),
        );
    });
  }
  return problems;
}

/** Checks every rule test in dir; show turns a path into the form messages use. */
export function ruleTestProblems(dir: string, kb: KnowledgeBase | undefined, show: (file: string) => string): RuleTestChecks {
  if (!existsSync(dir)) return { count: 0, problems: [] };
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
  return { count: files.length, problems: files.flatMap((f) => fileProblems(f, show(f), kb)) };
}
