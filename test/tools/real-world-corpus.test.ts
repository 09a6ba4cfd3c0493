/**
 * The real-world corpus (test/scenarios/real-world/) keeps covering the ways EHRs code records, with
 * red flags found and red flags that must not be, and its patients reach the prefetch the way an
 * EHR's search would find them. Whether each gets its cards is the scenario tests' job
 * (integration, every way; and `backpain-cds test`).
 */
import { join } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { readScenarios, scenarioFilePaths, scenariosDir } from '../../src/demo/scenarios/load.js';
import { searchInMemory } from '../../src/demo/scenarios/search.js';
import type { Scenario } from '../../src/demo/scenarios/schema.js';

const dir = join(scenariosDir, 'real-world');
const corpus = readScenarios(dir);
const IMAGING = ['back-pain-imaging-select', 'back-pain-imaging-sign'];

type Res = Record<string, unknown> & { resourceType: string };
const resources = (s: Scenario): Res[] => s.resources;
const json = (s: Scenario): string => JSON.stringify(s.resources);
const codings = (r: Res): { system?: string; code?: string; display?: string }[] =>
  ['code', 'medicationCodeableConcept', 'valueCodeableConcept'].flatMap(
    (k) => ((r[k] as { coding?: [] } | undefined)?.coding ?? []) as { system?: string }[],
  );
const reference = (r: Res): string => (r.subject as { reference?: string } | undefined)?.reference ?? '';
const KNOWN = new RegExp(
  `^(${[
    /http:\/\/snomed\.info\/sct/,
    /http:\/\/hl7\.org\/fhir\/sid\/icd-10(-cm)?/,
    /http:\/\/loinc\.org/,
    /http:\/\/www\.nlm\.nih\.gov\/research\/umls\/rxnorm/,
    /http:\/\/www\.ama-assn\.org\/go\/cpt/,
    /urn:oid:2\.16\.840\.1\.113883\.6\.(96|90|1|88|12)/,
  ]
    .map((r) => r.source)
    .join('|')})$`,
);

const forms: [string, (s: Scenario) => boolean][] = [
  ['SNOMED CT OID', (s) => json(s).includes('"urn:oid:2.16.840.1.113883.6.96"')],
  ['ICD-10-CM OID', (s) => json(s).includes('"urn:oid:2.16.840.1.113883.6.90"')],
  ['RxNorm OID', (s) => json(s).includes('"urn:oid:2.16.840.1.113883.6.88"')],
  ['CPT OID', (s) => json(s).includes('"urn:oid:2.16.840.1.113883.6.12"')],
  ['WHO ICD-10', (s) => json(s).includes('"http://hl7.org/fhir/sid/icd-10"')],
  [
    'SNOMED only',
    (s) =>
      resources(s).some(
        (r) => r.resourceType === 'Condition' && codings(r).length > 0 && codings(r).every((c) => c.system === 'http://snomed.info/sct'),
      ) && !json(s).includes('icd-10'),
  ],
  [
    'SNOMED and ICD-10-CM on one Condition',
    (s) =>
      resources(s).some(
        (r) =>
          codings(r).some((c) => c.system === 'http://snomed.info/sct') &&
          codings(r).some((c) => c.system === 'http://hl7.org/fhir/sid/icd-10-cm'),
      ),
  ],
  ['text only', (s) => resources(s).some((r) => r.resourceType === 'Condition' && codings(r).every((c) => !KNOWN.test(c.system ?? '')))],
  ['versioned reference', (s) => resources(s).some((r) => /^Patient\/[^/]+\/_history\//.test(reference(r)))],
  ['absolute reference', (s) => resources(s).some((r) => reference(r).startsWith('https://'))],
  [
    'another patient',
    (s) => resources(s).some((r) => /^Patient\//.test(reference(r)) && !reference(r).startsWith(`Patient/${s.patient.id}`)),
  ],
  [
    'RxNorm code without display or text',
    (s) =>
      resources(s).some(
        (r) => r.resourceType.startsWith('Medication') && codings(r).some((c) => /rxnorm/.test(c.system ?? '') && !c.display),
      ),
  ],
  ['MedicationStatement', (s) => resources(s).some((r) => r.resourceType === 'MedicationStatement')],
  ['inhaled product', (s) => json(s).includes('Inhaler')],
  [
    'saddle anaesthesia Observation',
    (s) => resources(s).some((r) => r.resourceType === 'Observation' && json({ ...s, resources: [r] } as Scenario).includes('449813001')),
  ],
  ['Observation valueBoolean false', (s) => resources(s).some((r) => r.resourceType === 'Observation' && r.valueBoolean === false)],
  [
    'Observation valueCodeableConcept',
    (s) => resources(s).some((r) => r.resourceType === 'Observation' && r.valueCodeableConcept !== undefined),
  ],
  ...['8331-1', '8333-7', '75539-7', '8328-7'].map((code): [string, (s: Scenario) => boolean] => [
    `temperature ${code}`,
    (s) => json(s).includes(`"code":"${code}"`),
  ]),
  ['°F', (s) => json(s).includes('[degF]')],
  ['transplant Procedure', (s) => resources(s).some((r) => r.resourceType === 'Procedure' && /transplant/i.test(JSON.stringify(r.code)))],
  [
    'lumbar surgery Procedure',
    (s) => resources(s).some((r) => r.resourceType === 'Procedure' && /(22612|63047)/.test(JSON.stringify(r.code))),
  ],
  ['final DiagnosticReport', (s) => resources(s).some((r) => r.resourceType === 'DiagnosticReport' && r.status === 'final')],
  ['preliminary DiagnosticReport', (s) => resources(s).some((r) => r.resourceType === 'DiagnosticReport' && r.status === 'preliminary')],
  [
    'ImagingStudy without procedureCode',
    (s) => resources(s).some((r) => r.resourceType === 'ImagingStudy' && r.procedureCode === undefined),
  ],
  ['cervical imaging', (s) => json(s).includes('122494005') || json(s).includes('241646009')],
  ['timestamp with an offset', (s) => /T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}"/.test(json(s))],
];

test('at least 80 patients, each saying what it tests and why the cards follow', () => {
  expect(scenarioFilePaths(dir).length).toBe(corpus.length);
  expect(corpus.length).toBeGreaterThanOrEqual(80);
  for (const s of corpus) expect({ id: s.id, long: s.description.length >= 80 }).toEqual({ id: s.id, long: true });
});

test.each(forms)('codes records the way real EHRs do: %s', (_form, has) => {
  expect(corpus.some(has)).toBe(true);
});

test('balances red flags found with records that must not be red flags', () => {
  const imaging = corpus.filter((s) => IMAGING.every((id) => s.expect[id] !== undefined));
  const blocked = imaging.filter((s) => !s.expect[IMAGING[0] as string]?.includes('imaging-defer'));
  const deferred = imaging.filter((s) => s.expect[IMAGING[0] as string]?.includes('imaging-defer'));
  expect(blocked.length).toBeGreaterThanOrEqual(25);
  expect(deferred.length).toBeGreaterThanOrEqual(25);
  expect(corpus.filter((s) => s.expect['back-pain-stratified-care']?.includes('red-flag-review')).length).toBeGreaterThanOrEqual(10);
  expect(corpus.filter((s) => Object.values(s.expect).some((ids) => ids.includes('cauda-equina-emergency'))).length).toBeGreaterThanOrEqual(
    5,
  );
  expect(corpus.filter((s) => Object.values(s.expect).some((ids) => ids.includes('imaging-repeat'))).length).toBeGreaterThanOrEqual(3);
});

describe('the prefetch an EHR would send', () => {
  const patient = { resourceType: 'Patient', id: 'p1' };
  const rows = ['Patient/p1', 'Patient/p1/_history/2', 'https://ehr.example.org/fhir/Patient/p1', 'Patient/p2'].map((reference, i) => ({
    resourceType: 'Condition',
    id: `c${i}`,
    subject: { reference },
  }));
  const ids = (b: unknown): string[] => ((b as Bundle).entry ?? []).map((e) => e.resource?.id ?? '');

  test("finds the patient's resources by every reference form, not another patient's", () => {
    expect(ids(searchInMemory([patient, ...rows], 'Condition?patient=p1'))).toEqual(['c0', 'c1', 'c2']);
    expect(ids(searchInMemory([patient, ...rows], 'Condition?patient=p2'))).toEqual(['c3']);
  });

  test('carries a stray resource of another patient only when asked to, as a scenario does', () => {
    expect(ids(searchInMemory([patient, ...rows], 'Condition?patient=p1', { withStrays: true }))).toEqual(['c0', 'c1', 'c2', 'c3']);
  });
});
