/** Imaging history: the newest lumbar imaging already done, for "imaging again within a year". */
import type { FindingDefinition } from '../knowledge/schemas.js';
import { dayRange, isoDay } from './dates.js';
import { findingCandidates } from './findings.js';
import type { Evidence, PatientRecord, ValueSetLookup } from './record.js';

export interface ImagingEvidence extends Evidence {
  daysAgo: number;
}

/** The newest dated lumbar imaging on or before today, from every source rules/findings.json names. */
export function priorLumbarImaging(
  def: FindingDefinition,
  record: PatientRecord,
  today: number,
  lookup: ValueSetLookup,
): ImagingEvidence | undefined {
  const found: ImagingEvidence[] = [];
  for (const c of findingCandidates(def, record, lookup)) {
    const range = dayRange(c.date);
    if (!range || range.earliest > today) continue;
    // The latest day a partial date can mean gives the most recent the imaging can have been.
    const day = Math.min(range.latest, today);
    found.push({ reference: c.reference, display: c.display, date: isoDay(day), daysAgo: today - day });
  }
  return found.sort((a, b) => a.daysAgo - b.daysAgo || a.reference.localeCompare(b.reference))[0];
}
