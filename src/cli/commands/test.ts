import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { SERVICES } from '../../hooks/services.js';
import { projectRoot } from '../../paths.js';
import { scenariosDir } from '../../scenarios/load.js';
import { readScenarioFiles, runScenario, sameRules, type ScenarioFile } from '../../scenarios/run.js';
import { CliError, type CliIo } from '../io.js';
import { loadForCli, type KnowledgeOptions } from '../knowledge.js';
import { table } from '../table.js';

export interface TestOptions extends KnowledgeOptions {
  json?: boolean;
}

export interface TestResult {
  scenario: string;
  file: string;
  service?: string;
  expected?: string[];
  got?: string[];
  pass: boolean;
  error?: string;
}

function scenarioFiles(paths: string[]): ScenarioFile[] {
  const targets = paths.length ? paths.map((p) => resolve(p)) : [scenariosDir];
  return targets.flatMap((target) => {
    if (!existsSync(target)) throw new CliError(`${target}: no such file or folder`);
    if (statSync(target).isDirectory()) return readScenarioFiles(target);
    const dir = resolve(target, '..');
    return readScenarioFiles(dir).filter((f) => f.file === target);
  });
}

const list = (ids: string[] | undefined): string => (ids === undefined ? '' : ids.length ? [...ids].sort().join(', ') : '(no card)');

export async function testCommand(paths: string[], options: TestOptions, io: CliIo): Promise<number> {
  const knowledge = loadForCli(options);
  const files = scenarioFiles(paths);
  if (!files.length) throw new CliError('no scenario files found (they are *.json files in test/scenarios/)');
  const results: TestResult[] = [];
  for (const f of files) {
    const file = relative(projectRoot, f.file);
    if (!f.scenario) {
      results.push({ scenario: file, file, pass: false, error: f.error ?? 'not a scenario' });
      continue;
    }
    const scenario = f.scenario;
    const expectations = Object.entries(scenario.expect);
    if (!expectations.length) results.push({ scenario: scenario.id, file, pass: false, error: 'the scenario expects nothing: add "expect": {"<service id>": ["<rule id>", ...]}' });
    for (const [serviceId, expected] of expectations) {
      const base = { scenario: scenario.id, file, service: serviceId, expected };
      const service = SERVICES.find((s) => s.id === serviceId);
      if (!service || !knowledge.ruleSetFor(serviceId)) {
        results.push({ ...base, pass: false, error: service ? `no rule file serves ${serviceId}` : `${serviceId} is not a CDS service` });
        continue;
      }
      try {
        const answer = await runScenario(knowledge, scenario, service);
        results.push({ ...base, got: answer.firedRules, pass: sameRules(expected, answer.firedRules) });
      } catch (err) {
        results.push({ ...base, pass: false, error: (err as Error).message });
      }
    }
  }
  const failed = results.filter((r) => !r.pass).length;
  if (options.json) {
    io.out(JSON.stringify({ ok: failed === 0, rulesVersion: knowledge.version, passed: results.length - failed, failed, results }, null, 2));
    return failed ? 1 : 0;
  }
  io.out(
    table(
      ['RESULT', 'SCENARIO', 'SERVICE', 'EXPECTED', 'GOT'],
      results.map((r) => [r.pass ? 'pass' : 'FAIL', r.scenario, r.service ?? '', list(r.expected), r.error ? `error: ${r.error}` : list(r.got)]),
    ),
  );
  io.out('');
  io.out(`${files.length} scenario files, ${results.length} checks: ${results.length - failed} passed, ${failed} failed. Rules version ${knowledge.version}.`);
  if (failed) io.out('See why with: npx backpain-cds explain <scenario file>');
  return failed ? 1 : 0;
}
