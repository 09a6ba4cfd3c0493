/**
 * Findings (red flags, cauda equina signs, prior lumbar imaging): which findings in
 * rules/findings.json the record shows, each with the resource and date that prove it. Every
 * resource type a finding is read from is a `source` in that file, so this module knows how to read
 * a resource type, never which finding lives where. Windows end today and count whole days.
 */
import type {
  CodeableConcept,
  DiagnosticReport,
  Duration,
  ImagingStudy,
  MedicationRequest,
  MedicationStatement,
  Procedure,
} from 'fhir/r4.js';
import type { FindingDefinition, FindingSource, FindingsFile, FindingWindow, MedicationResource } from '../knowledge/schemas.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { answersAbsent } from './absent-answers.js';
import { quantitySupplyDays, UCUM_DAYS } from './supply-days.js';
import { conditionActive, conditionCounts, conditionDate } from './conditions.js';
import { dayRange, isoDay } from './dates.js';
import { observationDate } from './observations.js';
import { procedureDate, reportDate } from './record-dates.js';
import { asArray, conceptText, conceptWords, medicationConcept, referenceTo, str } from './resources.js';
import type { Evidence, PatientRecord, ValueSetLookup } from './record.js';
import { celsius } from './temperature.js';
import { hasKnownCoding, matchedKeyword, scanTextEntries, type TextEntry } from './text-entries.js';

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

export interface RedFlagFacts {
  redFlags: FindingHit[];
  /** Labels of every red flag that was looked for, so "no red flags" says what was checked. */
  redFlagsChecked: string[];
  caudaEquinaSigns: FindingHit[];
  textChecked: TextChecked;
}

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

/** A resource without a status is read as counting: dropping it could hide a red flag. */
export function statusCounts(status: unknown, allowed: readonly string[]): boolean {
  return typeof status !== 'string' || allowed.includes(status);
}

interface Candidate {
  reference: string;
  display: string;
  date: string | undefined;
  /** Active now (Conditions only): what an "active" window asks, and what keeps an undated finding in a days window. */
  active: boolean;
  matchedByText?: string;
}

function hit(def: FindingDefinition, c: Candidate, today: number): FindingHit | undefined {
  const ago = daysAgo(c.date, today);
  if (!inWindow(def.window, ago, c.active)) return undefined;
  const range = dayRange(c.date);
  return {
    findingId: def.id,
    label: def.label,
    reference: c.reference,
    display: c.display,
    ...(range ? { date: isoDay(range.latest) } : {}),
    ...(c.matchedByText ? { matchedByText: c.matchedByText } : {}),
  };
}

interface CountingCondition {
  condition: PatientRecord['conditions'][number];
  date: string | undefined;
  active: boolean;
}

/** Every finding reads the same Conditions: which count, their dates and status are worked out once per record. */
const countingConditions = new WeakMap<PatientRecord['conditions'], CountingCondition[]>();

function conditionsThatCount(record: PatientRecord): CountingCondition[] {
  let list = countingConditions.get(record.conditions);
  if (!list) {
    list = record.conditions
      .filter(conditionCounts)
      .map((condition) => ({ condition, date: conditionDate(condition), active: conditionActive(condition) }));
    countingConditions.set(record.conditions, list);
  }
  return list;
}

function conditionCandidates(
  source: Extract<FindingSource, { resource: 'Condition' }>,
  record: PatientRecord,
  lookup: ValueSetLookup,
): Candidate[] {
  const vs = lookup(source.valueSet);
  const out: Candidate[] = [];
  for (const { condition, date, active } of conditionsThatCount(record)) {
    const code = vs.match(condition.code);
    if (!code) continue;
    out.push({ reference: referenceTo(condition), display: conceptText(condition.code, code), date, active });
  }
  return out;
}

function observationCandidates(
  source: Extract<FindingSource, { resource: 'Observation' }>,
  record: PatientRecord,
  lookup: ValueSetLookup,
): Candidate[] {
  const vs = lookup(source.valueSet);
  const out: Candidate[] = [];
  for (const obs of record.observations) {
    if (!statusCounts(obs.status, source.status)) continue;
    const concept = source.elements.map((e) => (e === 'code' ? obs.code : obs.valueCodeableConcept)).find((c) => vs.match(c));
    if (!concept) continue;
    // "Saddle anaesthesia: no" records that the sign was looked for and is absent (a value that is itself the sign is not an answer).
    if (concept === obs.code && answersAbsent(obs)) continue;
    const date = observationDate(obs);
    if (source.quantity) {
      const value = celsius(obs.valueQuantity);
      if (value === undefined || value < source.quantity.minimum) continue;
      // A measurement stands for its own day only: an undated temperature is no evidence of fever now.
      if (dayRange(date) === undefined) continue;
      out.push({ reference: referenceTo(obs), display: `${conceptText(obs.code)} ${Math.round(value * 10) / 10} °C`, date, active: false });
      continue;
    }
    out.push({ reference: referenceTo(obs), display: conceptText(concept, vs.match(concept)), date, active: false });
  }
  return out;
}

/** Resources whose code is in the source's value set and whose status counts (Procedure, DiagnosticReport). */
function codedCandidates<R extends Procedure | DiagnosticReport>(
  resources: readonly R[],
  source: { valueSet: string; status: string[] },
  lookup: ValueSetLookup,
  dateOf: (r: R) => string | undefined,
): Candidate[] {
  const vs = lookup(source.valueSet);
  const out: Candidate[] = [];
  for (const r of resources) {
    if (!statusCounts(r.status, source.status)) continue;
    const code = vs.match(r.code);
    if (code) out.push({ reference: referenceTo(r), display: conceptText(r.code, code), date: dateOf(r), active: false });
  }
  return out;
}

function lumbarSeries(
  study: ImagingStudy,
  bodySite: NonNullable<Extract<FindingSource, { resource: 'ImagingStudy' }>['bodySite']>,
  sites: ValueSet,
): string | undefined {
  for (const series of asArray(study.series)) {
    const modality = str(series?.modality?.code);
    if (!modality || !bodySite.modalities.includes(modality)) continue;
    const site = series.bodySite;
    if (site && typeof site === 'object' && sites.has(site)) return `${modality} ${str(site.display) ?? 'lumbar spine'}`;
  }
  return undefined;
}

function studyCandidates(
  source: Extract<FindingSource, { resource: 'ImagingStudy' }>,
  record: PatientRecord,
  lookup: ValueSetLookup,
): Candidate[] {
  const vs = lookup(source.valueSet);
  const sites = source.bodySite ? lookup(source.bodySite.valueSet) : undefined;
  const out: Candidate[] = [];
  for (const s of record.imagingStudies) {
    if (!statusCounts(s.status, source.status)) continue;
    const concept = asArray(s.procedureCode).find((c) => vs.match(c));
    const display = concept
      ? conceptText(concept, vs.match(concept))
      : source.bodySite && sites
        ? lumbarSeries(s, source.bodySite, sites)
        : undefined;
    if (display) out.push({ reference: referenceTo(s), display, date: str(s.started), active: false });
  }
  return out;
}

function sourceCandidates(source: FindingSource, record: PatientRecord, lookup: ValueSetLookup): Candidate[] {
  switch (source.resource) {
    case 'Condition':
      return conditionCandidates(source, record, lookup);
    case 'Observation':
      return observationCandidates(source, record, lookup);
    case 'Procedure':
      return codedCandidates(record.procedures, source, lookup, procedureDate);
    case 'DiagnosticReport':
      return codedCandidates(record.diagnosticReports, source, lookup, reportDate);
    case 'ImagingStudy':
      return studyCandidates(source, record, lookup);
  }
}

// A Map, not an object: a unit of "constructor" must find nothing, not Object.prototype's function.
// Lower-case keys: prescribing systems write "Days" and "Weeks" in the human-readable unit.
const UNIT_DAYS = new Map(
  Object.entries({ ...UCUM_DAYS, day: 1, days: 1, week: 7, weeks: 7, month: 30, months: 30, year: 365, years: 365 }),
);

const unitDays = (unit: unknown): number | undefined => UNIT_DAYS.get(str(unit)?.trim().toLowerCase() ?? '');

/** The UCUM code, else the written unit (a code of another system, e.g. SNOMED's "day", says nothing here). */
function durationDays(d: Duration | undefined): number | undefined {
  if (!d || typeof d.value !== 'number' || !Number.isFinite(d.value) || d.value <= 0) return undefined;
  const factor = unitDays(d.code) ?? unitDays(d.unit);
  return factor === undefined ? undefined : Math.round(d.value * factor);
}

export interface Coverage {
  start: number;
  end: number;
}

/** The days a MedicationRequest covers: supply duration, or quantity over dose (with repeats), else dosage bounds, else a default. */
export function medicationCoverage(req: MedicationRequest, defaultDays: number): Coverage | undefined {
  const start = dayRange(req.authoredOn)?.earliest;
  const supply = durationDays(req.dispenseRequest?.expectedSupplyDuration) ?? quantitySupplyDays(req);
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

/**
 * The days a MedicationStatement covers: its effectivePeriod (an active one without an end runs to
 * today), else effectiveDateTime plus the default (an active one, "taking since", to today).
 */
export function statementCoverage(st: MedicationStatement, defaultDays: number, today: number): Coverage | undefined {
  const from = dayRange(st.effectivePeriod?.start)?.earliest;
  if (from !== undefined) {
    const to = dayRange(st.effectivePeriod?.end)?.latest ?? (st.status === 'active' ? Math.max(today, from) : from + defaultDays - 1);
    return to >= from ? { start: from, end: to } : undefined;
  }
  const at = dayRange(st.effectiveDateTime)?.earliest;
  if (at === undefined) return undefined;
  return { start: at, end: st.status === 'active' ? Math.max(today, at + defaultDays - 1) : at + defaultDays - 1 };
}

/** Statuses that mean the medication was not taken: no exposure to count (explain shows them as near misses). */
export const NOT_TAKEN: Record<MedicationResource, ReadonlySet<string>> = {
  MedicationRequest: new Set(['cancelled', 'entered-in-error', 'draft']),
  MedicationStatement: new Set(['entered-in-error', 'not-taken']),
};

interface MedicationEntry {
  resource: MedicationRequest | MedicationStatement;
  concept: CodeableConcept | undefined;
  words: string;
  coverage: Coverage | undefined;
}

function medicationEntries(kind: MedicationResource, record: PatientRecord, defaultDays: number, today: number): MedicationEntry[] {
  const routes = (r: MedicationRequest | MedicationStatement): string[] =>
    (kind === 'MedicationRequest' ? asArray((r as MedicationRequest).dosageInstruction) : asArray((r as MedicationStatement).dosage)).map(
      (d) => conceptWords(d?.route),
    );
  const list: (MedicationRequest | MedicationStatement)[] =
    kind === 'MedicationRequest' ? record.medicationRequests : record.medicationStatements;
  return list
    .filter((r) => !(typeof r.status === 'string' && NOT_TAKEN[kind].has(r.status)))
    .map((r) => ({
      resource: r,
      concept: medicationConcept(r),
      words: [conceptWords(medicationConcept(r)), str(r.medicationReference?.display) ?? '', ...routes(r)].join(' '),
      coverage:
        kind === 'MedicationRequest'
          ? medicationCoverage(r as MedicationRequest, defaultDays)
          : statementCoverage(r as MedicationStatement, defaultDays, today),
    }));
}

function medicationHits(def: FindingDefinition, record: PatientRecord, today: number, lookup: ValueSetLookup): FindingHit[] {
  const rule = def.medication;
  if (!rule) return [];
  const vs = lookup(rule.valueSet);
  const from = today - rule.lookbackDays;
  const covered = new Set<number>();
  let newest: { entry: MedicationEntry; start: number; byText: boolean } | undefined;
  for (const kind of rule.resources) {
    for (const entry of medicationEntries(kind, record, rule.defaultDays, today)) {
      // Inhaled and topical forms do not thin bones the way tablets do, even when the code matches.
      if (vs.excludesText(entry.words)) continue;
      const byCode = vs.match(entry.concept) !== undefined;
      if (!byCode && !vs.matchesText(entry.words)) continue;
      const span = entry.coverage;
      if (!span) continue;
      for (let day = Math.max(span.start, from); day <= Math.min(span.end, today); day++) covered.add(day);
      // "Matched by text" is for entries no code could speak for; a known product code named by its ingredient is a code match.
      if (!newest || span.start > newest.start) newest = { entry, start: span.start, byText: !byCode && !hasKnownCoding([entry.concept]) };
    }
  }
  if (covered.size < rule.minimumDays || !newest) return [];
  const name = conceptText(newest.entry.concept, vs.match(newest.entry.concept));
  return [
    {
      findingId: def.id,
      label: def.label,
      reference: referenceTo(newest.entry.resource),
      display:
        `${name === 'unnamed' ? (str(newest.entry.resource.medicationReference?.display) ?? name) : name}` +
        `${newest.byText ? ' (matched by text)' : ''}: systemic steroid on ${covered.size} of the last ` +
        `${rule.lookbackDays} days`,
      date: isoDay(newest.start),
      ...(newest.byText ? { matchedByText: 'medication name' } : {}),
    },
  ];
}

/** Entries with no code in a known system whose text names the finding (keywords in rules/findings.json). */
function textHits(def: FindingDefinition, entries: readonly TextEntry[], today: number): FindingHit[] {
  const keywords = def.keywords;
  if (!keywords) return [];
  const out: FindingHit[] = [];
  for (const entry of entries) {
    // A medication finding counts days of supply, which one named prescription cannot show.
    if (def.medication && (entry.resourceType === 'MedicationRequest' || entry.resourceType === 'MedicationStatement')) continue;
    const allowed = def.sources.find((s) => s.resource === entry.resourceType && 'status' in s);
    if (allowed && 'status' in allowed && !statusCounts(entry.status, allowed.status)) continue;
    const word = matchedKeyword(entry.text, keywords);
    if (word === undefined) continue;
    const display = `${entry.display} (matched by text: "${word}")`;
    const h = hit(def, { reference: entry.reference, display, date: entry.date, active: entry.active, matchedByText: word }, today);
    if (h) out.push(h);
  }
  return out;
}

/** A finding's matches before any window, with their dates as recorded (prior imaging picks the newest itself). */
export function findingCandidates(
  def: FindingDefinition,
  record: PatientRecord,
  lookup: ValueSetLookup,
): { reference: string; display: string; date: string | undefined }[] {
  return def.sources.flatMap((source) => sourceCandidates(source, record, lookup));
}

/** Every hit of one finding, one per resource (the first source that shows it), in record order per source. */
export function findingHits(
  def: FindingDefinition,
  record: PatientRecord,
  today: number,
  lookup: ValueSetLookup,
  textEntries: readonly TextEntry[] = [],
): FindingHit[] {
  const seen = new Set<string>();
  const out: FindingHit[] = [];
  const add = (h: FindingHit | undefined): void => {
    if (!h || seen.has(h.reference)) return;
    seen.add(h.reference);
    out.push(h);
  };
  for (const source of def.sources) for (const c of sourceCandidates(source, record, lookup)) add(hit(def, c, today));
  for (const h of medicationHits(def, record, today, lookup)) add(h);
  for (const h of textHits(def, textEntries, today)) add(h);
  return out;
}

/** The red flags and cauda equina signs of rules/findings.json the record shows, and how much of it was read by text only. */
export function redFlagFacts(record: PatientRecord, findings: FindingsFile, valueSet: ValueSetLookup, today: number): RedFlagFacts {
  const text = scanTextEntries(record);
  return {
    redFlags: findings.redFlags.flatMap((def) => findingHits(def, record, today, valueSet, text.entries)),
    redFlagsChecked: findings.redFlags.map((d) => d.label),
    caudaEquinaSigns: findingHits(findings.caudaEquina, record, today, valueSet, text.entries),
    textChecked: { textOnly: text.entries.length, unreadable: text.unreadable },
  };
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/** How much was read by text only, in one sentence, so a card that says "no red flags" says it too. */
export function textCheckedSentence(t: TextChecked): string {
  const parts: string[] = [];
  // Unreadable entries first: "every entry had a known code" must never precede the ones that had none.
  if (t.unreadable.length) {
    parts.push(
      `${t.unreadable.length} ${plural(t.unreadable.length, 'entry', 'entries')} had neither a known code ` +
        `nor any text and could not be checked (${t.unreadable.join(', ')}).`,
    );
  }
  const every = t.unreadable.length ? 'Every other entry' : 'Every entry';
  parts.push(
    t.textOnly === 0
      ? `${every} read had a code in a known code system.`
      : `${t.textOnly} ${plural(t.textOnly, 'entry', 'entries')} had no code in a known code system and ` +
          `${plural(t.textOnly, 'was', 'were')} checked by ${plural(t.textOnly, 'its', 'their')} text only.`,
  );
  return parts.join(' ');
}
