/** The Patient resource's own facts: who (the reference), how old, and whether alive. */
import type { Patient } from 'fhir/r4.js';
import { ageInYears, dayRange } from './dates.js';

/** Whole years on the day, or undefined when the Patient has no usable birthDate. */
export function patientAge(patient: Patient, today: number): number | undefined {
  return typeof patient.birthDate === 'string' ? ageInYears(patient.birthDate, today) : undefined;
}

/** deceasedBoolean true, or a deceasedDateTime on or before today. */
export function isDeceased(patient: Patient, today: number): boolean {
  if (patient.deceasedBoolean === true) return true;
  const day = dayRange(patient.deceasedDateTime)?.earliest;
  return day !== undefined && day <= today;
}
