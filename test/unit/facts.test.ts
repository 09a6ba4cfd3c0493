import type { Condition, MedicationRequest, Observation } from 'fhir/r4.js';
import { buildPatientFacts, engineFacts } from '../../src/facts/patient-facts.js';
import { ENGINE_FACT_NAMES } from '../../src/knowledge/fact-docs.js';
import type { PatientFacts, PatientRecord } from '../../src/facts/types.js';
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import { cardsDir, rulesDir } from '../../src/paths.js';
import {
  CPT,
  LOINC,
  NOW,
  RXNORM,
  SNOMED,
  backPain,
  concept,
  condition,
  daysAgo,
  imagingStudy,
  medicationRequest,
  patient,
  procedure,
  record,
  supplyFor,
  temperature,
} from '../support/fhir-builders.js';

let kb: KnowledgeBase;
beforeAll(() => {
  kb = loadKnowledge({ rulesDir, cardsDir });
});

const factsOf = (r: PatientRecord): PatientFacts => buildPatientFacts(r, NOW, kb);

/** The patient-view facts of a record with none of their inputs (test/unit/care-rules.test.ts covers them). */
const NOTHING_FOR_CARE = {
  deceased: false,
  startbackRisk: null,
  startbackTotal: null,
  startbackPsychosocial: null,
  scopicGroup: null,
  physioReferralInPlace: null,
  fastTrackInPlace: null,
  chronicPainCondition: false,
  chronicPrimaryPain: false,
  phq9Score: null,
  phq9DaysAgo: null,
  gad7Score: null,
  gad7DaysAgo: null,
  moodScoreDaysAgo: null,
  therapyReferralDaysAgo: null,
  therapyReferralOpen: false,
  exerciseReferralDaysAgo: null,
  exerciseReferralOpen: false,
};
const CARE_FACT_NAMES = Object.keys(NOTHING_FOR_CARE);
const withConditions = (...conditions: Condition[]): PatientFacts => factsOf(record({ conditions }));
const redFlagIds = (facts: PatientFacts): string[] => facts.redFlags.map((h) => h.findingId);
const conditionFlags = (...conditions: Condition[]): string[] => redFlagIds(withConditions(...conditions));
const observationFlags = (...observations: Observation[]): string[] => redFlagIds(factsOf(record({ observations })));
const medicationFlags = (...medicationRequests: MedicationRequest[]): string[] => redFlagIds(factsOf(record({ medicationRequests })));

const PREDNISONE = 'prednisone 5 MG Oral Tablet';

describe('patient facts basics', () => {
  test('today is the UTC day of now and the patient reference is Type/id', () => {
    const facts = factsOf(record());
    expect(facts.today).toBe('2026-11-23');
    expect(facts.patientReference).toBe('Patient/p1');
  });

  test('age is whole years at now (born 1980-04-12: 46)', () => {
    expect(factsOf(record()).ageYears).toBe(46);
  });

  test('no birthDate: age is unknown, engine fact ageYears is null and unknowns says why', () => {
    const facts = factsOf(record({ patient: patient(null) }));
    expect(facts.ageYears).toBeUndefined();
    expect(engineFacts(facts).ageYears).toBeNull();
    expect(facts.unknowns).toEqual(['The patient has no usable birthDate, so adulthood cannot be decided.']);
  });

  test('17 the day before the 18th birthday, 18 on it', () => {
    expect(factsOf(record({ patient: patient('2008-11-24') })).ageYears).toBe(17);
    expect(factsOf(record({ patient: patient('2008-11-23') })).ageYears).toBe(18);
  });

  test('redFlagsChecked lists every red flag label from rules/findings.json, in order', () => {
    expect(factsOf(record()).redFlagsChecked).toEqual([
      'Cancer or a history of cancer',
      'HIV',
      'Organ transplant',
      'Osteoporosis',
      'Immunosuppression (active)',
      'Long-term systemic steroids',
      'Intravenous drug use (last 365 days)',
      'Neurological impairment (last 365 days)',
      'Spinal infection (last 365 days)',
      'Trauma or vertebral fracture (last 90 days)',
      'Unexplained weight loss (last 90 days)',
      'Fever (last 14 days)',
      'Prior lumbar spine surgery',
    ]);
  });

  test('an empty record has no episode, red flags, signs, imaging or unknowns', () => {
    expect(factsOf(record())).toEqual({
      today: '2026-11-23',
      patientReference: 'Patient/p1',
      ageYears: 46,
      redFlags: [],
      redFlagsChecked: expect.any(Array),
      caudaEquinaSigns: [],
      textChecked: { textOnly: 0, unreadable: [] },
      otherPatientResources: 0,
      deceased: false,
      startBackProblems: [],
      startBackUnscorable: [],
      referrals: { physiotherapy: [], psychologicalTherapy: [], exercise: [], spinalSpecialist: [], lumbarMri: [] },
      chronicPain: [],
      chronicPrimaryPain: [],
      unknowns: [],
    });
  });
});

describe('engineFacts', () => {
  test('ENGINE_FACT_NAMES are exactly the keys of engineFacts', () => {
    expect([...ENGINE_FACT_NAMES]).toEqual([
      'ageYears',
      'openEpisode',
      'episodeDays',
      'sciatica',
      'redFlagCount',
      'caudaEquinaSignCount',
      'priorLumbarImagingDaysAgo',
      'backPainConditionDaysAgo',
      ...CARE_FACT_NAMES,
    ]);
    expect(Object.keys(engineFacts(factsOf(record())))).toEqual([...ENGINE_FACT_NAMES]);
  });

  test('an adult with 41 days of back pain and nothing else', () => {
    expect(engineFacts(withConditions(backPain(41)))).toEqual({
      ageYears: 46,
      openEpisode: true,
      episodeDays: 41,
      sciatica: false,
      redFlagCount: 0,
      caudaEquinaSignCount: 0,
      priorLumbarImagingDaysAgo: null,
      backPainConditionDaysAgo: 41,
      ...NOTHING_FOR_CARE,
      physioReferralInPlace: false,
      fastTrackInPlace: false,
    });
  });

  test('no episode: openEpisode false, episodeDays null, sciatica false', () => {
    expect(engineFacts(factsOf(record()))).toEqual({
      ageYears: 46,
      openEpisode: false,
      episodeDays: null,
      sciatica: false,
      redFlagCount: 0,
      caudaEquinaSignCount: 0,
      priorLumbarImagingDaysAgo: null,
      backPainConditionDaysAgo: null,
      ...NOTHING_FOR_CARE,
    });
  });

  test('counts red flags, cauda equina signs and prior imaging days', () => {
    const facts = factsOf(
      record({
        conditions: [backPain(10), condition('fx', 'S32.010A', { onset: daysAgo(5) }), condition('ret', 'R33.9', { onset: daysAgo(2) })],
        procedures: [procedure('mri', concept(CPT, '72148'), daysAgo(120))],
      }),
    );
    expect(engineFacts(facts)).toMatchObject({ redFlagCount: 1, caudaEquinaSignCount: 1, priorLumbarImagingDaysAgo: 120 });
  });
});

describe('episode', () => {
  test('is the newest active back pain Condition, with start, duration and evidence', () => {
    const facts = withConditions(
      condition('old', 'M54.50', { onset: daysAgo(100) }),
      condition('new', 'M54.9', { onset: daysAgo(10), display: 'Dorsalgia, unspecified' }),
    );
    expect(facts.episode).toEqual({
      condition: { reference: 'Condition/new', display: 'Dorsalgia, unspecified', date: daysAgo(10) },
      sciatica: false,
      start: daysAgo(10),
      durationDays: 10,
    });
  });

  test('the newest wins whatever the order of the Conditions in the record', () => {
    const a = condition('a', 'M54.50', { onset: daysAgo(10) });
    const b = condition('b', 'M54.50', { onset: daysAgo(50) });
    expect(withConditions(a, b).episode?.condition.reference).toBe('Condition/a');
    expect(withConditions(b, a).episode?.condition.reference).toBe('Condition/a');
  });

  test.each(['resolved', 'inactive', 'remission'])('a newer %s Condition is ignored: the older active one is the episode', (status) => {
    const facts = withConditions(condition('done', 'M54.50', { onset: daysAgo(5), clinical: status }), backPain(30, 'open'));
    expect(facts.episode?.condition.reference).toBe('Condition/open');
    expect(facts.episode?.durationDays).toBe(30);
  });

  test.each(['refuted', 'entered-in-error'])('a %s Condition is ignored even when its clinicalStatus is active', (verification) => {
    expect(withConditions(condition('x', 'M54.50', { onset: daysAgo(5), verification })).episode).toBeUndefined();
  });

  test('a confirmed or unconfirmed Condition counts', () => {
    expect(withConditions(condition('x', 'M54.50', { onset: daysAgo(5), verification: 'confirmed' })).episode?.durationDays).toBe(5);
    expect(withConditions(condition('x', 'M54.50', { onset: daysAgo(5), verification: 'unconfirmed' })).episode?.durationDays).toBe(5);
  });

  test('clinicalStatus absent counts as active', () => {
    expect(withConditions(condition('x', 'M54.50', { onset: daysAgo(7), clinical: null })).episode?.durationDays).toBe(7);
  });

  test.each([
    ['abatementDateTime', { abatementDateTime: daysAgo(2) }],
    ['abatementString', { abatementString: 'resolved last week' }],
    ['abatementAge', { abatementAge: { value: 46, unit: 'a' } }],
  ])('clinicalStatus absent with %s is no open episode (FHIR con-4: abated is not active)', (_name, abated) => {
    expect(withConditions({ ...condition('x', 'M54.50', { onset: daysAgo(20), clinical: null }), ...abated }).episode).toBeUndefined();
  });

  test.each(['recurrence', 'relapse'])('clinicalStatus %s counts as active', (clinical) => {
    expect(withConditions(condition('x', 'M54.50', { onset: daysAgo(7), clinical })).episode?.durationDays).toBe(7);
  });

  test('only resolved back pain: no episode, so openEpisode is false', () => {
    const facts = withConditions(condition('x', 'M54.50', { onset: daysAgo(7), clinical: 'resolved' }));
    expect(facts.episode).toBeUndefined();
    expect(engineFacts(facts).openEpisode).toBe(false);
  });

  test('a Condition outside back pain and sciatica (M54.2 neck pain) opens no episode', () => {
    expect(withConditions(condition('neck', 'M54.2', { onset: daysAgo(7) })).episode).toBeUndefined();
  });

  describe('Condition date precedence', () => {
    test('onsetDateTime wins over onsetPeriod.start and recordedDate', () => {
      const c = condition('x', 'M54.50', { onset: daysAgo(10), onsetPeriodStart: daysAgo(20), recordedDate: daysAgo(5) });
      expect(withConditions(c).episode?.durationDays).toBe(10);
    });

    test('without onsetDateTime, onsetPeriod.start wins over recordedDate', () => {
      const c = condition('x', 'M54.50', { onsetPeriodStart: daysAgo(20), recordedDate: daysAgo(5) });
      expect(withConditions(c).episode?.durationDays).toBe(20);
      expect(withConditions(c).episode?.start).toBe(daysAgo(20));
    });

    test('an onsetPeriod with only an end is dated by that end, before recordedDate', () => {
      const c = { ...condition('x', 'M54.50', { recordedDate: daysAgo(5) }), onsetPeriod: { end: daysAgo(50) } };
      expect(withConditions(c).episode?.durationDays).toBe(50);
    });

    test('a resolved fracture whose onsetPeriod has only an end 20 days ago is a trauma red flag', () => {
      const fracture = { ...condition('fx', 'S32.010A', { clinical: 'resolved' }), onsetPeriod: { end: daysAgo(20) } };
      expect(conditionFlags(fracture)).toEqual(['trauma']);
    });

    test('recordedDate alone is used', () => {
      expect(withConditions(condition('x', 'M54.50', { recordedDate: daysAgo(5) })).episode?.durationDays).toBe(5);
    });

    test('the newest is decided by the Condition date: recordedDate 3 days ago beats onsetDateTime 8 days ago', () => {
      const facts = withConditions(
        condition('onset', 'M54.50', { onset: daysAgo(8) }),
        condition('recorded', 'M54.50', { recordedDate: daysAgo(3) }),
      );
      expect(facts.episode?.condition.reference).toBe('Condition/recorded');
    });
  });

  describe('duration', () => {
    test('41 days: episodeDays 41 (still early)', () => {
      expect(engineFacts(withConditions(backPain(41))).episodeDays).toBe(41);
    });

    test('42 days: episodeDays 42 (no longer early)', () => {
      expect(engineFacts(withConditions(backPain(42))).episodeDays).toBe(42);
    });

    test('started today: 0 days', () => {
      expect(withConditions(backPain(0)).episode?.durationDays).toBe(0);
    });

    test('a late-evening -05:00 onset (2026-10-12T22:00-05:00 is 2026-10-13 UTC) is 41 days, not 42', () => {
      const facts = withConditions(condition('x', 'M54.50', { onset: '2026-10-12T22:00:00-05:00' }));
      expect(facts.episode?.start).toBe('2026-10-13');
      expect(facts.episode?.durationDays).toBe(41);
    });

    test('undated episode: durationDays and start undefined, engine episodeDays null, and an unknowns entry naming the Condition', () => {
      const facts = withConditions(condition('undated', 'M54.50'));
      expect(facts.episode).toEqual({ condition: { reference: 'Condition/undated', display: 'M54.50' }, sciatica: false });
      expect(engineFacts(facts)).toMatchObject({ openEpisode: true, episodeDays: null });
      expect(facts.unknowns).toEqual(["The episode's Condition (Condition/undated) has no full date, so its duration is unknown."]);
    });

    test.each(['2026', '2026-10'])('year-only or year-month episode (%s): durationDays undefined and an unknowns entry', (onset) => {
      const facts = withConditions(condition('partial', 'M54.50', { onset }));
      expect(facts.episode?.durationDays).toBeUndefined();
      expect(facts.episode?.start).toBeUndefined();
      expect(facts.unknowns).toEqual(["The episode's Condition (Condition/partial) has no full date, so its duration is unknown."]);
    });

    test('an invalid onset date (2026-02-30) is treated as undated', () => {
      const facts = withConditions(condition('bad', 'M54.50', { onset: '2026-02-30' }));
      expect(facts.episode?.durationDays).toBeUndefined();
      expect(facts.unknowns).toHaveLength(1);
    });

    test('a dated Condition is preferred to an undated one', () => {
      const facts = withConditions(condition('undated', 'M54.50'), backPain(30, 'dated'));
      expect(facts.episode?.condition.reference).toBe('Condition/dated');
      expect(facts.unknowns).toEqual([]);
    });
  });

  describe('sciatica', () => {
    test.each([
      ['M54.41', 'http://hl7.org/fhir/sid/icd-10-cm'],
      ['M5416', 'http://hl7.org/fhir/sid/icd-10-cm'],
      ['M51.16', 'http://hl7.org/fhir/sid/icd-10-cm'],
      ['23056005', SNOMED],
    ])('an episode coded %s is sciatica', (code, system) => {
      const facts = withConditions(condition('sci', code, { onset: daysAgo(20), system }));
      expect(facts.episode?.sciatica).toBe(true);
      expect(engineFacts(facts).sciatica).toBe(true);
    });

    test.each(['M54.50', 'M48.061', 'M43.16'])('an episode coded %s (back pain, stenosis, spondylolisthesis) is not sciatica', (code) => {
      expect(withConditions(condition('bp', code, { onset: daysAgo(20) })).episode?.sciatica).toBe(false);
    });

    test('sciatica comes from the newest Condition only: older sciatica, newer low back pain is not sciatica', () => {
      const facts = withConditions(condition('sci', 'M54.41', { onset: daysAgo(60) }), backPain(10));
      expect(facts.episode?.sciatica).toBe(false);
    });

    test('newer sciatica, older low back pain is sciatica', () => {
      const facts = withConditions(condition('sci', 'M54.41', { onset: daysAgo(10) }), backPain(60));
      expect(facts.episode?.condition.reference).toBe('Condition/sci');
      expect(facts.episode?.sciatica).toBe(true);
    });
  });
});

describe('red flags from Conditions', () => {
  test.each([
    ['trauma (S32.010A)', 'S32.010A', 90, 'trauma'],
    ['weight loss (R63.4)', 'R63.4', 90, 'weight-loss'],
    ['fever (R50.9)', 'R50.9', 14, 'fever'],
    ['intravenous drug use (F11.20)', 'F11.20', 365, 'intravenous-drug-use'],
    ['neurological impairment (R26.2)', 'R26.2', 365, 'neurological-impairment'],
    ['spinal infection (M46.26)', 'M46.26', 365, 'spinal-infection'],
  ])('%s counts on the last day of its %i-day window, not the day after', (_name, code, days, id) => {
    expect(conditionFlags(condition('f', code, { onset: daysAgo(days) }))).toEqual([id]);
    expect(conditionFlags(condition('f', code, { onset: daysAgo(days + 1) }))).toEqual([]);
  });

  test('trauma 90 days ago counts, 91 days ago does not', () => {
    expect(conditionFlags(condition('fx', 'S32.010A', { onset: daysAgo(90) }))).toEqual(['trauma']);
    expect(conditionFlags(condition('fx', 'S32.010A', { onset: daysAgo(91) }))).toEqual([]);
  });

  test('fever Condition 14 days ago counts, 15 days ago does not', () => {
    expect(conditionFlags(condition('fev', 'R50.9', { onset: daysAgo(14) }))).toEqual(['fever']);
    expect(conditionFlags(condition('fev', 'R50.9', { onset: daysAgo(15) }))).toEqual([]);
  });

  test('IV drug use 365 days ago counts, 366 days ago does not', () => {
    expect(conditionFlags(condition('ivdu', 'F11.20', { onset: daysAgo(365) }))).toEqual(['intravenous-drug-use']);
    expect(conditionFlags(condition('ivdu', 'F11.20', { onset: daysAgo(366) }))).toEqual([]);
  });

  test('a windowed red flag uses the Condition date precedence (recordedDate 10 days ago counts for trauma)', () => {
    expect(conditionFlags(condition('fx', 'S32.010A', { recordedDate: daysAgo(10) }))).toEqual(['trauma']);
    expect(conditionFlags(condition('fx', 'S32.010A', { onset: daysAgo(200), recordedDate: daysAgo(10) }))).toEqual([]);
  });

  test('a red flag dated in the future is outside the window (windows end at the request time)', () => {
    expect(conditionFlags(condition('fx', 'S32.010A', { onset: daysAgo(-1) }))).toEqual([]);
  });

  test('a partial date counts while any of it is in the window: trauma in 2026-08 (31 August is 84 days ago)', () => {
    const facts = withConditions(condition('fx', 'S32.010A', { onset: '2026-08' }));
    expect(redFlagIds(facts)).toEqual(['trauma']);
    expect(facts.redFlags[0]?.date).toBe('2026-08-31');
  });

  test('a windowed red flag that is resolved but dated inside the window still counts (trauma 30 days ago)', () => {
    expect(conditionFlags(condition('fx', 'S32.010A', { onset: daysAgo(30), clinical: 'resolved' }))).toEqual(['trauma']);
  });

  test('S33.5XXA (lumbar sprain) 5 days ago is back pain, not trauma', () => {
    const facts = withConditions(condition('sprain', 'S33.5XXA', { onset: daysAgo(5) }));
    expect(redFlagIds(facts)).toEqual([]);
    expect(facts.episode?.durationDays).toBe(5);
  });

  describe('any-time red flags', () => {
    test('cancer counts any time, even resolved 20 years ago', () => {
      expect(conditionFlags(condition('ca', 'C50.911', { onset: '2006-03-01', clinical: 'resolved' }))).toEqual(['cancer']);
    });

    test('history of cancer Z85.3 counts', () => {
      expect(conditionFlags(condition('hx', 'Z85.3', { onset: '2010-01-01', clinical: 'inactive' }))).toEqual(['cancer']);
    });

    test('undated cancer counts', () => {
      expect(conditionFlags(condition('ca', 'C18.9'))).toEqual(['cancer']);
    });

    test.each(['refuted', 'entered-in-error'])('a %s cancer Condition never counts', (verification) => {
      expect(conditionFlags(condition('ca', 'C50.911', { onset: daysAgo(30), verification }))).toEqual([]);
    });

    test.each([
      ['B20', 'hiv'],
      ['Z94.0', 'transplant'],
      ['M81.0', 'osteoporosis'],
    ])('%s counts any time (%s), dated 2001 and resolved', (code, id) => {
      expect(conditionFlags(condition('x', code, { onset: '2001-05-05', clinical: 'resolved' }))).toEqual([id]);
    });
  });

  describe('immunosuppression (active only)', () => {
    test('active D84.9 counts whatever its date (5 years ago)', () => {
      expect(conditionFlags(condition('imm', 'D84.9', { onset: daysAgo(5 * 365) }))).toEqual(['immunosuppression']);
    });

    test('active D84.9 without a date counts', () => {
      expect(conditionFlags(condition('imm', 'D84.9'))).toEqual(['immunosuppression']);
    });

    test('D84.9 with clinicalStatus absent counts (absent = active)', () => {
      expect(conditionFlags(condition('imm', 'D84.9', { clinical: null }))).toEqual(['immunosuppression']);
    });

    test('resolved D84.9 does not count, even when resolved yesterday', () => {
      expect(conditionFlags(condition('imm', 'D84.9', { onset: daysAgo(1), clinical: 'resolved' }))).toEqual([]);
    });
  });

  test('every Condition hit names the finding, label, reference, display and date', () => {
    const facts = withConditions(condition('fx', 'S32.010A', { onset: daysAgo(20), display: 'Wedge compression fracture of L1' }));
    expect(facts.redFlags).toEqual([
      {
        findingId: 'trauma',
        label: 'Trauma or vertebral fracture (last 90 days)',
        reference: 'Condition/fx',
        display: 'Wedge compression fracture of L1',
        date: daysAgo(20),
      },
    ]);
  });

  test('two red flags give two hits, in findings.json order', () => {
    expect(
      conditionFlags(condition('fx', 'S32.010A', { onset: daysAgo(20) }), condition('ca', 'C50.911', { onset: '2015-01-01' })),
    ).toEqual(['cancer', 'trauma']);
  });
});

describe('fever from body temperature Observations', () => {
  test('38.0 Cel counts, with reference and date', () => {
    const facts = factsOf(record({ observations: [temperature('t1', 38.0, 'Cel', `${daysAgo(2)}T09:00:00Z`)] }));
    expect(facts.redFlags).toEqual([
      {
        findingId: 'fever',
        label: 'Fever (last 14 days)',
        reference: 'Observation/t1',
        display: 'Body temperature 38 °C',
        date: daysAgo(2),
      },
    ]);
  });

  test('37.9 Cel does not count', () => {
    expect(observationFlags(temperature('t1', 37.9, 'Cel', daysAgo(2)))).toEqual([]);
  });

  test('100.4 [degF] counts (exactly 38.0 °C)', () => {
    expect(observationFlags(temperature('t1', 100.4, '[degF]', daysAgo(2)))).toEqual(['fever']);
  });

  test('100.5 [degF] counts and is shown in °C (38.1 °C)', () => {
    const facts = factsOf(record({ observations: [temperature('t1', 100.5, '[degF]', daysAgo(2))] }));
    expect(redFlagIds(facts)).toEqual(['fever']);
    expect(facts.redFlags[0]?.display).toBe('Body temperature 38.1 °C');
  });

  test('100.2 [degF] (37.9 °C) does not count', () => {
    expect(observationFlags(temperature('t1', 100.2, '[degF]', daysAgo(2)))).toEqual([]);
  });

  test('entered-in-error does not count', () => {
    expect(observationFlags(temperature('t1', 39.5, 'Cel', daysAgo(2), 'entered-in-error'))).toEqual([]);
  });

  test('cancelled does not count', () => {
    expect(observationFlags(temperature('t1', 39.5, 'Cel', daysAgo(2), 'cancelled'))).toEqual([]);
  });

  test('14 days ago counts, 15 days ago does not', () => {
    expect(observationFlags(temperature('t1', 39, 'Cel', daysAgo(14)))).toEqual(['fever']);
    expect(observationFlags(temperature('t1', 39, 'Cel', daysAgo(15)))).toEqual([]);
  });

  test('an undated temperature does not count', () => {
    const obs = temperature('t1', 39, 'Cel', daysAgo(1));
    delete obs.effectiveDateTime;
    expect(observationFlags(obs)).toEqual([]);
  });

  test('a temperature without a unit is read by its number: body temperatures in °C and °F do not overlap', () => {
    const unitless = (value: number): Observation => ({ ...temperature('t1', 39, 'Cel', daysAgo(1)), valueQuantity: { value } });
    expect(observationFlags(unitless(39))).toEqual(['fever']);
    expect(observationFlags(unitless(102.2))).toEqual(['fever']);
    expect(observationFlags(unitless(37.2))).toEqual([]);
    expect(observationFlags(unitless(99.5))).toEqual([]);
    // Neither a body temperature in °C nor one in °F: not read.
    expect(observationFlags(unitless(60))).toEqual([]);
  });

  test.each([
    ['℃', 38.9],
    ['deg C', 38.9],
    ['Celsius', 38.9],
    ['º C', 38.9],
    ['degrees F', 102],
    ['℉', 102],
    ['[degF]', 102],
  ])('a unit written %s is read, so %s counts as fever', (unit, value) => {
    const obs: Observation = { ...temperature('t1', 39, 'Cel', daysAgo(1)), valueQuantity: { value, unit } };
    expect(observationFlags(obs)).toEqual(['fever']);
  });

  test('a comparator: "> 38" is a fever, "< 38.5" shows none (an upper bound cannot)', () => {
    const at = (comparator: '<' | '>', value: number): Observation => ({
      ...temperature('t1', 39, 'Cel', daysAgo(1)),
      valueQuantity: { value, comparator, unit: '°C', system: 'http://unitsofmeasure.org', code: 'Cel' },
    });
    expect(observationFlags(at('>', 38))).toEqual(['fever']);
    expect(observationFlags(at('<', 38.5))).toEqual([]);
  });

  test('a temperature dated only by the end of its effectivePeriod is dated by that end', () => {
    const obs = temperature('t1', 39, 'Cel', daysAgo(1));
    delete obs.effectiveDateTime;
    obs.effectivePeriod = { end: `${daysAgo(1)}T08:00:00Z` };
    expect(observationFlags(obs)).toEqual(['fever']);
  });

  test('an Observation with another code (heart rate 120) is not a temperature', () => {
    const obs: Observation = { ...temperature('hr', 120, 'Cel', daysAgo(1)), code: concept(LOINC, '8867-4', 'Heart rate') };
    expect(observationFlags(obs)).toEqual([]);
  });
});

describe('long-term systemic steroids', () => {
  test('one request covering 90 days in the last 366 counts, naming the request and its start', () => {
    const facts = factsOf(record({ medicationRequests: [medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(90))] }));
    expect(facts.redFlags).toEqual([
      {
        findingId: 'long-term-steroids',
        label: 'Long-term systemic steroids',
        reference: 'MedicationRequest/m1',
        display: `${PREDNISONE} (matched by text): systemic steroid on 90 of the last 366 days`,
        date: daysAgo(200),
        matchedByText: 'medication name',
      },
    ]);
  });

  test.each([
    ['Days', { value: 120, unit: 'Days' }],
    ['WEEKS', { value: 16, unit: 'WEEKS' }],
    ['a UCUM code with a SNOMED-coded unit beside it', { value: 120, unit: 'day', system: 'http://snomed.info/sct', code: '258703001' }],
    ['years', { value: 1, unit: 'years' }],
  ])('a supply duration written %s is read, so the course counts', (_name, expectedSupplyDuration) => {
    const request = medicationRequest('m1', PREDNISONE, daysAgo(200), { dispenseRequest: { expectedSupplyDuration } });
    expect(medicationFlags(request)).toEqual(['long-term-steroids']);
  });

  test('one request covering 89 days does not count', () => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(89)))).toEqual([]);
  });

  test('two non-overlapping requests of 45 days add up to 90 and count', () => {
    expect(
      medicationFlags(
        medicationRequest('m1', PREDNISONE, daysAgo(300), supplyFor(45)),
        medicationRequest('m2', PREDNISONE, daysAgo(100), supplyFor(45)),
      ),
    ).toEqual(['long-term-steroids']);
  });

  test('overlapping requests are not double counted: two 60-day requests from the same day cover 60 days', () => {
    expect(
      medicationFlags(
        medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(60)),
        medicationRequest('m2', PREDNISONE, daysAgo(200), supplyFor(60)),
      ),
    ).toEqual([]);
  });

  test('overlapping requests count their union: 60 days from day 200 and 60 days from day 170 cover 90', () => {
    const facts = factsOf(
      record({
        medicationRequests: [
          medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(60)),
          medicationRequest('m2', PREDNISONE, daysAgo(170), supplyFor(60)),
        ],
      }),
    );
    expect(redFlagIds(facts)).toEqual(['long-term-steroids']);
    expect(facts.redFlags[0]?.reference).toBe('MedicationRequest/m2');
    expect(facts.redFlags[0]?.display).toBe(`${PREDNISONE} (matched by text): systemic steroid on 90 of the last 366 days`);
  });

  test('expectedSupplyDuration 30 days with numberOfRepeatsAllowed 2 covers 90 days and counts', () => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(30, 2)))).toEqual(['long-term-steroids']);
  });

  test('expectedSupplyDuration 30 days with numberOfRepeatsAllowed 1 covers 60 days and does not count', () => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(30, 1)))).toEqual([]);
  });

  test('expectedSupplyDuration in weeks (13 wk = 91 days) counts', () => {
    const req = medicationRequest('m1', PREDNISONE, daysAgo(200), {
      dispenseRequest: { expectedSupplyDuration: { value: 13, unit: 'weeks', system: 'http://unitsofmeasure.org', code: 'wk' } },
    });
    expect(medicationFlags(req)).toEqual(['long-term-steroids']);
  });

  test('dosage boundsPeriod covering 90 days (both ends inclusive) counts; 89 days does not', () => {
    const bounded = (end: number): MedicationRequest =>
      medicationRequest('m1', PREDNISONE, daysAgo(200), {
        dosageInstruction: [{ text: 'one tablet daily', timing: { repeat: { boundsPeriod: { start: daysAgo(200), end: daysAgo(end) } } } }],
      });
    expect(medicationFlags(bounded(111))).toEqual(['long-term-steroids']);
    expect(medicationFlags(bounded(112))).toEqual([]);
  });

  test('dosage boundsDuration of 90 days from authoredOn counts', () => {
    const req = medicationRequest('m1', PREDNISONE, daysAgo(200), {
      dosageInstruction: [
        { timing: { repeat: { boundsDuration: { value: 90, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' } } } },
      ],
    });
    expect(medicationFlags(req)).toEqual(['long-term-steroids']);
  });

  test('expectedSupplyDuration wins over the dosage bounds', () => {
    const req = medicationRequest('m1', PREDNISONE, daysAgo(200), {
      ...supplyFor(30),
      dosageInstruction: [{ timing: { repeat: { boundsPeriod: { start: daysAgo(200), end: daysAgo(50) } } } }],
    });
    expect(medicationFlags(req)).toEqual([]);
  });

  test('no supply or bounds: each request covers the default 30 days, so three count and two do not', () => {
    const three = [300, 200, 100].map((d, i) => medicationRequest(`m${i}`, PREDNISONE, daysAgo(d)));
    expect(medicationFlags(...three)).toEqual(['long-term-steroids']);
    expect(medicationFlags(...three.slice(0, 2))).toEqual([]);
  });

  test('the look-back includes the day 366 days ago: 90 days from 366 days ago count, from 367 days ago only 89 do', () => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(366), supplyFor(90)))).toEqual(['long-term-steroids']);
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(367), supplyFor(90)))).toEqual([]);
  });

  test('days after today do not count: a 365-day supply from 89 days ago covers 90 days, from 88 days ago 89', () => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(89), supplyFor(365)))).toEqual(['long-term-steroids']);
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(88), supplyFor(365)))).toEqual([]);
  });

  test('a request coded only by RxNorm 8640 (prednisone), without any text, counts', () => {
    const req = medicationRequest('m1', '', daysAgo(200), {
      ...supplyFor(90),
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '8640' }] },
    });
    expect(medicationFlags(req)).toEqual(['long-term-steroids']);
  });

  test('a request naming the drug in medicationReference.display counts', () => {
    const req: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: 'm1',
      status: 'active',
      intent: 'order',
      subject: { reference: 'Patient/p1' },
      medicationReference: { reference: 'Medication/pred', display: 'Prednisolone 5 mg tablets' },
      authoredOn: daysAgo(200),
      ...supplyFor(90),
    };
    expect(medicationFlags(req)).toEqual(['long-term-steroids']);
  });

  test.each([
    'fluticasone propionate 110 MCG/ACTUAT Metered Dose Inhaler',
    'Hydrocortisone 10 MG/ML Topical Cream',
    'triamcinolone acetonide 55 MCG/ACTUAT Nasal Spray',
    'prednisolone acetate 10 MG/ML Ophthalmic Suspension',
    'budesonide 0.5 MG/ML Inhalation Suspension',
  ])('inhaled or topical form does not count: %s', (text) => {
    expect(medicationFlags(medicationRequest('m1', text, daysAgo(200), supplyFor(120)))).toEqual([]);
  });

  test('an inhaled form does not count even when its RxNorm code is in the set', () => {
    const req = medicationRequest('m1', '', daysAgo(200), {
      ...supplyFor(120),
      medicationCodeableConcept: { coding: [{ system: RXNORM, code: '3264', display: 'dexamethasone 0.1 MG/ML Inhalation Solution' }] },
    });
    expect(medicationFlags(req)).toEqual([]);
  });

  test('an inhaled route in the dosage excludes the request', () => {
    const req = medicationRequest('m1', 'dexamethasone 0.5 MG/ML', daysAgo(200), {
      ...supplyFor(120),
      dosageInstruction: [{ route: { text: 'Inhalation' } }],
    });
    expect(medicationFlags(req)).toEqual([]);
  });

  test.each(['cancelled', 'entered-in-error', 'draft'] as const)('a %s request does not count', (status) => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(200), { ...supplyFor(120), status }))).toEqual([]);
  });

  test.each(['completed', 'stopped'] as const)('a %s request counts (it was taken)', (status) => {
    expect(medicationFlags(medicationRequest('m1', PREDNISONE, daysAgo(200), { ...supplyFor(120), status }))).toEqual([
      'long-term-steroids',
    ]);
  });

  test('a non-steroid (ibuprofen) for a year does not count', () => {
    expect(medicationFlags(medicationRequest('m1', 'Ibuprofen 400 MG Oral Tablet', daysAgo(300), supplyFor(300)))).toEqual([]);
  });

  test('Z79.52 (long-term systemic steroids) active counts whatever its date', () => {
    expect(conditionFlags(condition('z', 'Z79.52', { onset: '2012-01-01' }))).toEqual(['long-term-steroids']);
  });

  test('Z79.52 resolved does not count', () => {
    expect(conditionFlags(condition('z', 'Z79.52', { onset: daysAgo(10), clinical: 'resolved' }))).toEqual([]);
  });
});

describe('cauda equina signs', () => {
  test('G83.4 30 days ago is a sign, with reference and date', () => {
    const facts = withConditions(condition('ces', 'G83.4', { onset: daysAgo(30), display: 'Cauda equina syndrome' }));
    expect(facts.caudaEquinaSigns).toEqual([
      {
        findingId: 'cauda-equina',
        label: 'Cauda equina sign (last 30 days)',
        reference: 'Condition/ces',
        display: 'Cauda equina syndrome',
        date: daysAgo(30),
      },
    ]);
    expect(engineFacts(facts).caudaEquinaSignCount).toBe(1);
  });

  test('G83.4 31 days ago is not a sign (it is still a neurological red flag)', () => {
    const facts = withConditions(condition('ces', 'G83.4', { onset: daysAgo(31) }));
    expect(facts.caudaEquinaSigns).toEqual([]);
    expect(redFlagIds(facts)).toEqual(['neurological-impairment']);
  });

  test.each([
    ['R33.9', undefined],
    ['R15.9', undefined],
    ['449813001', SNOMED],
    ['267064002', SNOMED],
  ])('%s 30 days ago is a sign; 31 days ago is not', (code, system) => {
    const options = system ? { system } : {};
    expect(withConditions(condition('s', code, { ...options, onset: daysAgo(30) })).caudaEquinaSigns).toHaveLength(1);
    expect(withConditions(condition('s', code, { ...options, onset: daysAgo(31) })).caudaEquinaSigns).toHaveLength(0);
  });

  test('an entered-in-error sign is ignored', () => {
    expect(withConditions(condition('s', 'R33.9', { onset: daysAgo(3), verification: 'entered-in-error' })).caudaEquinaSigns).toEqual([]);
  });
});

describe('prior lumbar imaging', () => {
  const MRI = concept(CPT, '72148', 'MRI lumbar spine without contrast');

  test('a completed lumbar Procedure 100 days ago', () => {
    const facts = factsOf(record({ procedures: [procedure('pr1', MRI, daysAgo(100))] }));
    expect(facts.priorLumbarImaging).toEqual({
      reference: 'Procedure/pr1',
      display: 'MRI lumbar spine without contrast',
      date: daysAgo(100),
      daysAgo: 100,
    });
  });

  test.each(['in-progress', 'not-done', 'stopped', 'preparation', 'entered-in-error'] as const)(
    'a %s Procedure is not prior imaging',
    (status) => {
      expect(factsOf(record({ procedures: [procedure('pr1', MRI, daysAgo(100), status)] })).priorLumbarImaging).toBeUndefined();
    },
  );

  test('performedPeriod.start is used when there is no performedDateTime', () => {
    const p = procedure('pr1', MRI, daysAgo(1));
    delete p.performedDateTime;
    p.performedPeriod = { start: daysAgo(40), end: daysAgo(40) };
    expect(factsOf(record({ procedures: [p] })).priorLumbarImaging?.daysAgo).toBe(40);
  });

  test('a completed cervical MRI (SNOMED 241646009) is not lumbar imaging', () => {
    expect(
      factsOf(record({ procedures: [procedure('pr1', concept(SNOMED, '241646009'), daysAgo(10))] })).priorLumbarImaging,
    ).toBeUndefined();
  });

  test('an ImagingStudy with a lumbar procedureCode counts, dated by started', () => {
    const facts = factsOf(
      record({ imagingStudies: [imagingStudy('is1', concept(LOINC, '24968-0', 'MR Lumbar spine'), `${daysAgo(30)}T08:30:00Z`)] }),
    );
    expect(facts.priorLumbarImaging).toEqual({ reference: 'ImagingStudy/is1', display: 'MR Lumbar spine', date: daysAgo(30), daysAgo: 30 });
  });

  test('an ImagingStudy whose second procedureCode is lumbar counts', () => {
    const s = imagingStudy('is1', concept(SNOMED, '241645008'), daysAgo(30));
    s.procedureCode = [concept(SNOMED, '241645008'), concept(LOINC, '30679-5', 'MR Lumbar spine WO contrast')];
    expect(factsOf(record({ imagingStudies: [s] })).priorLumbarImaging?.display).toBe('MR Lumbar spine WO contrast');
  });

  test.each(['cancelled', 'entered-in-error'] as const)('a %s ImagingStudy is not prior imaging', (status) => {
    expect(
      factsOf(record({ imagingStudies: [imagingStudy('is1', concept(LOINC, '24968-0'), daysAgo(30), status)] })).priorLumbarImaging,
    ).toBeUndefined();
  });

  test('the newest wins: a study 30 days ago over a procedure 200 days ago, whatever the order', () => {
    const facts = factsOf(
      record({
        procedures: [procedure('old', MRI, daysAgo(200)), procedure('older', MRI, daysAgo(300))],
        imagingStudies: [imagingStudy('new', concept(LOINC, '24968-0'), daysAgo(30))],
      }),
    );
    expect(facts.priorLumbarImaging?.reference).toBe('ImagingStudy/new');
    expect(facts.priorLumbarImaging?.daysAgo).toBe(30);
  });

  test('the newest procedure wins over an older study', () => {
    const facts = factsOf(
      record({
        procedures: [procedure('new', MRI, daysAgo(20))],
        imagingStudies: [imagingStudy('old', concept(LOINC, '24968-0'), daysAgo(30))],
      }),
    );
    expect(facts.priorLumbarImaging?.reference).toBe('Procedure/new');
  });

  test.each([0, 1, 365, 366, 1000])('daysAgo is exact: imaging %i days ago gives daysAgo %i', (n) => {
    const facts = factsOf(record({ procedures: [procedure('pr1', MRI, daysAgo(n))] }));
    expect(facts.priorLumbarImaging?.daysAgo).toBe(n);
    expect(engineFacts(facts).priorLumbarImagingDaysAgo).toBe(n);
  });

  test('imaging dated in the future is ignored', () => {
    expect(factsOf(record({ procedures: [procedure('pr1', MRI, daysAgo(-3))] })).priorLumbarImaging).toBeUndefined();
  });

  test('undated imaging is ignored', () => {
    const p = procedure('pr1', MRI, daysAgo(3));
    delete p.performedDateTime;
    expect(factsOf(record({ procedures: [p] })).priorLumbarImaging).toBeUndefined();
  });
});

describe('evidence', () => {
  test('every red flag, cauda equina sign and imaging item names a Type/id reference and a YYYY-MM-DD date', () => {
    const facts = factsOf(
      record({
        conditions: [
          backPain(20),
          condition('ca', 'C50.911', { onset: '2015-06-01' }),
          condition('hiv', 'B20', { recordedDate: '2019-02-03' }),
          condition('tx', 'Z94.0', { onset: '2018-01-01' }),
          condition('op', 'M81.0', { onset: '2020-01-01' }),
          condition('imm', 'D84.9', { onset: '2021-01-01' }),
          condition('z79', 'Z79.52', { onset: '2022-01-01' }),
          condition('ivdu', 'F11.20', { onset: daysAgo(100) }),
          condition('neuro', 'R26.2', { onset: daysAgo(100) }),
          condition('inf', 'M46.26', { onset: daysAgo(100) }),
          condition('fx', 'S32.010A', { onset: daysAgo(10) }),
          condition('wl', 'R63.4', { onset: daysAgo(10) }),
          condition('fev', 'R50.9', { onset: daysAgo(3) }),
          condition('ces', 'G83.4', { onset: daysAgo(3) }),
        ],
        observations: [temperature('t1', 38.4, 'Cel', daysAgo(1))],
        medicationRequests: [medicationRequest('m1', PREDNISONE, daysAgo(200), supplyFor(100))],
        procedures: [procedure('pr1', concept(CPT, '72148'), daysAgo(50))],
      }),
    );
    expect(redFlagIds(facts)).toEqual([
      'cancer',
      'hiv',
      'transplant',
      'osteoporosis',
      'immunosuppression',
      'long-term-steroids',
      'long-term-steroids',
      'intravenous-drug-use',
      'neurological-impairment',
      'neurological-impairment',
      'spinal-infection',
      'trauma',
      'weight-loss',
      'fever',
      'fever',
    ]);
    const items = [...facts.redFlags, ...facts.caudaEquinaSigns, ...(facts.priorLumbarImaging ? [facts.priorLumbarImaging] : [])];
    expect(items).toHaveLength(17);
    for (const item of items) {
      expect(item.reference).toMatch(/^(Condition|Observation|MedicationRequest|Procedure|ImagingStudy)\/[A-Za-z0-9\-.]+$/);
      expect(item.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
  });
});
