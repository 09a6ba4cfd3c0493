/** What every fact family reads and returns: the patient's record, and the evidence a fact cites. */
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
import type { ValueSet } from '../knowledge/valuesets.js';

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

/** Evidence placed in time: its date and how many days before today it was. */
export interface DatedEvidence extends Evidence {
  date: string;
  daysAgo: number;
}

/** The value sets of rules/valuesets by id. */
export type ValueSetLookup = (id: string) => ValueSet;
