import type {
  Condition,
  ImagingStudy,
  MedicationRequest,
  Observation,
  Patient,
  Procedure,
  QuestionnaireResponse,
  ServiceRequest,
} from 'fhir/r4.js';
import type { CareFacts } from './care-types.js';

/** What the context stage hands to the facts stage: the patient's record, grouped by type. */
export interface PatientRecord {
  patient: Patient;
  conditions: Condition[];
  observations: Observation[];
  medicationRequests: MedicationRequest[];
  procedures: Procedure[];
  imagingStudies: ImagingStudy[];
  serviceRequests: ServiceRequest[];
  questionnaireResponses: QuestionnaireResponse[];
}

/** One fact's proof: the resource it came from and its date, so a card can name it. */
export interface Evidence {
  reference: string;
  display: string;
  /** YYYY-MM-DD, absent when the resource has no usable date. */
  date?: string;
}

export interface FindingHit extends Evidence {
  findingId: string;
  label: string;
}

export interface Episode {
  condition: Evidence;
  sciatica: boolean;
  /** Absent when the Condition has no date: then nothing that needs the duration can decide. */
  start?: string;
  durationDays?: number;
}

export interface ImagingEvidence extends Evidence {
  daysAgo: number;
}

export interface DraftOrder {
  reference: string;
  display: string;
  authoredOn?: string;
}

export interface PatientFacts {
  today: string;
  patientReference: string;
  ageYears?: number;
  episode?: Episode;
  redFlags: FindingHit[];
  /** Labels of every red flag that was looked for, so "no red flags" says what was checked. */
  redFlagsChecked: string[];
  caudaEquinaSigns: FindingHit[];
  priorLumbarImaging?: ImagingEvidence;
  /** Stratified care and chronic pain facts (STarT Back, SCOPiC, mood scores, referrals). */
  care?: CareFacts;
  /** Why some rule inputs are unknown, for the explain trace and the log. */
  unknowns: string[];
}
