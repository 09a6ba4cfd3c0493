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

const IMAGING_PREFETCH = {
  patient: 'Patient/{{context.patientId}}',
  conditions: 'Condition?patient={{context.patientId}}',
  temperatures: 'Observation?patient={{context.patientId}}&code=http://loinc.org|8310-5',
  medications: 'MedicationRequest?patient={{context.patientId}}',
  procedures: 'Procedure?patient={{context.patientId}}',
  imagingStudies: 'ImagingStudy?patient={{context.patientId}}',
};

const IMAGING_USAGE =
  'Reads the patient (birth date), Conditions (back pain episode, red flags, cauda equina signs), body temperature Observations, MedicationRequests (systemic steroids), Procedures and ImagingStudies (prior lumbar imaging). Provide every prefetch key, or fhirServer and fhirAuthorization so the service can fetch what is missing.';

export const SERVICES: readonly ServiceDefinition[] = [
  {
    id: 'back-pain-imaging-select',
    hook: 'order-select',
    title: 'Lumbar imaging for low back pain (order select)',
    description:
      'When a lumbar spine X-ray, CT or MRI is selected for an adult with low back pain: advises deferring it in the first 6 weeks without red flags, avoiding a repeat within a year, and sends possible cauda equina syndrome to emergency assessment.',
    usageRequirements: IMAGING_USAGE,
    prefetch: IMAGING_PREFETCH,
    evaluates: 'lumbar-imaging-orders',
  },
  {
    id: 'back-pain-imaging-sign',
    hook: 'order-sign',
    title: 'Lumbar imaging for low back pain (order sign)',
    description:
      'When orders are signed: the same advice as back-pain-imaging-select, over every draft lumbar spine imaging order.',
    usageRequirements: IMAGING_USAGE,
    prefetch: IMAGING_PREFETCH,
    evaluates: 'lumbar-imaging-orders',
  },
];
