import { existsSync, readFileSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { SERVICES } from '../../hooks/services.js';
import type { KnowledgeBase } from '../../knowledge/load.js';
import { projectRoot } from '../../paths.js';
import { readScenario, scenarioFilePaths, scenariosDir } from '../../demo/scenarios/load.js';
import { cardText, checkExpectation, type RuleExpectation } from '../../demo/scenarios/expectations.js';
import { isRuleTestJson, readRuleTest, runRuleTest, type RuleTest } from '../rule-tests.js';
import { runScenario, sameRules } from '../../demo/scenarios/run.js';
import type { Scenario } from '../../demo/scenarios/schema.js';
import { CliError, type CliIo } from '../io.js';
import { loadForCli, type KnowledgeOptions } from '../knowledge.js';
import { table } from '../table.js';

export interface TestOptions extends KnowledgeOptions {
  json?: boolean;
}

export interface TestResult {
  /** The scenario's or rule test's id (the file, when it cannot be read). */
  scenario: string;
  kind: 'scenario' | 'rule-test';
  file: string;
  service?: string;
  /** Rule ids of the cards expected (scenario "expect"). */
  expected?: string[];
  got?: string[];
  /** Rule ids whose conditions held (rule tests, and scenarios with "checks"). */
  fired?: string[];
  /** What "checks" (scenario) or "expect" (rule test) found wrong. */
  problems?: string[];
  /** The scenario's "checks" for this service, when this row reports them. */
  checks?: RuleExpectation;
  pass: boolean;
  error?: string;
}

/** Rule-level tests (facts given directly) live here; `test` runs them beside the scenarios. */
export const ruleTestsDir = resolve(projectRoot, 'test/rule-tests');

type TestFile = { file: string; scenario: Scenario } | { file: string; ruleTest: RuleTest } | { file: string; error: string };

function readTestFile(file: string): TestFile {
  try {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      return { file, error: `${file}: not readable JSON: ${(err as Error).message}` };
    }
    return isRuleTestJson(json) ? { file, ruleTest: readRuleTest(file, json) } : { file, scenario: readScenario(file) };
  } catch (err) {
    return { file, error: (err as Error).message };
  }
}

function testFiles(paths: string[]): TestFile[] {
  const targets = paths.length ? paths.map((p) => resolve(p)) : [scenariosDir, ...(existsSync(ruleTestsDir) ? [ruleTestsDir] : [])];
  return targets.flatMap((target) => {
    if (!existsSync(target)) throw new CliError(`${target}: no such file or folder`);
    return (statSync(target).isDirectory() ? scenarioFilePaths(target) : [target]).map(readTestFile);
  });
}

const list = (ids: string[] | undefined): string => (ids === undefined ? '' : ids.length ? [...ids].sort().join(', ') : '(no card)');

function describeExpectation(e: RuleExpectation): string {
  return [
    e.fired ? `fired ${e.fired.join(', ')}` : '',
    e.notFired ? `not ${e.notFired.join(', ')}` : '',
    e.cards ? `cards ${list(e.cards)}` : '',
    e.cardContains ? `says ${e.cardContains.map((t) => JSON.stringify(t)).join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
}

async function scenarioResults(knowledge: KnowledgeBase, scenario: Scenario, file: string): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const checks = scenario.checks ?? {};
  const serviceIds = [...new Set([...Object.keys(scenario.expect), ...Object.keys(checks)])];
  if (!serviceIds.length)
    results.push({
      scenario: scenario.id,
      kind: 'scenario',
      file,
      pass: false,
      error: 'the scenario expects nothing: add "expect": {"<service id>": ["<rule id>", ...]}',
    });
  for (const serviceId of serviceIds) {
    const expected = scenario.expect[serviceId];
    const check = checks[serviceId];
    const base = { scenario: scenario.id, kind: 'scenario' as const, file, service: serviceId, ...(expected ? { expected } : {}) };
    const service = SERVICES.find((s) => s.id === serviceId);
    if (!service || !knowledge.ruleSetFor(serviceId)) {
      results.push({ ...base, pass: false, error: service ? `no rule file serves ${serviceId}` : `${serviceId} is not a CDS service` });
      continue;
    }
    try {
      // The trace says which rules fired before precedence; only asked for when a check needs it.
      const answer = await runScenario(knowledge, scenario, service, check !== undefined);
      if (expected) results.push({ ...base, got: answer.firedRules, pass: sameRules(expected, answer.firedRules) });
      if (check) {
        const fired = (answer.trace?.rules ?? []).filter((r) => r.fired).map((r) => r.id);
        const problems = checkExpectation(check, { fired, cards: answer.firedRules, texts: answer.cards.map(cardText) });
        const { expected: _cards, ...rest } = base;
        results.push({ ...rest, checks: check, got: answer.firedRules, fired, problems, pass: problems.length === 0 });
      }
    } catch (err) {
      results.push({ ...base, pass: false, error: (err as Error).message });
    }
  }
  return results;
}

async function ruleTestResult(knowledge: KnowledgeBase, test: RuleTest, file: string): Promise<TestResult> {
  const base = { scenario: test.id, kind: 'rule-test' as const, file, service: test.service };
  try {
    const outcome = await runRuleTest(knowledge, test);
    return { ...base, got: outcome.cards, fired: outcome.fired, problems: outcome.problems, pass: outcome.problems.length === 0 };
  } catch (err) {
    return { ...base, pass: false, error: (err as Error).message };
  }
}

export async function testCommand(paths: string[], options: TestOptions, io: CliIo): Promise<number> {
  const knowledge = loadForCli(options);
  const files = testFiles(paths);
  if (!files.length)
    throw new CliError('no test files found (scenarios are *.json files in test/scenarios/, rule tests in test/rule-tests/)');
  const results: TestResult[] = [];
  const expectations = new Map<TestResult, string>();
  for (const f of files) {
    const file = relative(projectRoot, f.file);
    if ('error' in f) results.push({ scenario: file, kind: 'scenario', file, pass: false, error: f.error });
    else if ('ruleTest' in f) {
      const r = await ruleTestResult(knowledge, f.ruleTest, file);
      expectations.set(r, describeExpectation(f.ruleTest.expect));
      results.push(r);
    } else {
      for (const r of await scenarioResults(knowledge, f.scenario, file)) {
        if (r.checks) expectations.set(r, `checks: ${describeExpectation(r.checks)}`);
        results.push(r);
      }
    }
  }
  const failed = results.filter((r) => !r.pass).length;
  if (options.json) {
    io.out(
      JSON.stringify({ ok: failed === 0, rulesVersion: knowledge.version, passed: results.length - failed, failed, results }, null, 2),
    );
    return failed ? 1 : 0;
  }
  const got = (r: TestResult): string => {
    if (r.error) return `error: ${r.error}`;
    if (r.problems?.length) return r.problems.join('; ');
    return r.fired ? `fired ${r.fired.length ? r.fired.join(', ') : '(none)'}` : list(r.got);
  };
  io.out(
    table(
      ['RESULT', 'SCENARIO', 'SERVICE', 'EXPECTED', 'GOT'],
      results.map((r) => [r.pass ? 'pass' : 'FAIL', r.scenario, r.service ?? '', expectations.get(r) ?? list(r.expected), got(r)]),
    ),
  );
  io.out('');
  const scenarios = files.filter((f) => !('ruleTest' in f)).length;
  const ruleTests = files.length - scenarios;
  io.out(
    `${scenarios} scenario files, ${ruleTests} rule test files, ${results.length} checks: ` +
      `${results.length - failed} passed, ${failed} failed. Rules version ${knowledge.version}.`,
  );
  if (failed) io.out('See why with: npx backpain-cds explain <scenario file>');
  return failed ? 1 : 0;
}
