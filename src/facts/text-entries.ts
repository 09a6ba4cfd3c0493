/**
 * Text as a safety net. An entry whose codes are all in systems the service does not know (a local
 * code, a typo'd URI) or that has only text would slip past every value set; its text is read
 * against each finding's keywords instead, and the cards say how many entries were read that way.
 */
import type { CodeableConcept } from 'fhir/r4.js';
import { isKnownSystem } from '../knowledge/code-systems.js';
import { answersAbsent } from './absent-answers.js';
import { conditionActive, conditionCounts, conditionDate } from './conditions.js';
import { procedureDate } from './record-dates.js';
import { observationCounts, observationDate } from './observations.js';
import { asArray, medicationConcept, referenceTo, str } from './resources.js';
import type { PatientRecord } from './record.js';

export type TextEntryType = 'Condition' | 'Observation' | 'Procedure' | 'MedicationRequest' | 'MedicationStatement';

export interface TextEntry {
  resourceType: TextEntryType;
  reference: string;
  /** What the record calls it, for the card. */
  display: string;
  /** Every piece of text the entry has, lower-cased. */
  text: string;
  status?: string;
  date?: string;
  active: boolean;
}

export interface TextScan {
  /** Entries with text but no code in a known system: read by their text only. */
  entries: TextEntry[];
  /** References of entries with neither a known code nor any text: nothing could be read from them. */
  unreadable: string[];
}

/** True when a concept has a code in a system the service knows (OIDs included). */
export function hasKnownCoding(concepts: (CodeableConcept | undefined)[]): boolean {
  return concepts.some((c) =>
    asArray(c?.coding).some((coding) => coding && isKnownSystem(coding.system) && typeof coding.code === 'string'),
  );
}

export function textsOf(concepts: (CodeableConcept | undefined)[], extra: (string | undefined)[] = []): string[] {
  const out: string[] = [];
  for (const c of concepts) {
    const text = str(c?.text);
    if (text) out.push(text);
    for (const coding of asArray(c?.coding)) {
      const display = str(coding?.display);
      if (display) out.push(display);
    }
  }
  for (const e of extra) if (str(e)) out.push(e as string);
  return out;
}

interface Candidate {
  resourceType: TextEntryType;
  reference: string;
  concepts: (CodeableConcept | undefined)[];
  extra?: (string | undefined)[];
  status?: unknown;
  date?: string | undefined;
  active?: boolean;
  /** False for entries that never count (refuted Conditions, Observations that are no result): they are neither read nor reported. */
  counts?: boolean;
}

/**
 * The entries with no code in a known system, described. Most entries are coded, so the known-code
 * test comes first and only the rest are described (a record can hold thousands of entries).
 */
function uncoded(record: PatientRecord): Candidate[] {
  const out: Candidate[] = [];
  for (const c of record.conditions) {
    if (hasKnownCoding([c.code])) continue;
    out.push({
      resourceType: 'Condition',
      reference: referenceTo(c),
      concepts: [c.code],
      date: conditionDate(c),
      active: conditionActive(c),
      counts: conditionCounts(c),
    });
  }
  for (const o of record.observations) {
    if (hasKnownCoding([o.code, o.valueCodeableConcept])) continue;
    // "No" to a finding is not the finding, and an Observation that is no result shows nothing.
    out.push({
      resourceType: 'Observation',
      reference: referenceTo(o),
      concepts: [o.code, o.valueCodeableConcept],
      extra: [o.valueString],
      status: o.status,
      date: observationDate(o),
      counts: !answersAbsent(o) && observationCounts(o),
    });
  }
  for (const p of record.procedures) {
    if (hasKnownCoding([p.code])) continue;
    out.push({ resourceType: 'Procedure', reference: referenceTo(p), concepts: [p.code], status: p.status, date: procedureDate(p) });
  }
  for (const m of record.medicationRequests) {
    if (hasKnownCoding([medicationConcept(m)])) continue;
    out.push({
      resourceType: 'MedicationRequest',
      reference: referenceTo(m),
      concepts: [medicationConcept(m)],
      extra: [m.medicationReference?.display],
      status: m.status,
      date: m.authoredOn,
    });
  }
  for (const m of record.medicationStatements) {
    if (hasKnownCoding([medicationConcept(m)])) continue;
    out.push({
      resourceType: 'MedicationStatement',
      reference: referenceTo(m),
      concepts: [medicationConcept(m)],
      extra: [m.medicationReference?.display],
      status: m.status,
      date: m.effectiveDateTime ?? m.effectivePeriod?.start,
    });
  }
  return out;
}

const NEVER = new Set(['entered-in-error', 'cancelled', 'not-done', 'not-taken']);

/** The entries of the red-flag-bearing types that have no code in a known system. */
export function scanTextEntries(record: PatientRecord): TextScan {
  const scan: TextScan = { entries: [], unreadable: [] };
  for (const c of uncoded(record)) {
    if (c.counts === false || (typeof c.status === 'string' && NEVER.has(c.status))) continue;
    const texts = textsOf(c.concepts, c.extra);
    if (texts.length === 0) {
      scan.unreadable.push(c.reference);
      continue;
    }
    scan.entries.push({
      resourceType: c.resourceType,
      reference: c.reference,
      display: texts[0] as string,
      text: texts.join(' | ').toLowerCase(),
      ...(typeof c.status === 'string' ? { status: c.status } : {}),
      ...(c.date ? { date: c.date } : {}),
      active: c.active ?? false,
    });
  }
  return scan;
}

/** True when `word` starts a word of `text` ("hiv" in "HIV infection", not in "archive"). */
function startsWord(text: string, word: string): boolean {
  let at = text.indexOf(word);
  while (at >= 0) {
    const before = at === 0 ? '' : text.charAt(at - 1);
    if (!/[a-z0-9]/.test(before)) return true;
    at = text.indexOf(word, at + 1);
  }
  return false;
}

/** The first keyword the text shows, unless an exclusion (benign, family history, negated) is there too. */
export function matchedKeyword(
  text: string,
  keywords: { include: readonly string[]; exclude?: readonly string[] | undefined },
): string | undefined {
  const lower = text.toLowerCase();
  if ((keywords.exclude ?? []).some((w) => startsWord(lower, w.toLowerCase()))) return undefined;
  return keywords.include.find((w) => startsWord(lower, w.toLowerCase()));
}
