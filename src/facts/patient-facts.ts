/**
 * The facts stage: from a patient's record to the facts the rules and cards use, one family at a
 * time (each module computes its own), then flattened to the values json-rules-engine reads.
 */
import { FACT_VALUE_SETS, type EngineFactName, type EngineValue } from '../knowledge/fact-docs.js';
import type { FindingsFile, InstrumentsFile } from '../knowledge/schemas.js';
import { chronicPainFacts } from './chronic-pain.js';
import { dayOf, isoDay } from './dates.js';
import { episodeWindow, findEpisode, latestBackPainCondition } from './episode.js';
import { redFlagFacts } from './findings.js';
import { priorLumbarImaging } from './imaging.js';
import { moodFacts, moodScoreDaysAgo } from './mood.js';
import { isDeceased, patientAge } from './patient.js';
import type { PatientRecord, ValueSetLookup } from './record.js';
import { inPlaceThisEpisode, isOpen, referralFacts } from './referrals.js';
import { referenceTo } from './resources.js';
import { scopicFacts } from './scopic.js';
import { startBackFacts } from './startback.js';
import type { PatientFacts } from './types.js';

export interface FactsKnowledge {
  valueSet: ValueSetLookup;
  findings: FindingsFile;
  instruments: InstrumentsFile;
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/** Pure: the same record and time give the same facts. */
export function buildPatientFacts(record: PatientRecord, now: Date, knowledge: FactsKnowledge): PatientFacts {
  const today = dayOf(now);
  const vs = knowledge.valueSet;
  const unknowns: string[] = [];
  const age = patientAge(record.patient, today);
  if (age === undefined) unknowns.push('The patient has no usable birthDate, so adulthood cannot be decided.');

  const backPain = vs(FACT_VALUE_SETS.backPain);
  const sciatica = vs(FACT_VALUE_SETS.sciatica);
  const episode = findEpisode(record.conditions, today, backPain, sciatica);
  const recentBackPain = latestBackPainCondition(record.conditions, today, backPain, sciatica);
  if (episode && episode.durationDays === undefined) {
    unknowns.push(`The episode's Condition (${episode.condition.reference}) has no full date, so its duration is unknown.`);
  }
  const window = episodeWindow(episode, today, knowledge.instruments.undatedEpisodeLookbackDays);

  const findings = redFlagFacts(record, knowledge.findings, vs, today);
  const imaging = priorLumbarImaging(knowledge.findings.priorLumbarImaging, record, today, vs);
  const unreadable = findings.textChecked.unreadable;
  if (unreadable.length) {
    unknowns.push(
      `${unreadable.length} ${plural(unreadable.length, 'entry has', 'entries have')} neither a code in a ` +
        `known system nor any text, so no red flag could be read from ` +
        `${plural(unreadable.length, 'it', 'them')}: ${unreadable.join(', ')}.`,
    );
  }
  if (record.otherPatientResources) {
    unknowns.push(
      `${record.otherPatientResources} ` +
        `${plural(record.otherPatientResources, 'resource names', 'resources name')} another patient and ` +
        `${plural(record.otherPatientResources, 'was', 'were')} left out.`,
    );
  }

  const startBack = startBackFacts(record, window, knowledge.instruments, vs, today);
  const scopic = scopicFacts(record.observations, episode, window, startBack.startBack, knowledge.instruments, today);
  // A STarT Back never recorded is known to be missing, and an undated episode is reported above:
  // only recorded results that could not be used are unknowns.
  unknowns.push(...startBack.startBackUnscorable.map((p) => `STarT Back: ${p}`));
  if (scopic && scopic.group === undefined) unknowns.push(`SCOPiC group undecided: missing ${scopic.missing.join(', ')}.`);

  return {
    today: isoDay(today),
    patientReference: referenceTo(record.patient),
    ...(age !== undefined ? { ageYears: age } : {}),
    deceased: isDeceased(record.patient, today),
    ...(episode ? { episode } : {}),
    ...(window ? { episodeWindowDays: window.days } : {}),
    ...(recentBackPain ? { recentBackPain } : {}),
    ...findings,
    ...(imaging ? { priorLumbarImaging: imaging } : {}),
    ...startBack,
    ...(scopic ? { scopic } : {}),
    referrals: referralFacts(record, vs, today),
    ...chronicPainFacts(record.conditions, vs),
    ...moodFacts(record.observations, vs, today),
    otherPatientResources: record.otherPatientResources,
    unknowns,
  };
}

/**
 * The flat facts json-rules-engine sees, one per name in src/knowledge/fact-docs.ts. null means
 * "unknown"; "...DaysAgo" facts are null when there is no such record, "...InPlace" facts when
 * there is no episode.
 */
export function engineFacts(facts: PatientFacts): Record<EngineFactName, EngineValue> {
  const days = facts.episode ? (facts.episode.durationDays ?? facts.episodeWindowDays) : undefined;
  const physio = inPlaceThisEpisode(facts.referrals.physiotherapy, days);
  const spinal = inPlaceThisEpisode(facts.referrals.spinalSpecialist, days);
  const mri = inPlaceThisEpisode(facts.referrals.lumbarMri, days);
  return {
    ageYears: facts.ageYears ?? null,
    openEpisode: facts.episode !== undefined,
    episodeDays: facts.episode?.durationDays ?? null,
    sciatica: facts.episode?.sciatica ?? false,
    redFlagCount: facts.redFlags.length,
    caudaEquinaSignCount: facts.caudaEquinaSigns.length,
    priorLumbarImagingDaysAgo: facts.priorLumbarImaging?.daysAgo ?? null,
    backPainConditionDaysAgo: facts.recentBackPain?.daysAgo ?? null,
    deceased: facts.deceased,
    startbackRisk: facts.startBack?.risk ?? null,
    startbackTotal: facts.startBack?.total ?? null,
    startbackPsychosocial: facts.startBack?.psychosocial ?? null,
    scopicGroup: facts.scopic?.group ?? null,
    physioReferralInPlace: physio,
    fastTrackInPlace: spinal === null || mri === null ? null : spinal || mri,
    chronicPainCondition: facts.chronicPain.length > 0,
    chronicPrimaryPain: facts.chronicPrimaryPain.length > 0,
    phq9Score: facts.phq9?.value ?? null,
    phq9DaysAgo: facts.phq9?.daysAgo ?? null,
    gad7Score: facts.gad7?.value ?? null,
    gad7DaysAgo: facts.gad7?.daysAgo ?? null,
    moodScoreDaysAgo: moodScoreDaysAgo(facts) ?? null,
    therapyReferralDaysAgo: facts.referrals.psychologicalTherapy[0]?.daysAgo ?? null,
    therapyReferralOpen: facts.referrals.psychologicalTherapy.some(isOpen),
    exerciseReferralDaysAgo: facts.referrals.exercise[0]?.daysAgo ?? null,
    exerciseReferralOpen: facts.referrals.exercise.some(isOpen),
  };
}
