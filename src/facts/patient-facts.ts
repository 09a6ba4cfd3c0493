import type { FindingsFile, InstrumentsFile } from '../knowledge/schemas.js';
import { buildCareFacts, careEngineFacts, careUnknowns } from './care-facts.js';
import { ageInYears, dayOf, isoDay } from './dates.js';
import { findEpisode, latestBackPainCondition } from './episode.js';
import { findingHits, type ValueSetLookup } from './findings.js';
import { priorLumbarImaging } from './imaging.js';
import { referenceTo } from './resources.js';
import { scanTextEntries } from './text-entries.js';
import type { PatientFacts, PatientRecord } from './types.js';

export interface FactsKnowledge {
  valueSet: ValueSetLookup;
  findings: FindingsFile;
  instruments: InstrumentsFile;
}

/** From a patient's record to the plain facts the rules and cards use. Pure: the same record and time give the same facts. */
export function buildPatientFacts(record: PatientRecord, now: Date, knowledge: FactsKnowledge): PatientFacts {
  const today = dayOf(now);
  const unknowns: string[] = [];
  const age = typeof record.patient.birthDate === 'string' ? ageInYears(record.patient.birthDate, today) : undefined;
  if (age === undefined) unknowns.push('The patient has no usable birthDate, so adulthood cannot be decided.');

  const backPain = knowledge.valueSet('back-pain');
  const sciatica = knowledge.valueSet('sciatica');
  const episode = findEpisode(record.conditions, today, backPain, sciatica);
  const recentBackPain = latestBackPainCondition(record.conditions, today, backPain, sciatica);
  if (episode && episode.durationDays === undefined) {
    unknowns.push(`The episode's Condition (${episode.condition.reference}) has no full date, so its duration is unknown.`);
  }

  const text = scanTextEntries(record);
  const redFlags = knowledge.findings.redFlags.flatMap((def) => findingHits(def, record, today, knowledge.valueSet, text.entries));
  const caudaEquinaSigns = findingHits(knowledge.findings.caudaEquina, record, today, knowledge.valueSet, text.entries);
  const imaging = priorLumbarImaging(knowledge.findings.priorLumbarImaging, record, today, knowledge.valueSet);
  if (text.unreadable.length) {
    unknowns.push(`${text.unreadable.length} ${text.unreadable.length === 1 ? 'entry has' : 'entries have'} neither a code in a known system nor any text, so no red flag could be read from ${text.unreadable.length === 1 ? 'it' : 'them'}: ${text.unreadable.join(', ')}.`);
  }
  if (record.otherPatientResources) {
    unknowns.push(`${record.otherPatientResources} ${record.otherPatientResources === 1 ? 'resource names' : 'resources name'} another patient and ${record.otherPatientResources === 1 ? 'was' : 'were'} left out.`);
  }
  const care = buildCareFacts(record, today, episode, knowledge);
  unknowns.push(...careUnknowns(care));

  return {
    today: isoDay(today),
    patientReference: referenceTo(record.patient),
    ...(age !== undefined ? { ageYears: age } : {}),
    ...(episode ? { episode } : {}),
    redFlags,
    redFlagsChecked: knowledge.findings.redFlags.map((d) => d.label),
    caudaEquinaSigns,
    textChecked: { textOnly: text.entries.length, unreadable: text.unreadable },
    ...(imaging ? { priorLumbarImaging: imaging } : {}),
    ...(recentBackPain ? { recentBackPain } : {}),
    otherPatientResources: record.otherPatientResources,
    care,
    unknowns,
  };
}

/**
 * The flat facts json-rules-engine sees. null means "unknown": numeric operators are false on
 * null, so a rule that needs an unknown value does not fire, and the trace shows the null.
 */
export function engineFacts(facts: PatientFacts): Record<string, string | number | boolean | null> {
  return {
    ageYears: facts.ageYears ?? null,
    openEpisode: facts.episode !== undefined,
    episodeDays: facts.episode?.durationDays ?? null,
    sciatica: facts.episode?.sciatica ?? false,
    redFlagCount: facts.redFlags.length,
    caudaEquinaSignCount: facts.caudaEquinaSigns.length,
    priorLumbarImagingDaysAgo: facts.priorLumbarImaging?.daysAgo ?? null,
    backPainConditionDaysAgo: facts.recentBackPain?.daysAgo ?? null,
    ...careEngineFacts(facts.care, facts.episode),
  };
}

/** The fact names a rule file may use, read off engineFacts itself so the two cannot drift apart. */
export const ENGINE_FACT_NAMES: readonly string[] = Object.keys(
  engineFacts({ today: '', patientReference: '', redFlags: [], redFlagsChecked: [], caudaEquinaSigns: [], textChecked: { textOnly: 0, unreadable: [] }, otherPatientResources: 0, unknowns: [] }),
);
