/**
 * Referrals the patient already has, so no card offers one twice: ServiceRequests in a referral
 * value set (active, on-hold or completed), and for lumbar MRI also the imaging already done.
 */
import type { ImagingStudy, Procedure, ServiceRequest } from 'fhir/r4.js';
import { FACT_VALUE_SETS } from '../knowledge/fact-docs.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { dayRange, isoDay } from './dates.js';
import type { DatedEvidence, PatientRecord, ValueSetLookup } from './record.js';
import { asArray, conceptText, referenceTo } from './resources.js';

export interface Referral extends DatedEvidence {
  status: string;
}

export type ReferralKind = 'physiotherapy' | 'psychologicalTherapy' | 'exercise' | 'spinalSpecialist' | 'lumbarMri';

/** Referrals (and for lumbar MRI, imaging done) per kind, newest first; only active, on-hold or completed ones. */
export type Referrals = Record<ReferralKind, Referral[]>;

const COUNTED = new Set(['active', 'on-hold', 'completed']);
const OPEN = new Set(['active', 'on-hold']);

export function isOpen(referral: Referral): boolean {
  return OPEN.has(referral.status);
}

/**
 * A partial date counts from its first day: read as older, a referral silences fewer offers, and a
 * duplicate offer is easier to spot than a missing one. A planned (future) date counts as today.
 */
function referralDay(value: string | undefined, today: number): number | undefined {
  const range = dayRange(value);
  return range ? Math.min(range.earliest, today) : undefined;
}

function byNewest(a: Referral, b: Referral): number {
  return a.daysAgo - b.daysAgo || a.reference.localeCompare(b.reference);
}

/** Dated by authoredOn, else occurrence[x] (design.md); undated ones cannot be placed in any window. */
export function referralsIn(requests: ServiceRequest[], vs: ValueSet, today: number): Referral[] {
  const out: Referral[] = [];
  for (const sr of requests) {
    if (typeof sr.status !== 'string' || !COUNTED.has(sr.status)) continue;
    const code = vs.match(sr.code);
    if (!code) continue;
    const day = referralDay(sr.authoredOn ?? sr.occurrenceDateTime ?? sr.occurrencePeriod?.start, today);
    if (day === undefined) continue;
    out.push({
      reference: referenceTo(sr),
      display: conceptText(sr.code, code),
      date: isoDay(day),
      daysAgo: today - day,
      status: sr.status,
    });
  }
  return out.sort(byNewest);
}

/** Completed Procedures and available ImagingStudies in the value set, as "done" referrals. */
export function imagingDoneIn(procedures: Procedure[], studies: ImagingStudy[], vs: ValueSet, today: number): Referral[] {
  const out: Referral[] = [];
  const add = (reference: string, display: string, date: string | undefined): void => {
    const day = referralDay(date, today);
    if (day !== undefined) out.push({ reference, display, date: isoDay(day), daysAgo: today - day, status: 'completed' });
  };
  for (const p of procedures) {
    const code = p.status === 'completed' ? vs.match(p.code) : undefined;
    if (code) add(referenceTo(p), conceptText(p.code, code), p.performedDateTime ?? p.performedPeriod?.start);
  }
  for (const s of studies) {
    if (s.status === 'cancelled' || s.status === 'entered-in-error') continue;
    const concept = asArray(s.procedureCode).find((c) => vs.match(c));
    if (concept) add(referenceTo(s), conceptText(concept, vs.match(concept)), s.started);
  }
  return out.sort(byNewest);
}

export function referralFacts(record: PatientRecord, valueSet: ValueSetLookup, today: number): Referrals {
  const requested = (kind: ReferralKind): Referral[] => referralsIn(record.serviceRequests, valueSet(FACT_VALUE_SETS[kind]), today);
  return {
    physiotherapy: requested('physiotherapy'),
    psychologicalTherapy: requested('psychologicalTherapy'),
    exercise: requested('exercise'),
    spinalSpecialist: requested('spinalSpecialist'),
    lumbarMri: [
      ...requested('lumbarMri'),
      ...imagingDoneIn(record.procedures, record.imagingStudies, valueSet(FACT_VALUE_SETS.lumbarMri), today),
    ].sort(byNewest),
  };
}

/**
 * Open (active, on-hold) at any date, or made since the episode started (for an undated episode, in
 * its look-back days); null when there is no episode to place it in.
 */
export function inPlaceThisEpisode(referrals: Referral[], episodeDays: number | undefined): boolean | null {
  if (episodeDays === undefined) return null;
  return referrals.some((r) => isOpen(r) || r.daysAgo <= episodeDays);
}
