/**
 * Red flags and cauda equina signs: which findings in rules/findings.json the record shows, each
 * with the resource and date that prove it. Windows end today and are counted in whole days.
 */
import type { Condition, Duration, MedicationRequest, Observation } from 'fhir/r4.js';
import type { FindingDefinition, FindingWindow } from '../knowledge/schemas.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { conditionActive, conditionCounts, conditionDate } from './conditions.js';
import { dayRange, isoDay } from './dates.js';
import { asArray, conceptText, conceptWords, referenceTo, str } from './resources.js';
import type { FindingHit, PatientRecord } from './types.js';

export type ValueSetLookup = (id: string) => ValueSet;

/** Days ago of the latest day a date can stand for: a red flag dated "2026-08" counts while any of August is in the window. */
function daysAgo(value: string | undefined, today: number): number | undefined {
  const range = dayRange(value);
  return range ? today - range.latest : undefined;
}

function inWindow(window: FindingWindow, ago: number | undefined, active: boolean): boolean {
  switch (window.kind) {
    case 'any-time':
      return true;
    case 'active':
      return active;
    case 'days':
      // An undated finding that is still active is present now, so it is inside any window.
      return ago === undefined ? active : ago >= 0 && ago <= window.days;
  }
}

function conditionHits(def: FindingDefinition, conditions: Condition[], today: number, vs: ValueSet): FindingHit[] {
  const hits: FindingHit[] = [];
  for (const condition of conditions) {
    if (!conditionCounts(condition)) continue;
    const code = vs.match(condition.code);
    if (!code) continue;
    const date = conditionDate(condition);
    if (!inWindow(def.window, daysAgo(date, today), conditionActive(condition))) continue;
    const range = dayRange(date);
    hits.push({
      findingId: def.id,
      label: def.label,
      reference: referenceTo(condition),
      display: conceptText(condition.code, code),
      ...(range ? { date: isoDay(range.latest) } : {}),
    });
  }
  return hits;
}

function celsius(obs: Observation): number | undefined {
  const q = obs.valueQuantity;
  if (!q || typeof q.value !== 'number') return undefined;
  const unit = str(q.code) ?? str(q.unit) ?? '';
  if (unit === '[degF]' || unit === '°F' || unit === 'degF') return ((q.value - 32) * 5) / 9;
  if (unit === 'Cel' || unit === '°C' || unit === 'C' || unit === 'degC') return q.value;
  return undefined;
}

function observationDate(obs: Observation): string | undefined {
  return obs.effectiveDateTime ?? obs.effectivePeriod?.start ?? obs.effectiveInstant ?? obs.issued;
}

function observationHits(def: FindingDefinition, observations: Observation[], today: number, lookup: ValueSetLookup): FindingHit[] {
  const rule = def.observation;
  if (!rule) return [];
  const vs = lookup(rule.valueSet);
  const hits: FindingHit[] = [];
  for (const obs of observations) {
    if (obs.status === 'entered-in-error' || obs.status === 'cancelled') continue;
    if (!vs.match(obs.code)) continue;
    const value = celsius(obs);
    if (value === undefined || value < rule.minimum) continue;
    const date = observationDate(obs);
    const ago = daysAgo(date, today);
    if (ago === undefined || !inWindow(rule.window, ago, false)) continue;
    hits.push({
      findingId: def.id,
      label: def.label,
      reference: referenceTo(obs),
      display: `${conceptText(obs.code)} ${Math.round(value * 10) / 10} °C`,
      date: isoDay(today - ago),
    });
  }
  return hits;
}

// A Map, not an object: a unit of "constructor" must find nothing, not Object.prototype's function.
const UNIT_DAYS = new Map(Object.entries({ d: 1, day: 1, days: 1, wk: 7, week: 7, weeks: 7, mo: 30, month: 30, months: 30, a: 365, year: 365 }));

function durationDays(d: Duration | undefined): number | undefined {
  if (!d || typeof d.value !== 'number' || !Number.isFinite(d.value) || d.value <= 0) return undefined;
  const factor = UNIT_DAYS.get(str(d.code) ?? str(d.unit) ?? '');
  return factor === undefined ? undefined : Math.round(d.value * factor);
}

/** The days a MedicationRequest covers: supply duration (with repeats), else dosage bounds, else a default. */
export function medicationCoverage(req: MedicationRequest, defaultDays: number): { start: number; end: number } | undefined {
  const start = dayRange(req.authoredOn)?.earliest;
  const supply = durationDays(req.dispenseRequest?.expectedSupplyDuration);
  if (start !== undefined && supply !== undefined) {
    const repeats = typeof req.dispenseRequest?.numberOfRepeatsAllowed === 'number' ? req.dispenseRequest.numberOfRepeatsAllowed : 0;
    return { start, end: start + supply * (1 + repeats) - 1 };
  }
  for (const dosage of asArray(req.dosageInstruction)) {
    const bounds = dosage?.timing?.repeat;
    const period = bounds?.boundsPeriod;
    const from = dayRange(period?.start)?.earliest ?? start;
    const to = dayRange(period?.end)?.latest;
    if (from !== undefined && to !== undefined && to >= from) return { start: from, end: to };
    const length = durationDays(bounds?.boundsDuration);
    if (from !== undefined && length !== undefined) return { start: from, end: from + length - 1 };
  }
  return start === undefined ? undefined : { start, end: start + defaultDays - 1 };
}

const NOT_TAKEN = new Set(['cancelled', 'entered-in-error', 'draft']);

function medicationHits(def: FindingDefinition, requests: MedicationRequest[], today: number, lookup: ValueSetLookup): FindingHit[] {
  const rule = def.medication;
  if (!rule) return [];
  const vs = lookup(rule.valueSet);
  const from = today - rule.lookbackDays;
  const covered = new Set<number>();
  let newest: { req: MedicationRequest; start: number } | undefined;
  for (const req of requests) {
    if (typeof req.status === 'string' && NOT_TAKEN.has(req.status)) continue;
    const concept = req.medicationCodeableConcept;
    const words = [conceptWords(concept), str(req.medicationReference?.display) ?? '', ...asArray(req.dosageInstruction).map((d) => conceptWords(d?.route))].join(' ');
    // Inhaled and topical forms do not thin bones the way tablets do, even when the code matches.
    if (vs.excludesText(words)) continue;
    if (vs.match(concept) === undefined && !vs.matchesText(words)) continue;
    const span = medicationCoverage(req, rule.defaultDays);
    if (!span) continue;
    for (let day = Math.max(span.start, from); day <= Math.min(span.end, today); day++) covered.add(day);
    if (!newest || span.start > newest.start) newest = { req, start: span.start };
  }
  if (covered.size < rule.minimumDays || !newest) return [];
  return [
    {
      findingId: def.id,
      label: def.label,
      reference: referenceTo(newest.req),
      display: `${conceptText(newest.req.medicationCodeableConcept)}: systemic steroid on ${covered.size} of the last ${rule.lookbackDays} days`,
      date: isoDay(newest.start),
    },
  ];
}

export function findingHits(def: FindingDefinition, record: PatientRecord, today: number, lookup: ValueSetLookup): FindingHit[] {
  return [
    ...conditionHits(def, record.conditions, today, lookup(def.valueSet)),
    ...observationHits(def, record.observations, today, lookup),
    ...medicationHits(def, record.medicationRequests, today, lookup),
  ];
}
