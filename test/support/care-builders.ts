/** Builders for the resources the patient-view services read: STarT Back, SCOPiC items, mood scores, referrals. */
import type { Condition, Observation, QuestionnaireResponse, ServiceRequest } from 'fhir/r4.js';
import { concept, condition, daysAgo, LOINC, PATIENT_ID, SNOMED } from './fhir-builders.js';

export const FINDING = 'urn:backpain-cds:finding';
export const START_BACK_URL = 'urn:backpain-cds:questionnaire:start-back';

export type Bothersome = 'not-at-all' | 'slightly' | 'moderately' | 'very-much' | 'extremely';

/**
 * A STarT Back QuestionnaireResponse: `agree` lists the items 1 to 8 answered "agree", the rest are
 * "disagree"; item 9 is `bothersome`. `skip` leaves items out.
 */
export function startBackResponse(
  id: string,
  agree: number[],
  bothersome: Bothersome,
  authored: string,
  options: { skip?: string[]; status?: QuestionnaireResponse['status'] } = {},
): QuestionnaireResponse {
  const items = [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ linkId: `${n}`, answer: [{ valueBoolean: agree.includes(n) }] }));
  const all = [...items, { linkId: '9', answer: [{ valueCoding: { system: FINDING, code: bothersome } }] }];
  return {
    resourceType: 'QuestionnaireResponse',
    id,
    questionnaire: START_BACK_URL,
    status: options.status ?? 'completed',
    subject: { reference: `Patient/${PATIENT_ID}` },
    authored,
    item: all.filter((i) => !(options.skip ?? []).includes(i.linkId)),
  };
}

/** A STarT Back total Observation, with the psychosocial subscore as a component when given. */
export function startBackTotal(id: string, total: number, effectiveDateTime: string, psychosocial?: number): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'survey' }] }],
    code: concept(LOINC, '91351-7', 'Total score [STarT Back]'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime,
    valueInteger: total,
    ...(psychosocial !== undefined
      ? {
          component: [{ code: concept(FINDING, 'startback-psychosocial', 'STarT Back psychosocial subscore'), valueInteger: psychosocial }],
        }
      : {}),
  };
}

/** An Observation coded in urn:backpain-cds:finding (the subscore on its own, or a SCOPiC item). */
export function finding(id: string, code: string, value: number | boolean, effectiveDateTime: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: concept(FINDING, code),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime,
    ...(typeof value === 'boolean' ? { valueBoolean: value } : { valueInteger: value }),
  };
}

/** The four SCOPiC items, each positive (true) or negative (false); undefined leaves an item out. */
export function scopicItems(
  prefix: string,
  date: string,
  items: { legPain?: boolean; belowKnee?: boolean; interference?: boolean; sensory?: boolean },
): Observation[] {
  const out: Observation[] = [];
  if (items.legPain !== undefined) out.push(finding(`${prefix}-leg`, 'leg-pain-nrs', items.legPain ? 8 : 4, date));
  if (items.belowKnee !== undefined) out.push(finding(`${prefix}-knee`, 'pain-below-knee', items.belowKnee, date));
  if (items.interference !== undefined)
    out.push(finding(`${prefix}-interference`, 'activity-interference-nrs', items.interference ? 7 : 5, date));
  if (items.sensory !== undefined) out.push(finding(`${prefix}-sensory`, 'leg-sensory-deficit', items.sensory, date));
  return out;
}

export function phq9(id: string, value: number, effectiveDateTime: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: concept(LOINC, '44261-6', 'Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime,
    valueInteger: value,
  };
}

/** A GAD-7 total sent as a Quantity, as many EHRs do. */
export function gad7(id: string, value: number, effectiveDateTime: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: concept(LOINC, '70274-6', 'Generalized anxiety disorder 7 item (GAD-7) total score'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime,
    valueQuantity: { value, unit: '{score}', system: 'http://unitsofmeasure.org', code: '{score}' },
  };
}

export function referral(id: string, code: string, authoredOn: string, status: ServiceRequest['status'] = 'completed'): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id,
    status,
    intent: 'order',
    code: concept(SNOMED, code),
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn,
  };
}

export const PHYSIO = '308447003';
export const CBT = '228557008';
export const EXERCISE = '229065009';
export const SPINAL = '308481009';
export const MRI_SNOMED = '394451000119106';

/** Lumbar radiculopathy (M54.16) that started `days` days before NOW: a sciatica episode. */
export function sciatica(days: number, id = 'sciatica'): Condition {
  return condition(id, 'M54.16', { onset: daysAgo(days), display: 'Radiculopathy, lumbar region' });
}

export function fibromyalgia(id = 'fibro', onset = '2019-03-01'): Condition {
  return condition(id, '95417003', { system: SNOMED, onset, display: 'Primary fibromyalgia syndrome' });
}
