/**
 * Real-world records (design.md): patient references in every form, findings from every resource
 * type rules/findings.json names, the text safety net, the clinical time zone, an undated episode,
 * and cauda equina with or without an episode. Pure fact functions over the real rule files.
 */
import type { DiagnosticReport, FhirResource, ImagingStudy, MedicationRequest, MedicationStatement, Observation } from 'fhir/r4.js';
import { groupRecord } from '../../src/context/patient-context.js';
import { loadConfig } from '../../src/config.js';
import { clinicalTimeZone, dayOf, dayRange, isoDay, setClinicalTimeZone } from '../../src/facts/dates.js';
import { textCheckedSentence } from '../../src/facts/findings.js';
import { buildPatientFacts, engineFacts } from '../../src/facts/patient-facts.js';
import { ownership, patientFullUrls, referencedPatientId } from '../../src/facts/references.js';
import { matchedKeyword, scanTextEntries } from '../../src/facts/text-entries.js';
import type { PatientRecord } from '../../src/facts/types.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import { evaluate } from '../../src/pipeline/evaluate.js';
import { PHYSIO, referral, sciatica, scopicItems, startBackTotal } from '../support/care-builders.js';
import {
  backPain,
  concept,
  condition,
  CPT,
  daysAgo,
  draftOrder,
  LOINC,
  medicationRequest,
  NOW,
  patient,
  PATIENT_ID,
  procedure,
  record,
  RXNORM,
  SNOMED,
  supplyFor,
} from '../support/fhir-builders.js';

const knowledge = loadKnowledge({ rulesDir, cardsDir });
const factsOf = (r: PatientRecord, now = NOW) => buildPatientFacts(r, now, knowledge);
const flags = (r: PatientRecord) => factsOf(r).redFlags.map((h) => h.findingId);
const subject = { reference: `Patient/${PATIENT_ID}` };

function observation(id: string, parts: Partial<Observation>): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { text: 'Examination' },
    subject,
    effectiveDateTime: daysAgo(2),
    ...parts,
  };
}

describe('patient references', () => {
  test.each([
    ['Patient/p1', 'p1'],
    ['Patient/p1/_history/2', 'p1'],
    ['https://ehr.example.org/fhir/r4/Patient/p1', 'p1'],
    ['http://ehr.example.org/fhir/Patient/p1/_history/7', 'p1'],
    ['Patient/p1/', 'p1'],
    ['https://ehr.example.org/fhir/Patient/p2/_history/3/', 'p2'],
    ['Patient/p1?_format=json', 'p1'],
    ['Group/g1', undefined],
    ['urn:uuid:0b1c', undefined],
    ['#p1', undefined],
    ['Patient?identifier=urn:mrn|123', undefined],
  ])('%s names patient %s', (reference, id) => {
    expect(referencedPatientId(reference)).toBe(id);
  });

  test("a urn:uuid that is a Patient's fullUrl in the same Bundle names that patient", () => {
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      entry: [{ fullUrl: 'urn:uuid:6f1c', resource: patient() }],
    } as FhirResource;
    const urls = patientFullUrls([bundle, null]);
    expect(referencedPatientId('urn:uuid:6f1c', urls)).toBe('p1');
    expect(ownership({ resourceType: 'Condition', id: 'c', subject: { reference: 'urn:uuid:6f1c' } }, 'p1', urls)).toBe('patient');
  });

  test('the same resource twice (overlapping pages, two prefetch keys) is read once; resources without an id are each kept', () => {
    const textOnly = { ...condition('t', 'x'), code: { text: 'sore knee' } } as FhirResource;
    const { id: _none, ...noId } = textOnly as { id?: string };
    const grouped = groupRecord(patient(), [textOnly, textOnly, noId as FhirResource, noId as FhirResource]);
    expect(grouped.conditions).toHaveLength(3);
    expect(factsOf(grouped).textChecked.textOnly).toBe(3);
  });

  test('only a resource naming another patient is dropped, and it is counted; one without a subject is kept', () => {
    const cancer = (id: string, reference?: string): FhirResource =>
      ({
        ...condition(id, 'C61', { onset: '2020-01-01' }),
        ...(reference ? { subject: { reference } } : { subject: undefined }),
      }) as FhirResource;
    const grouped = groupRecord(patient(), [
      cancer('versioned', 'Patient/p1/_history/2'),
      cancer('absolute', 'https://ehr.example.org/fhir/Patient/p1'),
      cancer('none'),
      cancer('other', 'Patient/p2/_history/1'),
      cancer('other-absolute', 'https://ehr.example.org/fhir/Patient/p2'),
    ]);
    expect(grouped.conditions.map((c) => c.id)).toEqual(['versioned', 'absolute', 'none']);
    expect(grouped.otherPatientResources).toBe(2);
    const facts = factsOf(grouped);
    expect(facts.redFlags.map((h) => h.reference)).toEqual(['Condition/versioned', 'Condition/absolute', 'Condition/none']);
    expect(facts.unknowns).toContain('2 resources name another patient and were left out.');
  });
});

describe('cauda equina signs from Observations', () => {
  const SADDLE = concept(SNOMED, '449813001', 'Numbness of saddle area');
  const signs = (obs: Observation) =>
    factsOf(record({ conditions: [backPain(10)], observations: [obs] })).caudaEquinaSigns.map((h) => h.reference);

  test('an examination Observation coded 449813001, or a finding Observation whose value is 449813001', () => {
    expect(signs(observation('o1', { code: SADDLE }))).toEqual(['Observation/o1']);
    expect(signs(observation('o2', { code: concept(LOINC, '29545-1', 'Physical findings'), valueCodeableConcept: SADDLE }))).toEqual([
      'Observation/o2',
    ]);
  });

  test('valueBoolean false is the sign looked for and absent; a cancelled or entered-in-error one never counts', () => {
    expect(signs(observation('o1', { code: SADDLE, valueBoolean: false }))).toEqual([]);
    expect(signs(observation('o1', { code: SADDLE, valueBoolean: true }))).toEqual(['Observation/o1']);
    expect(signs(observation('o1', { code: SADDLE, status: 'entered-in-error' }))).toEqual([]);
    expect(signs(observation('o1', { code: SADDLE, status: 'preliminary' }))).toEqual(['Observation/o1']);
  });

  test('an answer that says absent (SNOMED Absent/No/Negative, HL7 yes/no N, or the words) is the sign looked for and not found', () => {
    const answered = (value: Partial<Observation>) => signs(observation('o1', { code: SADDLE, ...value }));
    expect(answered({ valueCodeableConcept: concept(SNOMED, '2667000', 'Absent') })).toEqual([]);
    expect(answered({ valueCodeableConcept: concept(SNOMED, '373067005') })).toEqual([]);
    expect(answered({ valueCodeableConcept: concept(SNOMED, '260385009', 'Negative') })).toEqual([]);
    expect(answered({ valueCodeableConcept: concept('http://terminology.hl7.org/CodeSystem/v2-0136', 'N') })).toEqual([]);
    expect(answered({ valueCodeableConcept: { text: 'Not present' } })).toEqual([]);
    expect(answered({ valueString: 'absent' })).toEqual([]);
    expect(answered({ valueCodeableConcept: concept(SNOMED, '52101004', 'Present') })).toEqual(['Observation/o1']);
    expect(answered({ valueString: 'Numbness of both buttocks, no relief' })).toEqual(['Observation/o1']);
    // A value that is itself the sign is no answer about it.
    const finding = observation('o2', { code: concept(LOINC, '29545-1', 'Physical findings'), valueCodeableConcept: SADDLE });
    expect(signs(finding)).toEqual(['Observation/o2']);
  });

  test('the 30-day window holds for Observations too', () => {
    expect(signs(observation('o1', { code: SADDLE, effectiveDateTime: daysAgo(30) }))).toEqual(['Observation/o1']);
    expect(signs(observation('o1', { code: SADDLE, effectiveDateTime: daysAgo(31) }))).toEqual([]);
  });
});

describe('fever from the body temperature family', () => {
  const temp = (code: string, value: number, unit: string) =>
    observation('t', {
      code: concept(LOINC, code),
      valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
      effectiveDateTime: daysAgo(3),
    });
  test.each(['8310-5', '8331-1', '8328-7', '8333-7', '8332-9', '8329-5', '75539-7'])('LOINC %s at 38.9 °C is fever', (code) => {
    expect(flags(record({ observations: [temp(code, 38.9, 'Cel')] }))).toEqual(['fever']);
  });
  test('°F is converted; 37.9 °C is not fever', () => {
    expect(flags(record({ observations: [temp('8331-1', 101.5, '[degF]')] }))).toEqual(['fever']);
    expect(flags(record({ observations: [temp('8331-1', 37.9, 'Cel')] }))).toEqual([]);
  });
});

describe('organ transplant and prior lumbar surgery', () => {
  test('a completed kidney transplant Procedure is a transplant; one not done is not', () => {
    expect(
      flags(record({ procedures: [procedure('tx', concept(SNOMED, '70536003', 'Transplantation of kidney'), '2015-06-01')] })),
    ).toEqual(['transplant']);
    expect(flags(record({ procedures: [procedure('tx', concept(CPT, '50360'), '2015-06-01', 'not-done')] }))).toEqual([]);
  });

  test('Z98.1, M96.1 and a completed lumbar fusion are prior lumbar surgery, any time ago', () => {
    expect(flags(record({ conditions: [condition('fusion', 'Z98.1', { onset: '2009-01-01' })] }))).toEqual(['prior-lumbar-surgery']);
    expect(flags(record({ conditions: [condition('pls', 'M96.1', { clinical: 'resolved' })] }))).toEqual(['prior-lumbar-surgery']);
    expect(flags(record({ procedures: [procedure('op', concept(CPT, '22612'), '2012-03-04')] }))).toEqual(['prior-lumbar-surgery']);
  });

  test('prior lumbar surgery blocks imaging-defer and is named by red-flag-review', async () => {
    const r = record({ conditions: [backPain(10), condition('fusion', 'Z98.1', { onset: '2009-01-01', display: 'Arthrodesis status' })] });
    const imaging = await evaluate(knowledge, {
      serviceId: 'back-pain-imaging-select',
      record: r,
      orders: [{ reference: 'ServiceRequest/o1', display: 'MRI' }],
      userReference: 'Practitioner/x',
      now: NOW,
    });
    expect(imaging.firedRules).toEqual([]);
    const review = await evaluate(knowledge, {
      serviceId: 'back-pain-stratified-care',
      record: r,
      userReference: 'Practitioner/x',
      now: NOW,
    });
    expect(review.firedRules).toEqual(['red-flag-review']);
    expect(review.cards[0]?.detail).toContain('Prior lumbar spine surgery');
  });
});

describe('prior lumbar imaging from every source', () => {
  const report = (parts: Partial<DiagnosticReport>): DiagnosticReport => ({
    resourceType: 'DiagnosticReport',
    id: 'dr',
    status: 'final',
    code: concept(LOINC, '30679-5', 'MR Lumbar spine WO contrast'),
    subject,
    ...parts,
  });
  const study = (modality: string, site: string): ImagingStudy => ({
    resourceType: 'ImagingStudy',
    id: 'is',
    status: 'available',
    subject,
    started: `${daysAgo(100)}T09:00:00Z`,
    series: [
      {
        uid: '1.2.3',
        modality: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: modality },
        bodySite: { system: SNOMED, code: site, display: 'Lumbar spine structure' },
      },
    ],
  });
  const prior = (r: PatientRecord) => factsOf(r).priorLumbarImaging;

  test('imaging under a local code or as text only is read by the keywords, with the statuses its source allows', () => {
    const epic = concept('urn:oid:1.2.840.114350.1.13.0.1.7.2.696580', 'IMG123', 'MRI LUMBAR SPINE WO CONTRAST');
    expect(prior(record({ diagnosticReports: [report({ code: epic, effectiveDateTime: daysAgo(40) })] }))).toMatchObject({
      reference: 'DiagnosticReport/dr',
      display: 'MRI LUMBAR SPINE WO CONTRAST (matched by text: "mri lumbar")',
      daysAgo: 40,
    });
    const described: ImagingStudy = { ...study('MR', '000'), series: [], description: 'MR L-SPINE WO' };
    expect(prior(record({ imagingStudies: [described] }))).toMatchObject({ reference: 'ImagingStudy/is', daysAgo: 100 });
    expect(
      prior(record({ diagnosticReports: [report({ code: epic, status: 'preliminary', effectiveDateTime: daysAgo(40) })] })),
    ).toBeUndefined();
    // Cervical imaging, and text under a known code (SNOMED 241646009, MRI of cervical spine), are not lumbar imaging by text.
    const cervical = concept('urn:oid:1.2.840.114350.1.13.0.1.7.2.696580', 'IMG9', 'MRI CERVICAL SPINE WO CONTRAST');
    expect(prior(record({ diagnosticReports: [report({ code: cervical, effectiveDateTime: daysAgo(40) })] }))).toBeUndefined();
    const knownCode = { coding: [{ system: SNOMED, code: '241646009' }], text: 'MRI lumbar spine' };
    expect(prior(record({ diagnosticReports: [report({ code: knownCode, effectiveDateTime: daysAgo(40) })] }))).toBeUndefined();
  });

  test('a final radiology DiagnosticReport, dated effective[x], else issued; a preliminary one does not count', () => {
    expect(prior(record({ diagnosticReports: [report({ effectiveDateTime: daysAgo(60) })] }))).toMatchObject({
      reference: 'DiagnosticReport/dr',
      daysAgo: 60,
    });
    expect(prior(record({ diagnosticReports: [report({ issued: `${daysAgo(61)}T12:00:00Z` })] }))).toMatchObject({ daysAgo: 61 });
    expect(prior(record({ diagnosticReports: [report({ effectiveDateTime: daysAgo(60), status: 'preliminary' })] }))).toBeUndefined();
  });

  test('a DiagnosticReport whose effectivePeriod has only an end is dated by that end', () => {
    expect(prior(record({ diagnosticReports: [report({ effectivePeriod: { end: `${daysAgo(62)}T10:00:00Z` } })] }))).toMatchObject({
      daysAgo: 62,
    });
  });

  test(
    'an ImagingStudy with no procedure code: an MR, CT, CR or DX series ' +
      'of the lumbar spine counts; ultrasound or another site does not',
    () => {
      expect(prior(record({ imagingStudies: [study('MR', '122496007')] }))).toMatchObject({ reference: 'ImagingStudy/is', daysAgo: 100 });
      expect(prior(record({ imagingStudies: [study('US', '122496007')] }))).toBeUndefined();
      expect(prior(record({ imagingStudies: [study('MR', '69536005')] }))).toBeUndefined();
    },
  );

  test('imaging-repeat fires from a DiagnosticReport alone', async () => {
    const r = record({ conditions: [backPain(100)], diagnosticReports: [report({ effectiveDateTime: daysAgo(60) })] });
    const result = await evaluate(knowledge, {
      serviceId: 'back-pain-imaging-sign',
      record: r,
      orders: [{ reference: 'ServiceRequest/o1', display: 'MRI' }],
      userReference: 'Practitioner/x',
      now: NOW,
    });
    expect(result.firedRules).toEqual(['imaging-repeat']);
  });
});

describe('long-term steroids from product codes and MedicationStatements', () => {
  test('RxNorm 312617 (an SCD) with no display text, 120 days: long-term steroids', () => {
    const req = { ...medicationRequest('m', '', daysAgo(130), supplyFor(120)), medicationCodeableConcept: concept(RXNORM, '312617') };
    expect(flags(record({ medicationRequests: [req] }))).toEqual(['long-term-steroids']);
  });

  test('a medicationReference to a contained Medication is read by the code or text of that Medication', () => {
    const viaContained = (code: MedicationRequest['medicationCodeableConcept'], ref = '#med'): MedicationRequest => {
      const { medicationCodeableConcept: _none, ...req } = medicationRequest('m', '', daysAgo(130), supplyFor(120));
      return { ...req, contained: [{ resourceType: 'Medication', id: 'med', code }], medicationReference: { reference: ref } };
    };
    const coded = factsOf(record({ medicationRequests: [viaContained(concept(RXNORM, '312617'))] }));
    expect(coded.redFlags.map((h) => [h.findingId, h.matchedByText])).toEqual([['long-term-steroids', undefined]]);
    expect(coded.textChecked).toEqual({ textOnly: 0, unreadable: [] });
    expect(flags(record({ medicationRequests: [viaContained({ text: 'Prednisone 10 mg tablet' })] }))).toEqual(['long-term-steroids']);
    // A reference to no contained Medication cannot be read, and the card says so.
    const dangling = factsOf(record({ medicationRequests: [viaContained(concept(RXNORM, '312617'), '#other')] }));
    expect(dangling.redFlags).toEqual([]);
    expect(dangling.textChecked.unreadable).toEqual(['MedicationRequest/m']);
  });

  const statement = (parts: Partial<MedicationStatement>): MedicationStatement => ({
    resourceType: 'MedicationStatement',
    id: 'ms',
    status: 'completed',
    medicationCodeableConcept: concept(RXNORM, '8640', 'prednisone'),
    subject,
    ...parts,
  });

  test('a MedicationStatement covers its effectivePeriod; an active one without an end runs to today', () => {
    expect(flags(record({ medicationStatements: [statement({ effectivePeriod: { start: daysAgo(200), end: daysAgo(100) } })] }))).toEqual([
      'long-term-steroids',
    ]);
    expect(flags(record({ medicationStatements: [statement({ effectivePeriod: { start: daysAgo(200), end: daysAgo(120) } })] }))).toEqual(
      [],
    );
    expect(flags(record({ medicationStatements: [statement({ status: 'active', effectivePeriod: { start: daysAgo(95) } })] }))).toEqual([
      'long-term-steroids',
    ]);
  });

  test('effectiveDateTime alone covers the default 30 days, an active one runs to today; a not-taken statement never counts', () => {
    expect(flags(record({ medicationStatements: [statement({ effectiveDateTime: daysAgo(100) })] }))).toEqual([]);
    expect(flags(record({ medicationStatements: [statement({ status: 'active', effectiveDateTime: daysAgo(100) })] }))).toEqual([
      'long-term-steroids',
    ]);
    expect(flags(record({ medicationStatements: [statement({ status: 'active', effectiveDateTime: daysAgo(60) })] }))).toEqual([]);
    expect(
      flags(
        record({ medicationStatements: [statement({ status: 'not-taken', effectivePeriod: { start: daysAgo(200), end: daysAgo(10) } })] }),
      ),
    ).toEqual([]);
  });

  test('no supply duration: quantity over dose and frequency, with repeats (90 tablets at 1 a day, 2 repeats = 270 days)', () => {
    const byQuantity = (quantity: number, doseUnit: string, repeats = 0): MedicationRequest => ({
      ...medicationRequest('m', '', daysAgo(200)),
      medicationCodeableConcept: concept(RXNORM, '312617', 'predniSONE 20 MG Oral Tablet'),
      dispenseRequest: { numberOfRepeatsAllowed: repeats, quantity: { value: quantity, unit: 'tablets' } },
      dosageInstruction: [
        { timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } }, doseAndRate: [{ doseQuantity: { value: 1, unit: doseUnit } }] },
      ],
    });
    expect(flags(record({ medicationRequests: [byQuantity(90, 'tablet', 2)] }))).toEqual(['long-term-steroids']);
    expect(flags(record({ medicationRequests: [byQuantity(100, 'TAB')] }))).toEqual(['long-term-steroids']);
    // 28 tablets last 28 days; a dose in mg cannot divide a quantity in tablets, so the 30-day default holds.
    expect(flags(record({ medicationRequests: [byQuantity(28, 'tablet')] }))).toEqual([]);
    expect(flags(record({ medicationRequests: [byQuantity(100, 'mg')] }))).toEqual([]);
  });
});

describe('text as a safety net', () => {
  const textOnly = (id: string, text: string, coding?: { system: string; code: string }) => ({
    ...condition(id, 'x', { onset: '2018-01-01' }),
    code: { text, ...(coding ? { coding: [coding] } : {}) },
  });

  test('a text-only cancer Condition is cancer, matched by text', () => {
    const facts = factsOf(record({ conditions: [textOnly('c', 'Metastatic carcinoma of prostate')] }));
    expect(facts.redFlags).toEqual([
      expect.objectContaining({
        findingId: 'cancer',
        reference: 'Condition/c',
        matchedByText: 'carcinoma',
        display: 'Metastatic carcinoma of prostate (matched by text: "carcinoma")',
      }),
    ]);
    expect(facts.textChecked).toEqual({ textOnly: 1, unreadable: [] });
  });

  test('a code in an unknown (typo) system is read by its text; a code in a known system (OID too) is not', () => {
    expect(flags(record({ conditions: [textOnly('c', 'Lymphoma', { system: 'http://snomed.info/sctt', code: '118600007' })] }))).toEqual([
      'cancer',
    ]);
    const oid = {
      ...condition('c', 'x'),
      code: { coding: [{ system: 'urn:oid:2.16.840.1.113883.6.96', code: '399068003' }], text: 'whatever' },
    };
    const facts = factsOf(record({ conditions: [oid] }));
    expect(facts.redFlags.map((h) => [h.findingId, h.matchedByText])).toEqual([['cancer', undefined]]);
    expect(facts.textChecked.textOnly).toBe(0);
  });

  test('the "checked" sentence names unreadable entries first and never says every entry had a known code', () => {
    expect(textCheckedSentence({ textOnly: 0, unreadable: [] })).toBe('Every entry read had a code in a known code system.');
    expect(textCheckedSentence({ textOnly: 0, unreadable: ['Condition/n'] })).toBe(
      '1 entry had neither a known code nor any text and could not be checked (Condition/n). ' +
        'Every other entry read had a code in a known code system.',
    );
    expect(textCheckedSentence({ textOnly: 2, unreadable: ['Condition/n'] })).toMatch(
      /^1 entry had neither .*\. 2 entries had no code in a known code system and were checked by their text only\.$/,
    );
  });

  test('benign and family-history wording is not cancer; "afebrile" is not fever', () => {
    expect(flags(record({ conditions: [textOnly('a', 'Benign tumour of skin'), textOnly('b', 'Family history of cancer')] }))).toEqual([]);
    expect(matchedKeyword('Patient afebrile', { include: ['febrile'] })).toBeUndefined();
    expect(matchedKeyword('HIV infection', { include: ['hiv'] })).toBe('hiv');
    expect(matchedKeyword('archive', { include: ['hiv'] })).toBeUndefined();
  });

  test('windows hold for text matches: a text-only fever 20 days ago is outside 14 days', () => {
    const old = { ...condition('f', 'x', { onset: daysAgo(20) }), code: { text: 'Fever' } };
    const recent = { ...condition('f', 'x', { onset: daysAgo(3) }), code: { text: 'Fever' } };
    expect(flags(record({ conditions: [old] }))).toEqual([]);
    expect(flags(record({ conditions: [recent] }))).toEqual(['fever']);
  });

  test('Observations, Procedures and medications with text only are read too, and counted', () => {
    const r = record({
      observations: [observation('o', { code: { text: 'Saddle anaesthesia on examination' }, effectiveDateTime: daysAgo(1) })],
      procedures: [{ ...procedure('p', { text: 'Lumbar microdiscectomy L4/5' }, '2016-05-05') }],
      medicationRequests: [medicationRequest('m', 'paracetamol 500 mg', daysAgo(5))],
    });
    const facts = factsOf({ ...r, conditions: [backPain(10)] });
    expect(facts.caudaEquinaSigns.map((h) => h.reference)).toEqual(['Observation/o']);
    expect(facts.redFlags.map((h) => h.findingId)).toEqual(['prior-lumbar-surgery']);
    expect(facts.textChecked.textOnly).toBe(3);
  });

  test('a text-only Observation counts only as a result (final, amended, corrected, preliminary or no status), as a coded one does', () => {
    const cancer = (id: string, status: Observation['status'] | undefined) => {
      const o = observation(id, { code: { text: 'Metastatic carcinoma on biopsy' } });
      if (status === undefined) delete (o as Partial<Observation>).status;
      else o.status = status;
      return o;
    };
    const counted = (status: Observation['status'] | undefined) => flags(record({ observations: [cancer('o', status)] }));
    for (const status of ['final', 'amended', 'corrected', 'preliminary', undefined] as const) expect(counted(status)).toEqual(['cancer']);
    for (const status of ['registered', 'cancelled', 'entered-in-error', 'unknown'] as const) expect(counted(status)).toEqual([]);
  });

  test('an entry with neither a known code nor text is reported as unreadable', () => {
    const blank = { ...condition('blank', 'x'), code: { coding: [{ system: 'http://local.example/codes', code: '123' }] } };
    const scan = scanTextEntries(record({ conditions: [blank] }));
    expect(scan).toEqual({ entries: [], unreadable: ['Condition/blank'] });
    expect(factsOf(record({ conditions: [blank] })).unknowns.join(' ')).toMatch(
      /neither a code in a known system nor any text.*Condition\/blank/,
    );
  });

  test('imaging-defer says how many entries were checked by text only', async () => {
    const r = record({ conditions: [backPain(10)], medicationRequests: [medicationRequest('m', 'paracetamol 500 mg', daysAgo(5))] });
    const result = await evaluate(knowledge, {
      serviceId: 'back-pain-imaging-select',
      record: r,
      orders: [{ reference: 'ServiceRequest/o1', display: 'MRI' }],
      userReference: 'Practitioner/x',
      now: NOW,
    });
    expect(result.firedRules).toEqual(['imaging-defer']);
    expect(result.cards[0]?.detail).toContain('1 entry had no code in a known code system and was checked by its text only.');
  });
});

describe('cauda equina with or without an episode', () => {
  const sign = condition('ret', 'R33.9', { onset: daysAgo(5) });
  const order = [{ reference: 'ServiceRequest/o1', display: draftOrder('o1').code?.coding?.[0]?.display ?? 'MRI' }];
  const run = (serviceId: string, conditions: PatientRecord['conditions']) =>
    evaluate(knowledge, {
      serviceId,
      record: record({ conditions }),
      ...(serviceId.startsWith('back-pain-imaging') ? { orders: order } : {}),
      userReference: 'Practitioner/x',
      now: NOW,
    });

  test('with a lumbar imaging order in scope, a sign in the last 30 days is the emergency whatever the episode', async () => {
    expect((await run('back-pain-imaging-select', [sign])).firedRules).toEqual(['cauda-equina-emergency']);
    expect(
      (await run('back-pain-imaging-sign', [sign, condition('lbp', 'M54.50', { onset: daysAgo(30), clinical: 'resolved' })])).firedRules,
    ).toEqual(['cauda-equina-emergency']);
    const card = (await run('back-pain-imaging-select', [sign])).cards[0];
    expect(card?.detail).toContain('No back pain episode is recorded');
  });

  test('stratified care: an open episode, or a back pain Condition dated in the last 365 days', async () => {
    const resolved = (days: number) => condition('lbp', 'M54.50', { onset: daysAgo(days), clinical: 'resolved' });
    expect((await run('back-pain-stratified-care', [sign, resolved(365)])).firedRules).toEqual(['cauda-equina-emergency']);
    expect((await run('back-pain-stratified-care', [sign, resolved(366)])).firedRules).toEqual([]);
    expect((await run('back-pain-stratified-care', [sign])).firedRules).toEqual([]);
    expect(engineFacts(factsOf(record({ conditions: [resolved(200)] }))).backPainConditionDaysAgo).toBe(200);
  });
});

describe('days in the clinical time zone', () => {
  afterEach(() => setClinicalTimeZone('UTC'));

  test('UTC by default: a timestamp is the UTC day', () => {
    expect(clinicalTimeZone()).toBe('UTC');
    expect(isoDay(dayRange('2026-11-23T02:00:00Z')?.earliest ?? 0)).toBe('2026-11-23');
  });

  test('a timestamp with an offset is converted to the zone before its date is taken; a date alone is that date', () => {
    setClinicalTimeZone('America/New_York');
    expect(isoDay(dayRange('2026-11-23T02:00:00Z')?.earliest ?? 0)).toBe('2026-11-22');
    expect(isoDay(dayRange('2026-11-23T02:00:00+01:00')?.earliest ?? 0)).toBe('2026-11-22');
    expect(isoDay(dayRange('2026-11-23')?.earliest ?? 0)).toBe('2026-11-23');
    expect(isoDay(dayOf(new Date('2026-11-23T03:00:00Z')))).toBe('2026-11-22');
    setClinicalTimeZone('Pacific/Auckland');
    expect(isoDay(dayOf(new Date('2026-11-23T12:00:00Z')))).toBe('2026-11-24');
  });

  test('an evening fever is dated by the local calendar: 14 days ago in UTC is 15 days ago in Los Angeles', () => {
    const now = new Date('2026-11-23T18:00:00Z');
    // 2026-11-09 03:00 UTC is 2026-11-08 19:00 in Los Angeles.
    const fever = { ...condition('f', 'R50.9', { clinical: 'resolved' }), onsetDateTime: '2026-11-09T03:00:00Z' };
    expect(buildPatientFacts(record({ conditions: [fever] }), now, knowledge).redFlags.map((h) => h.findingId)).toEqual(['fever']);
    setClinicalTimeZone('America/Los_Angeles');
    expect(buildPatientFacts(record({ conditions: [fever] }), now, knowledge).redFlags.map((h) => h.findingId)).toEqual([]);
  });

  test('CLINICAL_TIMEZONE must be an IANA zone; default UTC', () => {
    expect(loadConfig({}).CLINICAL_TIMEZONE).toBe('UTC');
    expect(loadConfig({ CLINICAL_TIMEZONE: 'Europe/London' }).CLINICAL_TIMEZONE).toBe('Europe/London');
    expect(() => loadConfig({ CLINICAL_TIMEZONE: 'Mars/Olympus' })).toThrow(/CLINICAL_TIMEZONE: must be an IANA time zone/);
  });
});

describe('an undated episode and referrals already made', () => {
  const undated = condition('lbp', 'M54.50', { display: 'Low back pain' });
  const stratified = async (parts: Parameters<typeof record>[0]) =>
    (
      await evaluate(knowledge, {
        serviceId: 'back-pain-stratified-care',
        record: record(parts),
        userReference: 'Practitioner/x',
        now: NOW,
      })
    ).firedRules;

  test("a STarT Back result in the last 90 days counts as the undated episode's; an older one does not", async () => {
    expect(await stratified({ conditions: [undated], observations: [startBackTotal('t', 5, daysAgo(90), 2)] })).toEqual([
      'startback-medium',
    ]);
    expect(await stratified({ conditions: [undated], observations: [startBackTotal('t', 5, daysAgo(91), 2)] })).toEqual([
      'startback-missing',
    ]);
  });

  test('SCOPiC items in the last 90 days count for an undated sciatica episode', async () => {
    const undatedSciatica = { ...sciatica(10), onsetDateTime: undefined };
    const obs = [
      startBackTotal('t', 5, daysAgo(3), 2),
      ...scopicItems('s', daysAgo(3), { legPain: false, belowKnee: false, interference: false, sensory: false }),
    ];
    expect(await stratified({ conditions: [undatedSciatica], observations: obs })).toEqual(['sciatica-physio']);
  });

  test(
    'no referral offered twice: a physiotherapy referral suppresses ' + 'startback-high and sciatica-physio as well as startback-medium',
    async () => {
      const high = [startBackTotal('t', 7, daysAgo(2), 5)];
      expect(await stratified({ conditions: [backPain(20)], observations: high })).toEqual(['startback-high']);
      expect(
        await stratified({ conditions: [backPain(20)], observations: high, serviceRequests: [referral('r', PHYSIO, daysAgo(5))] }),
      ).toEqual([]);
      const physio = [startBackTotal('t', 2, daysAgo(2)), ...scopicItems('s', daysAgo(2), {})];
      expect(await stratified({ conditions: [sciatica(20)], observations: physio })).toEqual(['sciatica-physio']);
      expect(
        await stratified({ conditions: [sciatica(20)], observations: physio, serviceRequests: [referral('r', PHYSIO, daysAgo(5))] }),
      ).toEqual([]);
    },
  );

  test("for an undated episode a referral in the last 90 days (or still open) is this episode's", async () => {
    const medium = [startBackTotal('t', 5, daysAgo(2), 2)];
    expect(
      await stratified({ conditions: [undated], observations: medium, serviceRequests: [referral('r', PHYSIO, daysAgo(80))] }),
    ).toEqual([]);
    expect(
      await stratified({ conditions: [undated], observations: medium, serviceRequests: [referral('r', PHYSIO, daysAgo(120))] }),
    ).toEqual(['startback-medium']);
  });
});
