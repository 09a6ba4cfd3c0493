/** Imaging history: the newest lumbar imaging already done, for "imaging again within a year". */
import type { FindingDefinition } from '../knowledge/schemas.js';
import { dayRange, isoDay } from './dates.js';
import { findingCandidates, statusCounts } from './findings.js';
import { procedureDate, reportDate } from './record-dates.js';
import { asArray, referenceTo, str } from './resources.js';
import type { Evidence, PatientRecord, ValueSetLookup } from './record.js';
import { hasKnownCoding, matchedKeyword, textsOf } from './text-entries.js';

export interface ImagingEvidence extends Evidence {
  daysAgo: number;
}

interface Dated {
  reference: string;
  display: string;
  date: string | undefined;
}

/**
 * Imaging under a local code or as text only (an EHR's own radiology procedure codes, "MRI LUMBAR
 * SPINE WO CONTRAST"), read by the finding's keywords, with the statuses its sources allow.
 */
function byText(def: FindingDefinition, record: PatientRecord): Dated[] {
  const keywords = def.keywords;
  if (!keywords) return [];
  const allowed = (resource: string, status: unknown): boolean => {
    const source = def.sources.find((s) => s.resource === resource);
    return !!source && (!('status' in source) || statusCounts(status, source.status));
  };
  const entries: (Omit<Dated, 'display'> & { texts: string[] })[] = [];
  for (const r of record.diagnosticReports) {
    if (allowed('DiagnosticReport', r.status) && !hasKnownCoding([r.code]))
      entries.push({ reference: referenceTo(r), date: reportDate(r), texts: textsOf([r.code]) });
  }
  for (const p of record.procedures) {
    if (allowed('Procedure', p.status) && !hasKnownCoding([p.code]))
      entries.push({ reference: referenceTo(p), date: procedureDate(p), texts: textsOf([p.code]) });
  }
  for (const st of record.imagingStudies) {
    const codes = asArray(st.procedureCode);
    if (allowed('ImagingStudy', st.status) && !hasKnownCoding(codes))
      entries.push({ reference: referenceTo(st), date: str(st.started), texts: textsOf(codes, [st.description]) });
  }
  const out: Dated[] = [];
  for (const e of entries) {
    const word = e.texts.length ? matchedKeyword(e.texts.join(' | '), keywords) : undefined;
    if (word !== undefined) out.push({ reference: e.reference, display: `${e.texts[0]} (matched by text: "${word}")`, date: e.date });
  }
  return out;
}

/** The newest dated lumbar imaging on or before today, from every source rules/findings.json names. */
export function priorLumbarImaging(
  def: FindingDefinition,
  record: PatientRecord,
  today: number,
  lookup: ValueSetLookup,
): ImagingEvidence | undefined {
  const found: ImagingEvidence[] = [];
  for (const c of [...findingCandidates(def, record, lookup), ...byText(def, record)]) {
    const range = dayRange(c.date);
    if (!range || range.earliest > today) continue;
    // The latest day a partial date can mean gives the most recent the imaging can have been.
    const day = Math.min(range.latest, today);
    found.push({ reference: c.reference, display: c.display, date: isoDay(day), daysAgo: today - day });
  }
  return found.sort((a, b) => a.daysAgo - b.daysAgo || a.reference.localeCompare(b.reference))[0];
}
