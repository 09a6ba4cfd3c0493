/** The date each resource type is placed in time by, where more than one element can carry it. */
import type { DiagnosticReport, Procedure } from 'fhir/r4.js';
import { str } from './resources.js';

/** performed[x]: the dateTime, else the period's start, else its end. */
export function procedureDate(p: Procedure): string | undefined {
  return str(p.performedDateTime) ?? str(p.performedPeriod?.start) ?? str(p.performedPeriod?.end);
}

/** effective[x] (a period by its start, else its end), else issued (design.md: prior lumbar imaging from a report). */
export function reportDate(r: DiagnosticReport): string | undefined {
  return str(r.effectiveDateTime) ?? str(r.effectivePeriod?.start) ?? str(r.effectivePeriod?.end) ?? str(r.issued);
}
