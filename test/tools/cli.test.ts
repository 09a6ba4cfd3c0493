/** The informatician's CLI: test, explain and cards on scenario and request files; help and exit codes. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../src/cli/program.js';
import type { ExplainTrace } from '../../src/explain/trace.js';
import { SERVICES } from '../../src/hooks/services.js';
import { projectRoot } from '../../src/paths.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { captureIo } from '../support/cli.js';
import { regExp } from '../support/regexp.js';

const scenarioFile = (id: string): string => join(scenariosDir, `${id}.json`);
let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'backpain-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('test', () => {
  test('every scenario in test/scenarios passes, shown as a table', async () => {
    const { code, out } = await run('test');
    expect(out).toMatch(/^RESULT +SCENARIO +SERVICE +EXPECTED +GOT$/m);
    expect(out).toMatch(/^pass +imaging-repeat-replaces-defer +back-pain-imaging-select +imaging-repeat +imaging-repeat$/m);
    expect(out).toMatch(/\d+ scenario files, \d+ rule test files, \d+ checks: \d+ passed, 0 failed/);
    // Rule tests in test/rule-tests run beside the scenarios, and a scenario's "checks" get a row of their own.
    expect(out).toMatch(
      regExp(
        /^pass +imaging-defer-day-41-fires +back-pain-imaging-select +fired imaging-defer; not imaging-repeat, cauda-equina-emergency;/,
        / cards imaging-defer; says "Remove the lumbar imaging order" +fired imaging-defer$/m,
      ),
    );
    expect(out).toMatch(
      regExp(
        /^pass +imaging-repeat-replaces-defer +back-pain-imaging-select +checks: fired imaging-defer, imaging-repeat; says "300 days ago/,
        / \(2026-01-27\)" +fired imaging-repeat, imaging-defer$/m,
      ),
    );
    expect(code).toBe(0);
  });

  test('a rule test gives facts directly; each unmet expectation is named, and unknown facts or rule ids are errors', async () => {
    const ruleTest = (id: string, facts: Record<string, unknown>, expect: Record<string, unknown>): string => {
      const file = join(tmp, `${id}.json`);
      writeFileSync(file, JSON.stringify({ id, description: 'x', service: 'back-pain-imaging-select', facts, expect }));
      return file;
    };
    const adult = { ageYears: 40, openEpisode: true, redFlagCount: 0, caudaEquinaSignCount: 0 };
    const wrong = ruleTest(
      'wrong-expectations',
      { ...adult, episodeDays: 50 },
      { fired: ['imaging-defer'], cards: ['imaging-defer'], cardContains: ['no such words'] },
    );
    const strange = ruleTest('strange-names', { ...adult, episodeDay: 10 }, { fired: ['imaging-defer'] });
    const stranger = ruleTest('strange-rule', adult, { notFired: ['imaging-deferral'] });
    const good = ruleTest('day-10', { ...adult, episodeDays: 10 }, { fired: ['imaging-defer'], cards: ['imaging-defer'] });
    const { code, out } = await run('test', wrong, strange, stranger, good);
    expect(out).toMatch(
      regExp(
        /^FAIL +wrong-expectations +back-pain-imaging-select +.* +imaging-defer did not fire; cards \(none\), expected imaging-defer; no/,
        / card says "no such words"$/m,
      ),
    );
    expect(out).toMatch(/^FAIL +strange-names +.*error: unknown fact "episodeDay" \(known facts: ageYears, /m);
    expect(out).toMatch(/^FAIL +strange-rule +.*error: "imaging-deferral" is not a rule of rules\/back-pain-imaging.json/m);
    expect(out).toMatch(/^pass +day-10 /m);
    expect(out).toMatch(/0 scenario files, 4 rule test files, 4 checks: 1 passed, 3 failed/);
    expect(code).toBe(1);
  });

  test("a scenario's checks fail on their own row when a rule did not fire or a card does not say the words", async () => {
    const scenario = JSON.parse(readFileSync(scenarioFile('imaging-defer-acute-41-days'), 'utf8')) as Record<string, unknown>;
    scenario.id = 'checks-that-fail';
    scenario.checks = {
      'back-pain-imaging-sign': {
        fired: ['imaging-repeat'],
        notFired: ['imaging-defer'],
        cardContains: ['Remove the lumbar imaging order', 'not in any card'],
      },
    };
    const file = join(tmp, 'checks-that-fail.json');
    writeFileSync(file, JSON.stringify(scenario));
    const { code, out } = await run('test', file);
    expect(out).toMatch(/^pass +checks-that-fail +back-pain-imaging-sign +imaging-defer +imaging-defer$/m);
    expect(out).toMatch(
      regExp(
        /^FAIL +checks-that-fail +back-pain-imaging-sign +checks: .* +imaging-repeat did not fire; imaging-defer fired; no card says/,
        / "not in any card"$/m,
      ),
    );
    expect(code).toBe(1);
  });

  test('a scenario whose expectation the rules do not meet fails, with exit code 1', async () => {
    const scenario = JSON.parse(readFileSync(scenarioFile('imaging-defer-acute-41-days'), 'utf8')) as {
      id: string;
      expect: Record<string, string[]>;
    };
    scenario.id = 'expects-the-wrong-card';
    scenario.expect = { 'back-pain-imaging-select': ['imaging-repeat'] };
    const file = join(tmp, 'wrong.json');
    writeFileSync(file, JSON.stringify(scenario));
    const { code, out } = await run('test', file, scenarioFile('imaging-defer-acute-41-days'));
    expect(out).toMatch(/^FAIL +expects-the-wrong-card +back-pain-imaging-select +imaging-repeat +imaging-defer$/m);
    expect(out).toMatch(/^pass +imaging-defer-acute-41-days/m);
    expect(out).toMatch(/3 checks: 2 passed, 1 failed/);
    expect(code).toBe(1);
  });

  test('--json reports each check for machines; a broken scenario file is a failure, not a crash', async () => {
    const broken = join(tmp, 'broken.json');
    writeFileSync(
      broken,
      JSON.stringify({ id: 'Broken', description: 'x', now: 'yesterday', patient: { resourceType: 'Patient', id: 'p' }, expect: {} }),
    );
    const { code, out } = await run('test', '--json', broken, scenarioFile('red-flag-blocks-repeat'));
    const report = JSON.parse(out) as {
      ok: boolean;
      passed: number;
      failed: number;
      results: { scenario: string; pass: boolean; error?: string; got?: string[] }[];
    };
    expect(report.ok).toBe(false);
    expect(report.failed).toBe(1);
    const error = report.results.find((r) => r.scenario.endsWith('broken.json'))?.error;
    expect(error).toMatch(/id: use lower-case words joined by hyphens/);
    expect(error).toMatch(/now: use a date and time with its zone/);
    expect(report.results.filter((r) => r.scenario === 'red-flag-blocks-repeat').every((r) => r.pass && Array.isArray(r.got))).toBe(true);
    expect(code).toBe(1);
  });
});

describe('rules', () => {
  test('every rule with its file, services, conditions in words, card and status; --service narrows; --json for machines', async () => {
    const all = await run('rules');
    expect(all.code).toBe(0);
    expect(all.out).toMatch(/^rules\/back-pain-imaging.json {2}\(services: back-pain-imaging-select, back-pain-imaging-sign\)$/m);
    expect(all.out).toMatch(
      regExp(
        /^ {2}imaging-defer {2}\[live, one card per order\] {2}Defer lumbar imaging in the first 6 weeks of back pain\n {6}when:/,
        / ageYears ≥ 18 and openEpisode = true and episodeDays < 42 and redFlagCount = 0\n {6}card: cards\/imaging-defer.json/,
        / \(warning\): /m,
      ),
    );
    expect(all.out).toMatch(/when: .* and \(therapyReferralDaysAgo is unknown or therapyReferralDaysAgo > 365\)$/m);
    expect(all.out).toMatch(/^15 rules\. Rules version [0-9a-f]{16}\.$/m);
    const one = await run('rules', '--service', 'chronic-pain-therapy-referral', '--json');
    const listing = JSON.parse(one.out) as { rules: { id: string; status: string; services: string[] }[] };
    expect(listing.rules.map((r) => [r.id, r.status])).toEqual([
      ['chronic-pain-therapy-referral', 'live'],
      ['chronic-pain-mood-screen', 'live'],
    ]);
  });
});

describe('explain', () => {
  test('shows only the facts its rules use, and a red flag outside its window as a near miss, not "none found"', async () => {
    const { code, out } = await run('explain', scenarioFile('imaging-defer-fever-15-days-ago'), '--service', 'back-pain-imaging-select');
    expect(code).toBe(0);
    const facts = out.slice(out.indexOf('\nFacts\n'), out.indexOf('\nRules\n'));
    expect([...facts.matchAll(/^ {2}(\w+) = /gm)].map((m) => m[1])).toEqual([
      'ageYears',
      'openEpisode',
      'episodeDays',
      'redFlagCount',
      'caudaEquinaSignCount',
      'priorLumbarImagingDaysAgo',
    ]);
    expect(facts).toMatch(
      regExp(
        /redFlagCount = 0\n +Near miss: Fever \(last 14 days\), Body temperature 38\.5 °C \(Observation\/bp-fever-15d-temp,/,
        / 2026-11-08\): outside the 14-day window \(15 days ago\)\. None counts\. Checked: /,
      ),
    );
  });

  test('every rule, fired or not, each condition with its value and the FHIR resource and date behind it', async () => {
    const { code, out } = await run('explain', scenarioFile('imaging-repeat-replaces-defer'), '--service', 'back-pain-imaging-select');
    expect(code).toBe(0);
    expect(out).toMatch(/priorLumbarImagingDaysAgo = 300\n +from Procedure\/bp-repeat-early-mri-prior \(2026-01-27\)/);
    expect(out).toMatch(/✘ cauda-equina-emergency.*\n +Did not fire: caudaEquinaSignCount is 0, rule needs > 0\./);
    expect(out).toMatch(/✔ imaging-repeat.*\n +Fired: card shown for ServiceRequest\/bp-repeat-early-mri\./);
    expect(out).toMatch(/⤳ imaging-defer.*\n +Fired: card replaced for ServiceRequest\/bp-repeat-early-mri by imaging-repeat/);
    expect(out).toMatch(/✔ episodeDays is 15, rule needs < 42\n +from Condition\/bp-repeat-early-lbp \(2026-11-08\)/);
    expect(out).toMatch(/Cards returned: imaging-repeat/);
  });

  test('an undated episode: the unknown fact and why it is unknown', async () => {
    const { out } = await run('explain', scenarioFile('episode-undated-no-defer'), '--service', 'back-pain-imaging-sign');
    expect(out).toMatch(/episodeDays = unknown/);
    expect(out).toMatch(/✘ episodeDays is unknown, rule needs < 42/);
    expect(out).toMatch(/Could not be decided from the record\n {2}- The episode's Condition \(Condition\/[^)]+\) has no full date/);
  });

  test('--json gives the same trace as ?explain=true, one per service the scenario expects', async () => {
    const { out } = await run('explain', '--json', scenarioFile('cauda-equina-urinary-retention'));
    const { traces } = JSON.parse(out) as { traces: ExplainTrace[] };
    expect(traces.map((t) => t.service).sort()).toEqual(['back-pain-imaging-select', 'back-pain-imaging-sign']);
    const trace = traces[0]!;
    expect(trace.evaluated).toBe(true);
    const signs = trace.facts?.find((f) => f.name === 'caudaEquinaSignCount');
    expect(signs?.value).toBeGreaterThan(0);
    expect(signs?.evidence?.[0]).toEqual(
      expect.objectContaining({
        reference: expect.stringMatching(/^Condition\//),
        date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
        label: expect.any(String),
      }),
    );
    const defer = trace.rules?.find((r) => r.id === 'imaging-defer');
    expect(defer?.outcomes?.every((o) => !o.shown && o.replacedBy?.includes('cauda-equina-emergency'))).toBe(true);
  });

  test('a saved CDS Hooks request file is explained for every service of its hook', async () => {
    const scenario = readScenario(scenarioFile('imaging-defer-acute-41-days'));
    const sign = SERVICES.find((s) => s.id === 'back-pain-imaging-sign')!;
    const file = join(tmp, 'request.json');
    writeFileSync(file, JSON.stringify(scenarioRequest(scenario, sign, { prefetch: 'all' })));
    const { code, out } = await run('explain', file, '--now', scenario.now);
    expect(code).toBe(0);
    expect(out).toMatch(/^Service back-pain-imaging-sign \(order-sign\) at 2026-11-23T10:00:00\.000Z/);
    expect(out).toMatch(/✔ imaging-defer/);
  });

  test('a request with no lumbar order says the rules never ran, and why', async () => {
    const { out } = await run('explain', scenarioFile('non-lumbar-knee-xray'), '--service', 'back-pain-imaging-select');
    expect(out).toMatch(/No lumbar imaging order \(value set lumbar-imaging\) is selected, so the record was not read and no rule ran\./);
  });
});

describe('cards', () => {
  test('prints the cards as a clinician reads them', async () => {
    const { code, out } = await run('cards', scenarioFile('imaging-defer-acute-41-days'), '--service', 'back-pain-imaging-select');
    expect(code).toBe(0);
    expect(out).toMatch(/^back-pain-imaging-select \(order-select\): 1 card$/m);
    expect(out).toMatch(/^\[WARNING\] Imaging is unlikely to help yet: back pain for 41 days/m);
    expect(out).toMatch(
      regExp(
        /Suggestions \(choose at most one\):\n {4}1\. Remove the lumbar imaging order \(recommended\)\n {7}- delete/,
        / ServiceRequest\/bp-defer-41-mri/,
      ),
    );
    expect(out).toMatch(/Links:\n {4}- NHS: back pain \(patient leaflet\) <https:\/\/www\.nhs\.uk\/conditions\/back-pain\/>/);
    expect(out).toMatch(/Override reasons: Red flag found on examination;/);
    expect(out).not.toMatch(/\*\*/);
  });

  test('--json is the response the EHR would get', async () => {
    const { out } = await run('cards', '--json', scenarioFile('cauda-equina-urinary-retention'), '--service', 'back-pain-imaging-sign');
    const { results } = JSON.parse(out) as {
      results: { service: string; response: { cards: { indicator: string; source: { topic: { code: string } } }[] } }[];
    };
    expect(results).toHaveLength(1);
    expect(results[0]?.response.cards.map((c) => [c.indicator, c.source.topic.code])).toEqual([['critical', 'cauda-equina-emergency']]);
  });
});

describe('help and errors', () => {
  test.each([[], ['validate'], ['test'], ['explain'], ['cards'], ['schemas']])('backpain-cds %s --help', async (...cmd) => {
    const { code, out } = await run(...cmd, '--help');
    expect(code).toBe(0);
    expect(out).toMatch(/^Usage: backpain-cds/m);
    if (cmd.length) expect(out).toMatch(/--json/);
  });

  test('an unknown command, a missing file and an unknown service exit non-zero with a reason', async () => {
    expect((await run('validat')).code).not.toBe(0);
    const missing = await run('explain', join(tmp, 'nope.json'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.json: not readable JSON/);
    const service = await run('cards', scenarioFile('imaging-defer-acute-41-days'), '--service', 'no-such-service');
    expect(service.code).toBe(1);
    expect(service.err).toMatch(/--service "no-such-service" is not a service with rules loaded \(services: back-pain-imaging-select/);
  });
});

describe('npx backpain-cds', () => {
  test('the bin runs under plain node (no flags), building dist/ when needed, and --json stays clean', () => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    const res = spawnSync(process.execPath, [join(projectRoot, 'bin/backpain-cds.js'), 'validate', '--json'], {
      cwd: projectRoot,
      env,
      encoding: 'utf8',
      timeout: 110_000,
    });
    expect(res.status).toBe(0);
    const report = JSON.parse(res.stdout) as { ok: boolean; version: string };
    expect(report.ok).toBe(true);
    expect(report.version).toMatch(/^[0-9a-f]{16}$/);
  }, 120_000);
});
