import type {
  Condition,
  DiagnosticReport,
  ImagingStudy,
  MedicationRequest,
  MedicationStatement,
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
  medicationStatements: MedicationStatement[];
  procedures: Procedure[];
  diagnosticReports: DiagnosticReport[];
  imagingStudies: ImagingStudy[];
  serviceRequests: ServiceRequest[];
  questionnaireResponses: QuestionnaireResponse[];
  /** Resources the EHR or server sent that name another patient: left out, and counted so the trace and log can say so. */
  otherPatientResources: number;
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
  /** Set when the entry had no code in a known system and its text named the finding: the keyword that matched. */
  matchedByText?: string;
}

/** How much of the record the red flags were read from by text only, so "no red flags" stays truthful. */
export interface TextChecked {
  /** Entries with no code in a known system, read by their text. */
  textOnly: number;
  /** Entries with neither a known code nor any text: nothing could be read from them. */
  unreadable: string[];
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
  textChecked: TextChecked;
  priorLumbarImaging?: ImagingEvidence;
  /** The newest back pain or sciatica Condition (active or not) dated in the last 365 days. */
  recentBackPain?: Evidence & { daysAgo: number };
  /** Resources left out because they name another patient. */
  otherPatientResources: number;
  /** Stratified care and chronic pain facts (STarT Back, SCOPiC, mood scores, referrals). */
  care?: CareFacts;
  /** Why some rule inputs are unknown, for the explain trace and the log. */
  unknowns: string[];
}
