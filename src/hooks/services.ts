/** The CDS services this product offers (design.md: ids and hooks are public and fixed). */
export type HookName = 'order-select' | 'order-sign' | 'patient-view';

export interface ServiceDefinition {
  id: string;
  hook: HookName;
  title: string;
  description: string;
  usageRequirements: string;
  /** CDS Hooks 2.0 tokens only: {{context.patientId}} and friends (reference/cds-hooks.md section 3). */
  prefetch: Record<string, string>;
  /** Whose cards: each lumbar imaging order in scope, or the patient once. */
  evaluates: 'lumbar-imaging-orders' | 'patient';
}

/**
 * Red flags and cauda equina signs are recorded as Observations of many codes (temperatures,
 * examination findings coded in the value, text only), so every Observation but laboratory results
 * is read: a code list would miss the ones the safety net exists for.
 */
const FINDING_OBSERVATIONS = 'Observation?patient={{context.patientId}}&category:not=laboratory';

const IMAGING_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  observations: FINDING_OBSERVATIONS,
  medications: 'MedicationRequest?patient={{context.patientId}}',
  medicationStatements: 'MedicationStatement?patient={{context.patientId}}',
  procedures: 'Procedure?patient={{context.patientId}}',
  imagingStudies: 'ImagingStudy?patient={{context.patientId}}',
  diagnosticReports: 'DiagnosticReport?patient={{context.patientId}}',
};

/**
 * Observation codes the chronic pain service reads. They must cover the codes of the value sets the
 * facts use (a test checks this), so a search by code fetches everything needed.
 */
// 44260-8 is PHQ-9 item 9 (thoughts of self-harm): the referral letter carries its answer.
const MOOD_OBSERVATIONS = ['http://loinc.org|44261-6', 'http://loinc.org|44260-8', 'http://loinc.org|70274-6'];

const STRATIFIED_CARE_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  medications: 'MedicationRequest?patient={{context.patientId}}',
  medicationStatements: 'MedicationStatement?patient={{context.patientId}}',
  procedures: 'Procedure?patient={{context.patientId}}',
  imagingStudies: 'ImagingStudy?patient={{context.patientId}}',
  diagnosticReports: 'DiagnosticReport?patient={{context.patientId}}',
  // STarT Back and SCOPiC Observations are surveys and examinations, so this search reads them too.
  observations: FINDING_OBSERVATIONS,
  questionnaireResponses: 'QuestionnaireResponse?patient={{context.patientId}}',
  serviceRequests: 'ServiceRequest?patient={{context.patientId}}',
};

const CHRONIC_PAIN_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  observations: `Observation?patient={{context.patientId}}&code=${MOOD_OBSERVATIONS.join(',')}`,
  serviceRequests: 'ServiceRequest?patient={{context.patientId}}',
};

const IMAGING_USAGE =
  'Reads the patient (birth date), Conditions (back pain episode, red flags, cauda equina signs, prior ' +
  'spinal surgery), Observations other than laboratory results (body temperature, examination findings ' +
  'such as saddle anaesthesia), MedicationRequests and MedicationStatements (systemic steroids), ' +
  'Procedures (transplant, spinal surgery, prior lumbar imaging), ImagingStudies and final ' +
  'DiagnosticReports (prior lumbar imaging). Entries with no code in a known system are read by their ' +
  'text. Provide every prefetch key, or fhirServer and fhirAuthorization so the service can fetch what ' +
  'is missing.';

export const SERVICES: readonly ServiceDefinition[] = [
  {
    id: 'back-pain-imaging-select',
    hook: 'order-select',
    title: 'Lumbar imaging for low back pain (order select)',
    description:
      'When a lumbar spine X-ray, CT or MRI is selected for an adult with low back pain: advises deferring ' +
      'it early in an episode without red flags and avoiding a repeat soon after earlier imaging (windows ' +
      'set in the rule files), and sends possible cauda equina syndrome to emergency assessment with a ' +
      'one-click emergency referral.',
    usageRequirements: IMAGING_USAGE,
    prefetch: IMAGING_PREFETCH,
    evaluates: 'lumbar-imaging-orders',
  },
  {
    id: 'back-pain-imaging-sign',
    hook: 'order-sign',
    title: 'Lumbar imaging for low back pain (order sign)',
    description: 'When orders are signed: the same advice as back-pain-imaging-select, over every draft lumbar spine imaging order.',
    usageRequirements: IMAGING_USAGE,
    prefetch: IMAGING_PREFETCH,
    evaluates: 'lumbar-imaging-orders',
  },
  {
    id: 'back-pain-stratified-care',
    hook: 'patient-view',
    title: 'Stratified care for back pain and sciatica (STarT Back, SCOPiC)',
    description:
      'When the chart of an adult with an open back pain or sciatica episode is opened: reviews red flags ' +
      'and cauda equina signs, asks for STarT Back when it is missing, and matches care to the STarT Back ' +
      'risk group, or for sciatica to the SCOPiC group (fast-track to MRI and a spinal specialist), with ' +
      'one-click referrals.',
    usageRequirements:
      'Reads the patient (birth date), Conditions (episode, red flags, cauda equina signs), Observations ' +
      'other than laboratory results (body temperature, examination findings, STarT Back total and ' +
      'psychosocial subscore, the 4 SCOPiC items), STarT Back QuestionnaireResponses, MedicationRequests ' +
      'and MedicationStatements (systemic steroids), ServiceRequests (referrals already made), Procedures, ' +
      'ImagingStudies and final DiagnosticReports (lumbar imaging done, transplant, spinal surgery). ' +
      'Entries with no code in a known system are read by their text. Provide every prefetch key, or ' +
      'fhirServer and fhirAuthorization so the service can fetch what is missing.',
    prefetch: STRATIFIED_CARE_PREFETCH,
    evaluates: 'patient',
  },
  {
    id: 'chronic-pain-therapy-referral',
    hook: 'patient-view',
    title: 'Talking therapy for chronic widespread pain with distress',
    description:
      'When the chart of an adult with fibromyalgia or chronic pain is opened: offers a one-click referral ' +
      'to telephone CBT (and group exercise) when the latest PHQ-9 or GAD-7 shows distress, or asks for ' +
      'PHQ-9 and GAD-7 when none is recorded recently (windows set in the rule files); asks about thoughts ' +
      'of self-harm (PHQ-9 item 9) before referring.',
    usageRequirements:
      'Reads the patient (birth date), Conditions (chronic pain), PHQ-9 and GAD-7 total and PHQ-9 item 9 ' +
      'Observations, and ServiceRequests (talking therapy and exercise referrals already made). Provide ' +
      'every prefetch key, or fhirServer and fhirAuthorization so the service can fetch what is missing.',
    prefetch: CHRONIC_PAIN_PREFETCH,
    evaluates: 'patient',
  },
];
