/**
 * `validate` finds what an informatician gets wrong, and each message names the file, the rule and
 * the JSON path, and says what to do.
 */
import { mkdirSync } from 'node:fs';
import { ruleTestsDir } from '../../src/cli/commands/test.js';
import { runCli } from '../../src/cli/program.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import type { ValueSetFile as ValueSet } from '../../src/knowledge/schemas.js';
import { validateFiles, type Finding } from '../../src/cli/validate-files.js';
import { scenariosDir } from '../../src/demo/scenarios/load.js';
import { copyKnowledge, type KnowledgeCopy } from '../support/knowledge-copy.js';
import { captureIo } from '../support/cli.js';
import { regExp } from '../support/regexp.js';

type Json = Record<string, unknown>;
type RuleFile = { rules: { id: string; scope: string; replaces?: string[]; conditions: { all: Json[] } }[]; services: string[] };
type Card = { rule: string; summary: string; detail: string[]; links?: { url: string }[]; source: { url?: string } };

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
    {
      file: 'rules/back-pain-imaging.json',
      rule: 'imaging-wait',
      path: 'rules[2].id',
      message: /no card template: add cards\/imaging-wait\.json/,
    },
  ],
  [
    'a card without a rule',
    (c) => c.write('cards/imaging-later.json', JSON.stringify({ ...c.readJson<Card>('cards/imaging-defer.json'), rule: 'imaging-later' })),
    {
      file: 'cards/imaging-later.json',
      rule: 'imaging-later',
      path: 'rule',
      message: /no rule "imaging-later" in any rule file: fix "rule", add the rule, or delete this card/,
    },
  ],
  [
    'an unknown fact, pointed at its condition',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.fact = 'episodeWeeks')),
    {
      rule: 'imaging-defer',
      path: 'rules[2].conditions.all[2].fact',
      message: /unknown fact "episodeWeeks": fix the name\. Did you mean "episodeDays"\? \(known facts: .*episodeDays/,
    },
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
    {
      rule: 'imaging-defer',
      path: 'rules[2].conditions.all[2].value',
      message: /is an object; use one of: number, string, boolean, null, array/,
    },
  ],
  [
    'a number written in quotes for a numeric comparison',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.value = '42')),
    {
      rule: 'imaging-defer',
      path: 'rules[2].conditions.all[2].value',
      message: /lessThan compares numbers, and the value is "42": write a number without quotes/,
    },
  ],
  [
    'replaces names a rule that is not there',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[1]!.replaces = ['imaging-deferral'])),
    {
      rule: 'imaging-repeat',
      path: 'rules[1].replaces[0]',
      message: /replaces "imaging-deferral", which is not a rule in this file: fix the id or remove it/,
    },
  ],
  [
    'a service id that does not exist',
    (c) => c.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.services[0] = 'back-pain-imaging-selct')),
    { path: 'services[0]', message: /"back-pain-imaging-selct" is not a CDS service of this product: fix the id/ },
  ],
  [
    'a card placeholder no fact provides',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void (f.summary = 'Back pain for {{episode.length}} days.')),
    {
      file: 'cards/imaging-defer.json',
      rule: 'imaging-defer',
      path: 'placeholders',
      message: /\{\{episode\.length\}\} is not a card variable: fix the name or remove it\. \(known: .*episode\.days/,
    },
  ],
  [
    'an order placeholder on a card of a patient-scoped rule',
    (c) => c.editJson<Card>('cards/cauda-equina-emergency.json', (f) => void f.detail.push('Order: {{order.display}}')),
    {
      file: 'cards/cauda-equina-emergency.json',
      rule: 'cauda-equina-emergency',
      path: 'placeholders',
      message: /\{\{order\.display\}\} name an order, but rule "cauda-equina-emergency" gives one card per patient/,
    },
  ],
  [
    'a placeholder the rule does not guarantee a value for',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void f.detail.push('Last imaging: {{priorImaging.date}}')),
    {
      file: 'cards/imaging-defer.json',
      rule: 'imaging-defer',
      path: 'placeholders',
      message: regExp(
        /\{\{priorImaging\.date\}\} has a value only for a patient with prior lumbar imaging, and rule "imaging-defer" can fire/,
        / without one: add the condition \{"fact": "priorLumbarImagingDaysAgo"/,
      ),
    },
  ],
  [
    'a javascript: link in a card',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void (f.links![0]!.url = 'javascript:alert(1)')),
    { file: 'cards/imaging-defer.json', path: 'links[0].url', message: /use an absolute http:\/\/ or https:\/\/ address/ },
  ],
  [
    'a duplicate code in the expansion, with and without the ICD-10-CM dot',
    (c) =>
      c.editJson<ValueSet>(
        'rules/valuesets/red-flag-hiv.json',
        (f) => void f.expansion.contains?.push({ system: ICD, code: 'B20' }, { system: ICD, code: 'b20' }),
      ),
    {
      file: 'rules/valuesets/red-flag-hiv.json',
      message: /duplicate code http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm\|b20 \(also expansion\.contains\[\d+\]\): remove one of them/,
    },
  ],
  [
    'a duplicate explicit concept in compose',
    (c) =>
      c.editJson<ValueSet>(
        'rules/valuesets/red-flag-hiv.json',
        (f) => void f.compose.include.push({ system: ICD, concept: [{ code: 'B97.35' }] }),
      ),
    {
      file: 'rules/valuesets/red-flag-hiv.json',
      message: regExp(
        /duplicate code http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm\|B97\.?35 \(also compose\.include\[\d+\]\.concept\[\d+\]\): remove one/,
        / of them/,
      ),
    },
  ],
  [
    'a concept an ICD-10 is-a filter already matches',
    (c) =>
      c.editJson<ValueSet>(
        'rules/valuesets/back-pain.json',
        (f) => void f.compose.include.push({ system: ICD, concept: [{ code: 'M54.50' }] }),
      ),
    {
      file: 'rules/valuesets/back-pain.json',
      message: /M54\.50 is already matched by the is-a filter compose\.include\[0\] \(M54\.5\): remove this entry/,
    },
  ],
  [
    'an ICD-10 filter that cannot be read as a code prefix',
    (c) =>
      c.editJson<ValueSet>(
        'rules/valuesets/back-pain.json',
        (f) => void f.compose.include.push({ system: ICD, filter: [{ property: 'concept', op: 'regex', value: 'M54.*' }] }),
      ),
    {
      file: 'rules/valuesets/back-pain.json',
      path: 'compose.include[8].filter[0]',
      message: /only \{"property": "concept", "op": "is-a" or "descendent-of"\} is possible/,
    },
  ],
  [
    'a misspelt code system in compose (did you mean)',
    (c) =>
      c.editJson<ValueSet>('rules/valuesets/red-flag-cancer.json', (f) => void (f.compose.include[2]!.system = 'http://snomed.info/sctt')),
    {
      file: 'rules/valuesets/red-flag-cancer.json',
      path: 'compose.include[2].system',
      message: /unknown code system "http:\/\/snomed\.info\/sctt": did you mean http:\/\/snomed\.info\/sct\?/,
    },
  ],
  [
    'a misspelt code system in the expansion',
    (c) => c.editJson<ValueSet>('rules/valuesets/red-flag-hiv.json', (f) => void (f.expansion.contains![0]!.system = 'http://loinc.og')),
    {
      file: 'rules/valuesets/red-flag-hiv.json',
      path: 'expansion.contains[0].system',
      message: /unknown code system "http:\/\/loinc\.og": did you mean http:\/\/loinc\.org\?/,
    },
  ],
  [
    'a misspelt code system in compose.exclude',
    (c) =>
      c.editJson<ValueSet>(
        'rules/valuesets/red-flag-hiv.json',
        (f) => void (f.compose.exclude = [{ system: 'http://hl7.org/fhir/sid/icd10-cm', concept: [{ code: 'B20' }] }]),
      ),
    {
      file: 'rules/valuesets/red-flag-hiv.json',
      path: 'compose.exclude[0].system',
      message: /did you mean http:\/\/hl7\.org\/fhir\/sid\/icd-10-cm\?/,
    },
  ],
  [
    'an include with neither concepts nor filters (every code in the system)',
    (c) =>
      c.editJson<ValueSet>('rules/valuesets/red-flag-hiv.json', (f) => void f.compose.include.push({ system: 'http://snomed.info/sct' })),
    { file: 'rules/valuesets/red-flag-hiv.json', message: /list "concept" or "filter"/ },
  ],
  [
    'a missing value set in findings.json',
    (c) =>
      c.editJson<{ redFlags: { sources: { valueSet: string }[] }[] }>(
        'rules/findings.json',
        (f) => void (f.redFlags[0]!.sources[0]!.valueSet = 'red-flag-cancers'),
      ),
    {
      file: 'rules/findings.json',
      path: 'redFlags[0].sources[0].valueSet',
      message: regExp(
        /value set "red-flag-cancers" does not exist in rules\/valuesets\/ \(add rules\/valuesets\/red-flag-cancers\.json or fix the/,
        / name\)/,
      ),
    },
  ],
  [
    'a finding source of a resource type the service cannot read',
    (c) =>
      c.editJson<{ redFlags: { sources: { resource: string }[] }[] }>(
        'rules/findings.json',
        (f) => void (f.redFlags[0]!.sources[0]!.resource = 'Encounter'),
      ),
    {
      file: 'rules/findings.json',
      path: 'redFlags[0].sources[0].resource',
      message: /reads findings from these resource types only: use "resource": "Condition", "Observation"/,
    },
  ],
  [
    'two findings with the same id',
    (c) => c.editJson<{ redFlags: { id: string }[] }>('rules/findings.json', (f) => void (f.redFlags[1]!.id = 'cancer')),
    { file: 'rules/findings.json', path: 'redFlags[1].id', message: /finding id "cancer" is used twice/ },
  ],
  [
    'a value set whose id is not its file name',
    (c) => c.editJson<{ id: string }>('rules/valuesets/red-flag-hiv.json', (f) => void (f.id = 'hiv')),
    {
      file: 'rules/valuesets/red-flag-hiv.json',
      path: 'id',
      message: /must equal the file name "red-flag-hiv": change the id or rename the file/,
    },
  ],
  [
    'a card link that is not in cards/links.json',
    (c) => c.editJson<Card>('cards/imaging-defer.json', (f) => void (f.links![0]!.url = 'https://www.nhs.uk/conditions/back-pain-new/')),
    {
      file: 'cards/imaging-defer.json',
      rule: 'imaging-defer',
      path: 'links[0].url',
      message: /https:\/\/www\.nhs\.uk\/conditions\/back-pain-new\/ is not in cards\/links\.json: add it there with its publisher/,
    },
  ],
  [
    "a listed link that is not on its publisher's own site",
    (c) =>
      c.editJson<{ links: { url: string; publisher: string }[] }>('cards/links.json', (f) => {
        f.links.push({ ...f.links[0]!, url: 'https://www.mirror-of-nice.example/guidance/ng59' });
      }),
    {
      file: 'cards/links.json',
      path: 'links[11].url',
      message: /is not on NICE's own site \(www\.nice\.org\.uk, cks\.nice\.org\.uk\): link to the publisher's canonical page/,
    },
  ],
  [
    'a listed link from a publisher that is not on the list',
    (c) => c.editJson<{ links: { publisher: string }[] }>('cards/links.json', (f) => void (f.links[0]!.publisher = 'AAFP')),
    {
      file: 'cards/links.json',
      path: 'links[0].publisher',
      message: /use one of "NICE", "NHS", "ACR", "MedlinePlus", "Versus Arthritis", "Keele STarT Back"/,
    },
  ],
  [
    'a red flag whose urgency level does not exist',
    (c) =>
      c.editJson<{ redFlags: { urgency: { level: string } }[] }>(
        'rules/findings.json',
        (f) => void (f.redFlags[0]!.urgency.level = 'urgent'),
      ),
    {
      file: 'rules/findings.json',
      path: 'redFlags[0].urgency.level',
      message: /"urgent" is not an urgency level: use one of same-day, within-24-hours, within-days/,
    },
  ],
  [
    'a card without its clinical review',
    (c) => c.editJson<Card & { clinicalReview?: unknown }>('cards/imaging-defer.json', (f) => void delete f.clinicalReview),
    { file: 'cards/imaging-defer.json', rule: 'imaging-defer', path: 'clinicalReview', message: /missing/ },
  ],
  [
    "a card signed off without the reviewer's role",
    (c) =>
      c.editJson<Card & { clinicalReview?: unknown }>(
        'cards/imaging-defer.json',
        (f) => void (f.clinicalReview = { status: 'signed-off', lastReviewed: '2026-12-10' }),
      ),
    { file: 'cards/imaging-defer.json', rule: 'imaging-defer', path: 'clinicalReview.reviewerRole', message: /missing/ },
  ],
  [
    'a file that is not JSON',
    (c) => c.write('cards/imaging-repeat.json', '{ "rule": "imaging-repeat", '),
    { file: 'cards/imaging-repeat.json', message: /^not valid JSON: a field name in double quotes is expected here/ },
  ],
];

test.each(cases)('%s', (_name, change, expected) => {
  change(copy);
  const found = problems().filter((p) => p.severity === 'error');
  const { message, ...where } = expected;
  expect(found).toEqual(
    expect.arrayContaining([expect.objectContaining({ severity: 'error', ...where, message: expect.stringMatching(message) })]),
  );
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
      expect.objectContaining({
        severity: 'warning',
        file: 'cards/imaging-defer.json',
        path: '$schema',
        message: expect.stringMatching(/is missing: set "\$schema": "\.\.\/rules\/schemas\/card\.schema\.json"/),
      }),
      expect.objectContaining({ severity: 'warning', rule: 'imaging-defer', message: expect.stringMatching(/contains markup "<b>"/) }),
    ]),
  );
  expect(found.every((p) => p.severity === 'warning')).toBe(true);
  const io = captureIo();
  expect(await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir], io)).toBe(0);
  expect(io.stdout()).toMatch(new RegExp(`✔ .* valid, ${found.length} warnings`));
});

test('the CLI exits 1 and prints each problem; --json gives the same problems for machines', async () => {
  copy.editJson<RuleFile>('rules/back-pain-imaging.json', (f) => void (f.rules[2]!.conditions.all[2]!.fact = 'episodeWeeks'));
  const text = captureIo();
  expect(await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir], text)).toBe(1);
  expect(text.stdout()).toMatch(
    regExp(
      /ERROR +rules\/back-pain-imaging\.json:\d+:21 \(rule "imaging-defer"\): rules\[2\]\.conditions\.all\[2\]\.fact: unknown fact/,
      / "episodeWeeks"/,
    ),
  );
  expect(text.stdout()).toMatch(/✘ .*1 error/);

  const json = captureIo();
  expect(await runCli(['validate', '--json', '--rules', copy.rulesDir, '--cards', copy.cardsDir], json)).toBe(1);
  const report = JSON.parse(json.stdout()) as { ok: boolean; problems: Finding[] };
  expect(report.ok).toBe(false);
  expect(report.problems).toEqual([
    expect.objectContaining({ severity: 'error', rule: 'imaging-defer', path: 'rules[2].conditions.all[2].fact' }),
  ]);
});

test('the project files are valid; any warning is a red-flag SNOMED concept still waiting for its descendants', async () => {
  const io = captureIo();
  expect(await runCli(['validate', '--json'], io)).toBe(0);
  const report = JSON.parse(io.stdout()) as { ok: boolean; version: string; problems: Finding[] };
  expect(report.version).toMatch(/^[0-9a-f]{16}$/);
  for (const p of report.problems) {
    expect(p).toEqual(
      expect.objectContaining({
        severity: 'warning',
        file: expect.stringMatching(/^rules\/valuesets\/(red-flag-.+|cauda-equina-signs)\.json$/),
        message: expect.stringMatching(/without an is-a filter/),
      }),
    );
  }
});

describe('SNOMED concepts in red-flag value sets without an is-a filter', () => {
  const warningsFor = (file: string): Finding[] => problems().filter((p) => p.file === file && /without an is-a filter/.test(p.message));

  test('a concept listed on its own is a warning naming the file, the field and the filter to add; validate still passes', async () => {
    copy.editJson<ValueSet>('rules/valuesets/red-flag-cancer.json', (f) => {
      f.compose.include = [{ system: 'http://snomed.info/sct', concept: [{ code: '363346000', display: 'Malignant neoplastic disease' }] }];
      f.expansion.contains = [{ system: 'http://snomed.info/sct', code: '363346000' }];
    });
    expect(warningsFor('rules/valuesets/red-flag-cancer.json')).toEqual([
      {
        severity: 'warning',
        file: 'rules/valuesets/red-flag-cancer.json',
        path: 'compose.include[0].concept[0]',
        // The concept's place in the file, as every validate problem has one.
        line: 16,
        column: 11,
        message: expect.stringMatching(
          regExp(
            /SNOMED 363346000 \(Malignant neoplastic disease\) is listed without an is-a filter, so records coded with its descendants/,
            / will not match: add \{"property": "concept", "op": "is-a", "value": "363346000"\}/,
          ),
        ),
      },
    ]);
    const io = captureIo();
    expect(await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir], io)).toBe(0);
    expect(io.stdout()).toMatch(
      /warning rules\/valuesets\/red-flag-cancer\.json:16:11: compose\.include\[0\]\.concept\[0\]: SNOMED 363346000/,
    );
  });

  test('an is-a filter on the concept (in URI or OID form) silences it', () => {
    copy.editJson<ValueSet>('rules/valuesets/red-flag-cancer.json', (f) => {
      f.compose.include = [
        { system: 'urn:oid:2.16.840.1.113883.6.96', filter: [{ property: 'concept', op: 'is-a', value: '363346000' }] },
        { system: 'http://snomed.info/sct', concept: [{ code: '363346000' }] },
      ];
      f.expansion.contains = [
        { system: 'http://snomed.info/sct', code: '363346000' },
        { system: 'http://snomed.info/sct', code: '399068003' },
      ];
    });
    expect(warningsFor('rules/valuesets/red-flag-cancer.json')).toEqual([]);
  });

  test('with SNOMED is-a filters, members of the expansion are covered and a concept outside it is not', () => {
    copy.editJson<ValueSet>('rules/valuesets/red-flag-cancer.json', (f) => {
      f.compose.include = [
        { system: 'http://snomed.info/sct', filter: [{ property: 'concept', op: 'is-a', value: '363346000' }] },
        {
          system: 'http://snomed.info/sct',
          concept: [
            { code: '399068003', display: 'Malignant tumor of prostate' },
            { code: '128462008', display: 'Secondary malignant neoplastic disease' },
          ],
        },
      ];
      f.expansion.contains = [
        { system: 'http://snomed.info/sct', code: '363346000' },
        { system: 'http://snomed.info/sct', code: '399068003' },
      ];
    });
    expect(warningsFor('rules/valuesets/red-flag-cancer.json')).toEqual([
      expect.objectContaining({
        path: 'compose.include[1].concept[1]',
        message: expect.stringMatching(
          regExp(
            /^SNOMED 128462008 \(Secondary malignant neoplastic disease\) is listed without an is-a filter and is not in the expansion/,
            / of the set's is-a filters/,
          ),
        ),
      }),
    ]);
  });

  test('value sets other than red flags and cauda equina are not checked', () => {
    copy.editJson<ValueSet>(
      'rules/valuesets/back-pain.json',
      (f) => void f.compose.include.push({ system: 'http://snomed.info/sct', concept: [{ code: '161891005' }] }),
    );
    expect(warningsFor('rules/valuesets/back-pain.json')).toEqual([]);
  });
});

describe('errors with places, the root cause once, and "did you mean"', () => {
  const errors = (): Finding[] => problems().filter((p) => p.severity === 'error');

  test('a problem has the line and column of the value it is about', () => {
    copy.write(
      'rules/back-pain-imaging.json',
      copy
        .readText('rules/back-pain-imaging.json')
        .replace('"operator": "lessThan", "value": { "param": "earlyDays" }', '"operator": "lesThan", "value": { "param": "earlyDays" }'),
    );
    const text = copy.readText('rules/back-pain-imaging.json');
    const offset = text.indexOf('"lesThan"');
    const line = text.slice(0, offset).split('\n').length;
    const column = offset - text.lastIndexOf('\n', offset - 1);
    expect(errors()).toEqual([
      expect.objectContaining({
        file: 'rules/back-pain-imaging.json',
        line,
        column,
        path: 'rules[2].conditions.all[2].operator',
        message: expect.stringMatching(/^is "lesThan"; did you mean "lessThan"\? use one of/),
      }),
    ]);
  });

  test('a JSON syntax error says what is wrong and where, and a broken value set is not also reported as missing', () => {
    const text = copy.readText('rules/valuesets/red-flag-hiv.json');
    const cut = text.indexOf('"compose"');
    // Drop the comma before "compose".
    const broken = text.slice(0, cut).replace(/,(\s*)$/, '$1') + text.slice(cut);
    copy.write('rules/valuesets/red-flag-hiv.json', broken);
    const line = broken.slice(0, broken.indexOf('"compose"')).split('\n').length;
    expect(errors()).toEqual([
      {
        severity: 'error',
        file: 'rules/valuesets/red-flag-hiv.json',
        path: '',
        line,
        column: 3,
        message: 'not valid JSON: a comma is missing before this',
      },
    ]);
  });

  test('a broken rule file does not make its healthy cards look orphaned', () => {
    copy.write(
      'rules/back-pain-imaging.json',
      copy.readText('rules/back-pain-imaging.json').replace('"scope": "order"', '"scope": "orders"'),
    );
    const found = errors();
    expect(found.map((p) => p.file)).toEqual(['rules/back-pain-imaging.json']);
    expect(found[0]?.message).toMatch(/is "orders"; did you mean "order"\?/);
  });

  test('"did you mean" for value set ids and placeholders; {single.braces} refused', () => {
    copy.write(
      'rules/findings.json',
      copy.readText('rules/findings.json').replace('"valueSet": "red-flag-osteoporosis"', '"valueSet": "red-flag-osteoporsis"'),
    );
    copy.editJson<Card>(
      'cards/imaging-repeat.json',
      (f) => void f.detail.push('Last scan {priorImaging.date}, {{priorImaging.dayAgo}} days ago.'),
    );
    const found = errors();
    expect(found).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          file: 'rules/findings.json',
          message: expect.stringMatching(/value set "red-flag-osteoporsis" does not exist .* Did you mean "red-flag-osteoporosis"\?$/),
        }),
        expect.objectContaining({
          file: 'cards/imaging-repeat.json',
          message: expect.stringMatching(
            /\{\{priorImaging\.dayAgo\}\} is not a card variable: fix the name or remove it\. Did you mean \{\{priorImaging\.daysAgo\}\}\?/,
          ),
        }),
        expect.objectContaining({
          file: 'cards/imaging-repeat.json',
          message: '{priorImaging.date} has single braces, so the card would show it as written: write {{priorImaging.date}}',
        }),
      ]),
    );
    expect(found.every((p) => typeof p.line === 'number' && typeof p.column === 'number')).toBe(true);
  });
});

describe('the editor schemas list the value sets that exist', () => {
  const schemaWarnings = (): Finding[] => problems().filter((p) => /editor schemas/.test(p.message));

  test('a value set added after `schemas` ran is a warning at its id, saying to run `schemas`; running it clears the warning', async () => {
    copy.write(
      'rules/valuesets/red-flag-new.json',
      JSON.stringify(
        { ...copy.readJson('rules/valuesets/red-flag-hiv.json'), id: 'red-flag-new', url: 'urn:backpain-cds:valueset:red-flag-new' },
        null,
        2,
      ),
    );
    expect(schemaWarnings()).toEqual([
      {
        severity: 'warning',
        file: 'rules/valuesets/red-flag-new.json',
        path: 'id',
        line: 4,
        column: 9,
        message: expect.stringMatching(
          regExp(
            /^value set "red-flag-new" is not in the editor schemas' list \(rules\/schemas\/findings\.schema\.json\), so your editor/,
            / underlines it .*: run `npx backpain-cds schemas`/,
          ),
        ),
      },
    ]);
    const io = captureIo();
    expect(await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir], io)).toBe(0);
    expect(io.stdout()).toMatch(
      /warning rules\/valuesets\/red-flag-new\.json:4:9: id: value set "red-flag-new" is not in the editor schemas' list/,
    );

    expect(await runCli(['schemas', '--rules', copy.rulesDir], captureIo())).toBe(0);
    expect(schemaWarnings()).toEqual([]);
  });

  test(
    'a value set the schema lists but rules/valuesets/ lacks is a warning ' +
      'on the schema: editors would offer a name the service refuses',
    () => {
      // Every shipped set is needed, so the stale list is made by hand: as if a set was removed after `schemas` ran.
      copy.editJson<{ definitions: { valueSetId: { enum: string[] } } }>(
        'rules/schemas/findings.schema.json',
        (s) => void s.definitions.valueSetId.enum.push('red-flag-gone'),
      );
      expect(schemaWarnings()).toEqual([
        expect.objectContaining({
          severity: 'warning',
          file: 'rules/schemas/findings.schema.json',
          path: expect.stringMatching(/^definitions\.valueSetId\.enum\[\d+\]$/),
          line: expect.any(Number),
          message: expect.stringMatching(
            regExp(
              /lists value set "red-flag-gone", which rules\/valuesets\/ does not have, so your editor accepts a name the service refuses:/,
              / run `npx backpain-cds schemas`/,
            ),
          ),
        }),
      ]);
    },
  );
});

describe('rule tests (test/rule-tests/): facts, services and expected rule ids are checked, each at its line and column', () => {
  const RULE_TEST = {
    $schema: '../rules/schemas/rule-test.schema.json',
    id: 'imaging-defer-day-41-fires',
    description: 'Day 41 is still early.',
    service: 'back-pain-imaging-select',
    facts: { ageYears: 50, openEpisode: true, episodeDays: 41, redFlagCount: 0 },
    expect: { fired: ['imaging-defer'], notFired: ['imaging-repeat'], cards: ['imaging-defer'] },
  };
  const writeTest = (json: unknown): string => {
    mkdirSync(copy.path('rule-tests'), { recursive: true });
    const text = typeof json === 'string' ? json : `${JSON.stringify(json, null, 2)}\n`;
    copy.write('rule-tests/t.json', text);
    return text;
  };
  const ruleTestProblems = (): Finding[] =>
    validateFiles({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir, ruleTestsDir: copy.path('rule-tests') }).problems.filter((p) =>
      p.file.endsWith('rule-tests/t.json'),
    );
  const placeOf = (text: string, needle: string): { line: number; column: number } => {
    const at = text.indexOf(needle);
    const before = text.slice(0, at);
    return { line: before.split('\n').length, column: at - before.lastIndexOf('\n') };
  };

  test("the project's rule tests are valid and counted", () => {
    const report = validateFiles({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir, ruleTestsDir: ruleTestsDir });
    expect(report.counts.ruleTests).toBeGreaterThanOrEqual(5);
    expect(report.problems.filter((p) => p.file.includes('rule-tests'))).toEqual([]);
  });

  test('a valid rule test has no problems; one without "$schema" is told which to name', () => {
    writeTest(RULE_TEST);
    expect(ruleTestProblems()).toEqual([]);
    const { $schema: _, ...bare } = RULE_TEST;
    writeTest(bare);
    expect(ruleTestProblems()).toEqual([
      expect.objectContaining({
        severity: 'warning',
        path: '$schema',
        message: expect.stringMatching(/is missing: set "\$schema": "\.\.\/rules\/schemas\/rule-test\.schema\.json"/),
      }),
    ]);
  });

  test('an unknown fact, with the nearest name', () => {
    const text = writeTest({ ...RULE_TEST, facts: { ...RULE_TEST.facts, episodeWeeks: 5 } });
    expect(ruleTestProblems()).toEqual([
      {
        severity: 'error',
        file: expect.stringMatching(/rule-tests\/t\.json$/),
        path: 'facts.episodeWeeks',
        ...placeOf(text, '5\n'),
        message: expect.stringMatching(/^unknown fact "episodeWeeks": fix the name\. Did you mean "episodeDays"\?/),
      },
    ]);
  });

  test('a number in quotes, and a value of the wrong type', () => {
    writeTest({ ...RULE_TEST, facts: { ...RULE_TEST.facts, episodeDays: '41', openEpisode: 'yes' } });
    expect(ruleTestProblems().map((p) => [p.path, p.message])).toEqual([
      ['facts.openEpisode', 'is "yes"; openEpisode is a boolean, or null for unknown'],
      ['facts.episodeDays', 'is "41" in quotes: episodeDays is a number, and the text "41" never compares as one; write 41 without quotes'],
    ]);
  });

  test('an expected rule id that the service has not, with the nearest one; each list is checked', () => {
    const text = writeTest({
      ...RULE_TEST,
      expect: { fired: ['imaging-defr'], notFired: ['imaging-repeat', 'startback-high'], cards: ['imaging-defer'] },
    });
    expect(ruleTestProblems()).toEqual([
      {
        severity: 'error',
        file: expect.any(String),
        rule: 'imaging-defr',
        path: 'expect.fired[0]',
        ...placeOf(text, '"imaging-defr"'),
        message: expect.stringMatching(
          regExp(
            /^"imaging-defr" is not a rule of back-pain-imaging-select \(rules\/back-pain-imaging\.json\): fix the rule id\. Did you/,
            / mean "imaging-defer"\?/,
          ),
        ),
      },
      expect.objectContaining({
        rule: 'startback-high',
        path: 'expect.notFired[1]',
        message: expect.stringMatching(/^"startback-high" is not a rule of back-pain-imaging-select/),
      }),
    ]);
  });

  test('an unknown service; a broken shape; broken JSON with its place', () => {
    writeTest({ ...RULE_TEST, service: 'back-pain-imaging-selct' });
    expect(ruleTestProblems()).toEqual([
      expect.objectContaining({
        path: 'service',
        line: 5,
        message: expect.stringMatching(
          /^"back-pain-imaging-selct" is not a CDS service: fix the id\. Did you mean "back-pain-imaging-select"\?/,
        ),
      }),
    ]);
    writeTest({ ...RULE_TEST, expect: {} });
    expect(ruleTestProblems()).toEqual([
      expect.objectContaining({ path: 'expect', message: expect.stringMatching(/expect at least one of/) }),
    ]);
    writeTest('{\n  "id": "t",\n  "facts": { "ageYears": 50, }\n}\n');
    expect(ruleTestProblems()).toEqual([expect.objectContaining({ path: '', line: 3, message: expect.stringMatching(/^not valid JSON/) })]);
  });

  test('the CLI prints them as file:line:column and exits 1', async () => {
    const text = writeTest({ ...RULE_TEST, facts: { ...RULE_TEST.facts, episodeWeeks: 5 } });
    const io = captureIo();
    expect(
      await runCli(['validate', '--rules', copy.rulesDir, '--cards', copy.cardsDir, '--rule-tests', copy.path('rule-tests')], io),
    ).toBe(1);
    const { line, column } = placeOf(text, '5\n');
    expect(io.stdout()).toMatch(
      new RegExp(`ERROR +\\S*rule-tests/t\\.json:${line}:${column}: facts\\.episodeWeeks: unknown fact "episodeWeeks"`),
    );
    expect(io.stdout()).toMatch(/✘ .*, 1 rule tests: 1 error/);
  });
});
