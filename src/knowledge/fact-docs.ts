/**
 * The facts a rule can use, declared here so knowledge (schemas, loader, editor help) owns their
 * names and the facts stage fills them in: src/facts/patient-facts.ts returns a value for exactly
 * these keys, which the compiler checks. Each comes with what it means, for editors (hover text in
 * the generated JSON Schemas) and for people: its meaning, type, unit and where it comes from.
 */
export interface FactDoc {
  meaning: string;
  type: 'number' | 'boolean' | 'text';
  unit?: string;
  /** The FHIR resources (and value sets) it is read from. */
  source: string;
  /** When the value is null (unknown); absent when it is never null. */
  unknownWhen?: string;
}

export const FACT_DOCS = {
  ageYears: {
    meaning: 'Age at the request time',
    type: 'number',
    unit: 'whole years',
    source: 'Patient.birthDate',
    unknownWhen: 'no usable birthDate',
  },
  openEpisode: {
    meaning: 'An active back pain or sciatica Condition is recorded',
    type: 'boolean',
    source: 'Condition (value sets back-pain, sciatica)',
  },
  episodeDays: {
    meaning: "Days from the episode's start to the request date",
    type: 'number',
    unit: 'whole days',
    source: 'Condition onset, onset period start or recordedDate',
    unknownWhen: 'no episode, or the Condition has no full date',
  },
  sciatica: { meaning: "The episode's code is in the sciatica value set", type: 'boolean', source: 'Condition (value set sciatica)' },
  redFlagCount: {
    meaning: 'Number of red flags found in their windows',
    type: 'number',
    unit: 'count',
    source:
      'the resource types each red flag lists in rules/findings.json redFlags (Condition, Observation, ' +
      'Procedure, DiagnosticReport, ImagingStudy, MedicationRequest, MedicationStatement), and text-only ' +
      'entries by keyword',
  },
  caudaEquinaSignCount: {
    meaning: 'Number of cauda equina signs found in their window',
    type: 'number',
    unit: 'count',
    source: 'the resource types rules/findings.json caudaEquina lists, and text-only entries by keyword',
  },
  priorLumbarImagingDaysAgo: {
    meaning: 'Days since the newest completed lumbar imaging',
    type: 'number',
    unit: 'whole days',
    source: 'Procedure, ImagingStudy, DiagnosticReport (value set lumbar-imaging)',
    unknownWhen: 'no lumbar imaging in the record',
  },
  backPainConditionDaysAgo: {
    meaning: 'Days since the newest dated back pain or sciatica Condition, active or not',
    type: 'number',
    unit: 'whole days',
    source: 'Condition (value sets back-pain, sciatica)',
    unknownWhen: 'no dated back pain or sciatica Condition in the record',
  },
  deceased: { meaning: 'The Patient has a deceased date (on or before today) or flag', type: 'boolean', source: 'Patient.deceased[x]' },
  startbackRisk: {
    meaning: 'STarT Back risk group: "low", "medium" or "high", from the newest usable result since the episode start',
    type: 'text',
    source: 'Observation LOINC 91351-7 or the STarT Back QuestionnaireResponse (rules/instruments.json)',
    unknownWhen: 'no usable result',
  },
  startbackTotal: {
    meaning: 'STarT Back total score of that result',
    type: 'number',
    unit: 'points (0-9)',
    source: 'as startbackRisk',
    unknownWhen: 'no usable result',
  },
  startbackPsychosocial: {
    meaning: 'STarT Back psychosocial subscore of that result',
    type: 'number',
    unit: 'points (0-5)',
    source: 'as startbackRisk',
    unknownWhen: 'no usable result, or a low total recorded without it',
  },
  scopicGroup: {
    meaning: 'SCOPiC group 1, 2 or 3 (sciatica only)',
    type: 'number',
    source: 'STarT Back and the SCOPiC item Observations (rules/instruments.json)',
    unknownWhen: 'not sciatica, no usable STarT Back, or the items cannot decide',
  },
  physioReferralInPlace: {
    meaning: 'A physiotherapy referral is open or was made since the episode started',
    type: 'boolean',
    source: 'ServiceRequest',
    unknownWhen: 'the episode start is unknown',
  },
  fastTrackInPlace: {
    meaning: 'A spinal specialist referral or lumbar MRI since the episode started',
    type: 'boolean',
    source: 'ServiceRequest, Procedure, ImagingStudy',
    unknownWhen: 'the episode start is unknown',
  },
  chronicPainCondition: {
    meaning: 'An active Condition in the chronic-pain value set',
    type: 'boolean',
    source: 'Condition (value set chronic-pain)',
  },
  chronicPrimaryPain: {
    meaning:
      'An active Condition in the chronic-primary-pain value set (chronic secondary pain, such as after trauma or surgery, is not in it)',
    type: 'boolean',
    source: 'Condition (value set chronic-primary-pain)',
  },
  phq9Score: {
    meaning: 'The latest PHQ-9 total',
    type: 'number',
    unit: 'points (0-27)',
    source: 'Observation LOINC 44261-6',
    unknownWhen: 'none recorded',
  },
  phq9DaysAgo: {
    meaning: 'Days since that PHQ-9',
    type: 'number',
    unit: 'whole days',
    source: 'Observation LOINC 44261-6',
    unknownWhen: 'none recorded',
  },
  gad7Score: {
    meaning: 'The latest GAD-7 total',
    type: 'number',
    unit: 'points (0-21)',
    source: 'Observation LOINC 70274-6',
    unknownWhen: 'none recorded',
  },
  gad7DaysAgo: {
    meaning: 'Days since that GAD-7',
    type: 'number',
    unit: 'whole days',
    source: 'Observation LOINC 70274-6',
    unknownWhen: 'none recorded',
  },
  moodScoreDaysAgo: {
    meaning: 'Days since the newer of the latest PHQ-9 and GAD-7',
    type: 'number',
    unit: 'whole days',
    source: 'Observation',
    unknownWhen: 'neither recorded',
  },
  therapyReferralDaysAgo: {
    meaning: 'Days since the newest talking therapy referral (active, on-hold or completed)',
    type: 'number',
    unit: 'whole days',
    source: 'ServiceRequest',
    unknownWhen: 'none recorded',
  },
  therapyReferralOpen: { meaning: 'A talking therapy referral is active or on-hold', type: 'boolean', source: 'ServiceRequest' },
  exerciseReferralDaysAgo: {
    meaning: 'Days since the newest exercise referral (active, on-hold or completed)',
    type: 'number',
    unit: 'whole days',
    source: 'ServiceRequest',
    unknownWhen: 'none recorded',
  },
  exerciseReferralOpen: { meaning: 'An exercise referral is active or on-hold', type: 'boolean', source: 'ServiceRequest' },
} as const satisfies Readonly<Record<string, FactDoc>>;

export type EngineFactName = keyof typeof FACT_DOCS;

/** The fact names a rule file may use, in the order editors and messages list them. */
export const ENGINE_FACT_NAMES: readonly string[] = Object.keys(FACT_DOCS);

/**
 * A fact's value as json-rules-engine sees it. null means "unknown": numeric operators are false on
 * null, so a rule that needs an unknown value does not fire, and the trace shows the null.
 */
export type EngineValue = string | number | boolean | null;

/** The value sets the facts stage reads by id; the loader refuses rules/valuesets without one of them. */
export const FACT_VALUE_SETS = {
  backPain: 'back-pain',
  sciatica: 'sciatica',
  lumbarImaging: 'lumbar-imaging',
  chronicPain: 'chronic-pain',
  chronicPrimaryPain: 'chronic-primary-pain',
  phq9: 'phq9-total',
  phq9Item9: 'phq9-item9',
  gad7: 'gad7-total',
  physiotherapy: 'referral-physiotherapy',
  psychologicalTherapy: 'referral-psychological-therapy',
  exercise: 'referral-exercise',
  spinalSpecialist: 'referral-spinal-specialist',
  lumbarMri: 'lumbar-mri',
} as const;

export function factDocText(name: string): string {
  const d = (FACT_DOCS as Readonly<Record<string, FactDoc>>)[name];
  if (!d) return name;
  return (
    `${d.meaning}. ${d.type}${d.unit ? ` (${d.unit})` : ''}; from ${d.source}.` +
    `${d.unknownWhen ? ` Unknown (null) when ${d.unknownWhen}.` : ' Never unknown.'}`
  );
}

export const OPERATOR_DOCS: Readonly<Record<string, string>> = {
  equal: 'equals the value (null: the fact is unknown)',
  notEqual: 'differs from the value (null: the fact is known)',
  lessThan: 'a number below the value; false when the fact is unknown',
  lessThanInclusive: 'a number at or below the value; false when the fact is unknown',
  greaterThan: 'a number above the value; false when the fact is unknown',
  greaterThanInclusive: 'a number at or above the value; false when the fact is unknown',
  in: 'one of the values in the list',
  notIn: 'none of the values in the list',
  contains: 'a list fact that contains the value',
  doesNotContain: 'a list fact that does not contain the value',
};
