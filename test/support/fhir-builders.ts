/**
 * Small builders for the FHIR R4 resources the unit tests feed to the facts stage. Every builder
 * takes the fields a test cares about and fills the rest with plain, valid defaults.
 */
import type {
  Bundle,
  CodeableConcept,
  Condition,
  ImagingStudy,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';
import type { PatientRecord } from '../../src/facts/types.js';
import { emptyRecord } from '../../src/context/patient-context.js';

export const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
export const SNOMED = 'http://snomed.info/sct';
export const LOINC = 'http://loinc.org';
export const CPT = 'http://www.ama-assn.org/go/cpt';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

/** The request time every facts test uses. */
export const NOW = new Date('2026-11-23T10:00:00Z');
const DAY_MS = 86_400_000;

/** The calendar day (YYYY-MM-DD, UTC) `n` days before NOW; negative n is in the future. */
export function daysAgo(n: number, now: Date = NOW): string {
  return new Date(now.getTime() - n * DAY_MS).toISOString().slice(0, 10);
}

export const PATIENT_ID = 'p1';

/** A Patient born 1980-04-12 (46 at NOW); null leaves birthDate out. */
export function patient(birthDate: string | null = '1980-04-12', id: string = PATIENT_ID): Patient {
  return { resourceType: 'Patient', id, ...(birthDate !== null ? { birthDate } : {}) };
}

export function concept(system: string, code: string, display?: string): CodeableConcept {
  return { coding: [{ system, code, ...(display !== undefined ? { display } : {}) }] };
}

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
const VERIFICATION = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';

export interface ConditionOptions {
  /** onsetDateTime; leave out for an undated Condition. */
  onset?: string;
  onsetPeriodStart?: string;
  recordedDate?: string;
  /** clinicalStatus code; null leaves clinicalStatus out altogether. Default 'active'. */
  clinical?: string | null;
  verification?: string;
  display?: string;
  system?: string;
}

export function condition(id: string, code: string, options: ConditionOptions = {}): Condition {
  const clinical = options.clinical === undefined ? 'active' : options.clinical;
  return {
    resourceType: 'Condition',
    id,
    ...(clinical !== null ? { clinicalStatus: { coding: [{ system: CLINICAL, code: clinical }] } } : {}),
    ...(options.verification ? { verificationStatus: { coding: [{ system: VERIFICATION, code: options.verification }] } } : {}),
    code: concept(options.system ?? ICD10, code, options.display),
    subject: { reference: `Patient/${PATIENT_ID}` },
    ...(options.onset !== undefined ? { onsetDateTime: options.onset } : {}),
    ...(options.onsetPeriodStart !== undefined ? { onsetPeriod: { start: options.onsetPeriodStart } } : {}),
    ...(options.recordedDate !== undefined ? { recordedDate: options.recordedDate } : {}),
  };
}

/** A low back pain Condition (M54.50) that started `days` days before NOW. */
export function backPain(days: number, id = 'lbp'): Condition {
  return condition(id, 'M54.50', { onset: daysAgo(days), display: 'Low back pain, unspecified' });
}

export function temperature(
  id: string,
  value: number,
  unit: 'Cel' | '[degF]',
  effectiveDateTime: string,
  status: Observation['status'] = 'final',
): Observation {
  return {
    resourceType: 'Observation',
    id,
    status,
    code: concept(LOINC, '8310-5', 'Body temperature'),
    subject: { reference: `Patient/${PATIENT_ID}` },
    effectiveDateTime,
    valueQuantity: { value, unit: unit === 'Cel' ? '°C' : '°F', system: 'http://unitsofmeasure.org', code: unit },
  };
}

export function medicationRequest(id: string, text: string, authoredOn: string, extra: Partial<MedicationRequest> = {}): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    medicationCodeableConcept: { text },
    subject: { reference: `Patient/${PATIENT_ID}` },
    authoredOn,
    ...extra,
  };
}

/** A MedicationRequest with dispenseRequest.expectedSupplyDuration of `days` days. */
export function supplyFor(days: number, repeats?: number): Partial<MedicationRequest> {
  return {
    dispenseRequest: {
      expectedSupplyDuration: { value: days, unit: 'days', system: 'http://unitsofmeasure.org', code: 'd' },
      ...(repeats !== undefined ? { numberOfRepeatsAllowed: repeats } : {}),
    },
  };
}

export function procedure(
  id: string,
  code: CodeableConcept,
  performedDateTime: string,
  status: Procedure['status'] = 'completed',
): Procedure {
  return { resourceType: 'Procedure', id, status, code, subject: { reference: `Patient/${PATIENT_ID}` }, performedDateTime };
}

export function imagingStudy(
  id: string,
  procedureCode: CodeableConcept,
  started: string,
  status: ImagingStudy['status'] = 'available',
): ImagingStudy {
  return {
    resourceType: 'ImagingStudy',
    id,
    status,
    procedureCode: [procedureCode],
    subject: { reference: `Patient/${PATIENT_ID}` },
    started,
  };
}

export const LUMBAR_MRI = concept(CPT, '72148', 'MRI lumbar spine without contrast');

export function draftOrder(id: string, code: CodeableConcept = LUMBAR_MRI): ServiceRequest {
  return { resourceType: 'ServiceRequest', id, status: 'draft', intent: 'order', code, subject: { reference: `Patient/${PATIENT_ID}` } };
}

export function bundleOf(resources: ServiceRequest[], type: Bundle['type'] | undefined = 'collection'): Bundle {
  // Without a type on purpose when asked: EHRs send draftOrders without Bundle.type (cds-hooks docs#659).
  return { resourceType: 'Bundle', ...(type ? { type } : {}), entry: resources.map((resource) => ({ resource })) } as Bundle;
}

export function record(parts: Partial<PatientRecord> = {}): PatientRecord {
  return { ...emptyRecord(patient()), ...parts };
}
