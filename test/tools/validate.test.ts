/**
 * `validate` finds what an informatician gets wrong, and each message names the file, the rule and
 * the JSON path, and says what to do.
 */
import { runCli } from '../../src/cli/program.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { validateFiles, type Finding } from '../../src/knowledge/validate.js';
import { scenariosDir } from '../../src/scenarios/load.js';
import { copyKnowledge, type KnowledgeCopy } from '../support/knowledge-copy.js';
import { captureIo } from '../support/cli.js';

type Json = Record<string, unknown>;
type RuleFile = { rules: { id: string; scope: string; replaces?: string[]; conditions: { all: Json[] } }[]; services: string[] };
type Card = { rule: string; summary: string; detail: string[]; links?: { url: string }[]; source: { url?: string } };
type ValueSet = { codes: { system: string; code: string; match?: string }[] };

let copy: KnowledgeCopy;
beforeEach(() => {
  copy = copyKnowledge();
});
afterEach(() => copy.remove());

function problems(): Finding[] {
  return validateFiles({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir, scenariosDir }).problems;
}

const ICD = 'http://hl7.org/fhir/sid/icd-10-cm';

const cases: [string, (c: KnowledgeCopy) => void, Omit<Partial<Finding>, 'message'> & { message: RegExp }][] = [
  [
    'a rule without a card',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.id = 'imaging-wait')),
    { file: 'rules/back-pain-imaging.json', rule: 'imaging-wait', path: 'rules[2].id', message: /no card template: add cards\/imaging-wait\.json/ },
  ],
  [
    'a card without a rule',
    (c) => c.write('cards/imaging-later.json', JSON.stringify({ ...c.readJson<Card>('cards/imaging-defer.json'), rule: 'imaging-later' })),
    { file: 'cards/imaging-later.json', rule: 'imaging-later', path: 'rule', message: /no rule "imaging-later" in any rule file: fix "rule", add the rule, or delete this card/ },
  ],
  [
    'an unknown fact, pointed at its condition',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.fact = 'episodeWeeks')),
    { rule: 'imaging-defer', path: 'rules[2].conditions.all[2].fact', message: /unknown fact "episodeWeeks": fix the name \(known facts: .*episodeDays/ },
  ],
  [
    'an operator that does not exist',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.operator = 'below')),
    { rule: 'imaging-defer', path: 'rules[2].conditions.all[2].operator', message: /is "below"; use one of "equal", .*"lessThan"/ },
  ],
  [
    'a misspelt condition field',
    (c) =>
      c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => {
        const cond = f.rules[2]!.conditions.all[2]!;
        cond.fcat = cond.fact;
        delete cond.fact;
      }),
    { rule: 'imaging-defer', path: 'rules[2].conditions.all[2]', message: /unknown field "fcat": remove it or fix the spelling/ },
  ],
  [
    'a threshold written as text',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.value = { weeks: 6 })),
    { rule: 'imaging-defer', path: 'rules[2].conditions.all[2].value', message: /is an object; use one of: number, string, boolean, null, array/ },
  ],
  [
    'a number written in quotes for a numeric comparison',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.value = '42')),
    { rule: 'imaging-defer', path: 'rules[2].conditions.all[2].value', message: /lessThan compares numbers, and the value is "42": write a number without quotes/ },
  ],
  [
    'replaces names a rule that is not there',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[1]!.replaces = ['imaging-deferral'])),
    { rule: 'imaging-repeat', path: 'rules[1].replaces[0]', message: /replaces "imaging-deferral", which is not a rule in this file: fix the id or remove it/ },
  ],
  [
    'a service id that does not exist',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.services[0] = 'back-pain-imaging-selct')),
    { path: 'services[0]', message: /"back-pain-imaging-selct" is not a CDS service of this product: fix the id/ },
  ],
  [
    'a card placeholder no fact provides',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void (f.summary = 'Back pain for {{episode.duration}} days.')),
    { file: 'cards/imaging-defer.json', rule: 'imaging-defer', path: 'placeholders', message: /\{\{episode\.duration\}\} is not a card variable: fix the name or remove it \(known: .*episode\.days/ },
  ],
  [
    'an order placeholder on a card of a patient-scoped rule',
    (c) => c.editJson<Card>('cards/cauda-equina-emergency.json', (f) => void f.detail.push('Order: {{order.display}}')),
    { file: 'cards/cauda-equina-emergency.json', rule: 'cauda-equina-emergency', path: 'placeholders', message: /\{\{order\.display\}\} name an order, but rule "cauda-equina-emergency" gives one card per patient/ },
  ],
  [
    'a placeholder the rule does not guarantee a value for',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void f.detail.push('Last imaging: {{priorImaging.date}}')),
    {
      file: 'cards/imaging-defer.json',
      rule: 'imaging-defer',
      path: 'placeholders',
      message: /\{\{priorImaging\.date\}\} has a value only for a patient with prior lumbar imaging, and rule "imaging-defer" can fire without one: add the condition \{"fact": "priorLumbarImagingDaysAgo"/,
    },
  ],
  [
    'a javascript: link in a card',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void (f.links![0]!.url = 'javascript:alert(1)')),
    { file: 'cards/imaging-defer.json', path: 'links[0].url', message: /use an absolute http:\/\/ or https:\/\/ address/ },
  ],
  [
    'a duplicate code, with and without the ICD-10-CM dot',
    (c) => c.editJson<ValueSet>('rules/valuesets/red-flag-hiv.json', (f) => void f.codes.push({ system: ICD, code: 'B20' }, { system: ICD, code: 'b20' })),
    { file: 'rules/valuesets/red-flag-hiv.json', message: /duplicate code http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm\|b20 \(also codes\[\d+\]\): remove one of them/ },
  ],
  [
    'a code a prefix entry already matches',
    (c) => c.editJson<ValueSet>('rules/valuesets/back-pain.json', (f) => void f.codes.push({ system: ICD, code: 'M54.50' })),
    { file: 'rules/valuesets/back-pain.json', message: /M54\.50 is already matched by the prefix entry codes\[0\] \(M54\.5\): remove this entry/ },
  ],
  [
    'a missing value set in findings.json',
    (c) => c.editJson<{ redFlags: { valueSet: string }[] }>('rules/findings.json', (f) => void (f.redFlags[0]!.valueSet = 'red-flag-cancers')),
    { file: 'rules/findings.json', path: 'redFlags[0].valueSet', message: /value set "red-flag-cancers" does not exist in rules\/valuesets\/ \(add rules\/valuesets\/red-flag-cancers\.json or fix the name\)/ },
  ],
  [
    'a value set whose id is not its file name',
    (c) => c.editJson<{ id: string }>('rules/valuesets/red-flag-hiv.json', (f) => void (f.id = 'hiv')),
    { file: 'rules/valuesets/red-flag-hiv.json', path: 'id', message: /must equal the file name "red-flag-hiv": change the id or rename the file/ },
  ],
  [
    'a card link that is not in cards/links.json',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void (f.links![0]!.url = 'https://www.nhs.uk/conditions/back-pain-new/')),
    { file: 'cards/imaging-defer.json', rule: 'imaging-defer', path: 'links[0].url', message: /https:\/\/www\.nhs\.uk\/conditions\/back-pain-new\/ is not in cards\/links\.json: add it there with its publisher/ },
  ],
  [
    'a listed link that is not on its publisher\'s own site',
    (c) =>
      c.editJson<{ links: { url: string; publisher: string }[] }>('cards/links.json', (f) => {
        f.links.push({ ...f.links[0]!, url: 'https://www.mirror-of-nice.example/guidance/ng59' });
      }),
    { file: 'cards/links.json', path: 'links[11].url', message: /is not on NICE's own site \(www\.nice\.org\.uk, cks\.nice\.org\.uk\): link to the publisher's canonical page/ },
  ],
  [
    'a listed link from a publisher that is not on the list',
    (c) => c.editJson<{ links: { publisher: string }[] }>('cards/links.json', (f) => void (f.links[0]!.publisher = 'AAFP')),
    { file: 'cards/links.json', path: 'links[0].publisher', message: /use one of "NICE", "NHS", "ACR", "MedlinePlus", "Versus Arthritis", "Keele STarT Back"/ },
  ],
  [
    'a red flag whose urgency level does not exist',
    (c) =>
      c.editJson<{ redFlags: { urgency: { level: string } }[] }>('rules/findings.json', (f) => void (f.redFlags[0]!.urgency.level = 'urgent')),
    { file: 'rules/findings.json', path: 'redFlags[0].urgency.level', message: /"urgent" is not an urgency level: use one of same-day, within-24-hours, within-days/ },
  ],
  [
    'a card without its clinical review',
    (c) => c.editJson<Card & { clinicalReview?: unknown }>('cards/imaging-defer.json', (f) => void delete f.clinicalReview),
    { file: 'cards/imaging-defer.json', rule: 'imaging-defer', path: 'clinicalReview', message: /missing/ },
  ],
  [
    'a card signed off without the reviewer\'s role',
    (c) => c.editJson<Card & { clinicalReview?: unknown }>('cards/imaging-defer.json', (f) => void (f.clinicalReview = { status: 'signed-off', lastReviewed: '2026-12-10' })),
    { file: 'cards/imaging-defer.json', rule: 'imaging-defer', path: 'clinicalReview.reviewerRole', message: /missing/ },
  ],
  [
    'a file that is not JSON',
    (c) => c.write('cards/imaging-repeat.json', '{ "rule": "imaging-repeat", '),
    { file: 'cards/imaging-repeat.json', message: /not readable JSON/ },
  ],
];

test.each(cases)('%s', (_name, change, expected) => {
  change(copy);
  const found = problems().filter((p) => p.severity === 'error');
  const { message, ...where } = expected;
  expect(found).toEqual(expect.arrayContaining([expect.objectContaining({ severity: 'error', ...where, message: expect.stringMatching(message) })]));
  // The running service refuses the same files: validate says what loading would say.
  expect(() => loadKnowledge({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir })).toThrow();
});

test('warnings do not fail: markup in card text and a missing $schema', async () => {
  copy.editJson<Card & { $schema?: string }>('cards/imaging-defer.json', (f) => {
    f.detail.push('<b>bold</b> and [x](javascript:alert(1))');
    delete f.$schema;
  });
  const found = problems();
  expect(found).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ severity: 'warning', file: 'cards/imaging-defer.json', path: '$schema', message: expect.stringMatching(/is missing: set "\$schema": "\.\.\/rules\/schemas\/card\.schema\.json"/) }),
      expect.objectContaining({ severity: 'warning', rule: 'imaging-defer', message: expect.stringMatching(/contains markup "<b>"/) }),
    ]),
  );
  expect(found.every((p) => p.severity === 'warning')).toBe(true);
  const io = captureIo();
  expect(await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir], io)).toBe(0);
  expect(io.stdout()).toMatch(/✔ .* valid, 2 warnings/);
});

test('the CLI exits 1 and prints each problem; --json gives the same problems for machines', async () => {
  copy.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.fact = 'episodeWeeks'));
  const text = captureIo();
  expect(await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir], text)).toBe(1);
  expect(text.stdout()).toMatch(/ERROR +rules\/back-pain-imaging\.json \(rule "imaging-defer"\): rules\[2\]\.conditions\.all\[2\]\.fact: unknown fact "episodeWeeks"/);
  expect(text.stdout()).toMatch(/✘ .*1 error/);

  const json = captureIo();
  expect(await runCli(['validate', '--json', '--rules', copy.rulesDir, '--cards', copy.cardsDir], json)).toBe(1);
  const report = JSON.parse(json.stdout()) as { ok: boolean; problems: Finding[] };
  expect(report.ok).toBe(false);
  expect(report.problems).toEqual([expect.objectContaining({ severity: 'error', rule: 'imaging-defer', path: 'rules[2].conditions.all[2].fact' })]);
});

test('the project files are valid', async () => {
  const io = captureIo();
  expect(await runCli(['validate'], io)).toBe(0);
  expect(io.stdout()).toMatch(/^✔ \d+ rule files .* valid\. Rules version [0-9a-f]{16}\.$/m);
});
