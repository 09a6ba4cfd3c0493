/**
 * `backpain-cds validate`: everything the service checks when it loads the files, plus what helps
 * an informatician but does not stop the service: each file names its JSON Schema, and each
 * scenario expects rule ids and services that exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { SERVICES } from '../hooks/services.js';
import { projectRoot } from '../paths.js';
import { readScenarioFiles } from '../scenarios/run.js';
import { KnowledgeError, loadKnowledge, type KnowledgeBase, type KnowledgeDirs, type Problem } from './load.js';

export interface Finding extends Problem {
  severity: 'error' | 'warning';
}

export interface ValidationReport {
  ok: boolean;
  /** The rule set's version when it loads. */
  version?: string;
  counts: { ruleFiles: number; rules: number; valueSets: number; cards: number; scenarios: number };
  problems: Finding[];
}

export interface ValidateDirs extends KnowledgeDirs {
  scenariosDir?: string;
}

const show = (file: string): string => relative(projectRoot, file) || file;

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort().map((f) => join(dir, f));
}

/** Each file should name its schema by a path relative to itself, so any editor finds it. */
function schemaReferences(dirs: ValidateDirs): Finding[] {
  const schemas = join(dirs.rulesDir, 'schemas');
  const findings = join(dirs.rulesDir, 'findings.json');
  const groups: [string[], string][] = [
    [jsonFiles(dirs.rulesDir).filter((f) => f !== findings), 'rule-file.schema.json'],
    [existsSync(findings) ? [findings] : [], 'findings.schema.json'],
    [jsonFiles(join(dirs.rulesDir, 'valuesets')), 'valueset.schema.json'],
    [jsonFiles(dirs.cardsDir), 'card.schema.json'],
    [dirs.scenariosDir ? jsonFiles(dirs.scenariosDir) : [], 'scenario.schema.json'],
  ];
  const out: Finding[] = [];
  for (const [files, schema] of groups) {
    for (const file of files) {
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        continue; // loading reports unreadable files
      }
      const target = join(schemas, schema);
      const near = relative(dirname(file), target);
      const expected = near.startsWith('.') ? near : `./${near}`;
      const actual = (json as { $schema?: unknown }).$schema;
      if (typeof actual !== 'string' || resolve(dirname(file), actual) !== target) {
        out.push({
          severity: 'warning',
          file: show(file),
          path: '$schema',
          message: `${actual === undefined ? 'is missing' : `is ${JSON.stringify(actual)}`}: set "$schema": "${expected}" so your editor checks this file as you type`,
        });
      }
    }
  }
  return out;
}

function scenarioProblems(dir: string, kb: KnowledgeBase | undefined): { count: number; problems: Finding[] } {
  const files = readScenarioFiles(dir);
  const problems: Finding[] = [];
  for (const f of files) {
    if (f.error || !f.scenario) {
      problems.push({ severity: 'error', file: show(f.file), path: '', message: `${(f.error ?? '').replace(`${f.file}: `, '')}` });
      continue;
    }
    for (const [serviceId, expected] of Object.entries(f.scenario.expect)) {
      const path = `expect.${serviceId}`;
      if (!SERVICES.some((s) => s.id === serviceId)) {
        problems.push({ severity: 'error', file: show(f.file), path, message: `"${serviceId}" is not a CDS service: fix the id (services: ${SERVICES.map((s) => s.id).join(', ')})` });
        continue;
      }
      if (!kb) continue;
      const ruleSet = kb.ruleSetFor(serviceId);
      if (!ruleSet) {
        problems.push({ severity: 'error', file: show(f.file), path, message: `no rule file serves "${serviceId}": add it to a rule file's "services", or remove this expectation` });
        continue;
      }
      expected.forEach((rule, i) => {
        if (!ruleSet.rules.some((r) => r.id === rule)) {
          problems.push({ severity: 'error', file: show(f.file), rule, path: `${path}[${i}]`, message: `"${rule}" is not a rule of ${serviceId} (${ruleSet.file}): fix the rule id` });
        }
      });
    }
  }
  return { count: files.length, problems };
}

export function validateFiles(dirs: ValidateDirs): ValidationReport {
  let kb: KnowledgeBase | undefined;
  const problems: Finding[] = [];
  try {
    kb = loadKnowledge(dirs);
  } catch (err) {
    if (!(err instanceof KnowledgeError)) throw err;
    problems.push(...err.problems.map((p): Finding => ({ severity: 'error', ...p })));
  }
  const scenarios = dirs.scenariosDir && existsSync(dirs.scenariosDir) ? scenarioProblems(dirs.scenariosDir, kb) : { count: 0, problems: [] };
  problems.push(...scenarios.problems, ...schemaReferences(dirs));
  const ruleFiles = jsonFiles(dirs.rulesDir).filter((f) => f !== join(dirs.rulesDir, 'findings.json'));
  return {
    ok: !problems.some((p) => p.severity === 'error'),
    ...(kb ? { version: kb.version } : {}),
    counts: {
      ruleFiles: ruleFiles.length,
      rules: kb ? kb.ruleSets.reduce((n, s) => n + s.rules.length, 0) : 0,
      valueSets: jsonFiles(join(dirs.rulesDir, 'valuesets')).length,
      cards: jsonFiles(dirs.cardsDir).length,
      scenarios: scenarios.count,
    },
    problems,
  };
}
