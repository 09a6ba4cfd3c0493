/**
 * The facts of the patient-view services: STarT Back and SCOPiC for the back pain episode, the
 * referrals already in place, chronic pain Conditions and the latest PHQ-9 and GAD-7. Pure.
 */
import type { InstrumentsFile } from '../knowledge/schemas.js';
import type { CareFacts, Referral, ReferralKind } from './care-types.js';
import { chronicPainConditions } from './chronic-pain.js';
import { dayRange } from './dates.js';
import type { ValueSetLookup } from './findings.js';
import { latestScore, selfHarmAnswer } from './mood.js';
import { imagingDoneIn, isOpen, referralsIn } from './referrals.js';
import { scopicGroup, scopicItemValues } from './scopic.js';
import { candidatesFromObservations, candidatesFromResponses, selectStartBack } from './startback.js';
import type { Episode, PatientRecord } from './types.js';

export interface CareKnowledge {
  valueSet: ValueSetLookup;
  instruments: InstrumentsFile;
}

/** Value sets the care facts read (the loader checks they exist). */
export const CARE_VALUE_SETS = {
  chronicPain: 'chronic-pain',
  chronicPrimaryPain: 'chronic-primary-pain',
  phq9: 'phq9-total',
  phq9Item9: 'phq9-item9',
  gad7: 'gad7-total',
  physiotherapy: 'referral-physiotherapy',
  psychologicalTherapy: 'referral-psychological-therapy',
  exercise: 'referral-exercise',
  spinalSpecialist: 'referral-spinal-specialist',
  lumbarMri: 'lumbar-mri',
} as const;

function isDeceased(record: PatientRecord, today: number): boolean {
  const p = record.patient;
  if (p.deceasedBoolean === true) return true;
  const day = dayRange(p.deceasedDateTime)?.earliest;
  return day !== undefined && day <= today;
}

export function buildCareFacts(record: PatientRecord, today: number, episode: Episode | undefined, k: CareKnowledge): CareFacts {
  const system = k.instruments.findingSystem.url;
  const datedStart = episode?.start !== undefined ? dayRange(episode.start)?.earliest : undefined;
  // An undated episode is still this episode: its recent results count (design.md: Unknown episode start).
  const lookback = k.instruments.undatedEpisodeLookbackDays;
  const startDay = episode ? (datedStart ?? today - lookback) : undefined;
  const vs = (id: string) => k.valueSet(id);

  const care: CareFacts = {
    deceased: isDeceased(record, today),
    startBackProblems: [],
    startBackUnscorable: [],
    referrals: {
      physiotherapy: referralsIn(record.serviceRequests, vs(CARE_VALUE_SETS.physiotherapy), today),
      psychologicalTherapy: referralsIn(record.serviceRequests, vs(CARE_VALUE_SETS.psychologicalTherapy), today),
      exercise: referralsIn(record.serviceRequests, vs(CARE_VALUE_SETS.exercise), today),
      spinalSpecialist: referralsIn(record.serviceRequests, vs(CARE_VALUE_SETS.spinalSpecialist), today),
      lumbarMri: [
        ...referralsIn(record.serviceRequests, vs(CARE_VALUE_SETS.lumbarMri), today),
        ...imagingDoneIn(record.procedures, record.imagingStudies, vs(CARE_VALUE_SETS.lumbarMri), today),
      ].sort((a, b) => a.daysAgo - b.daysAgo || a.reference.localeCompare(b.reference)),
    },
    chronicPain: chronicPainConditions(record.conditions, vs(CARE_VALUE_SETS.chronicPain)),
    ...(episode ? { episodeWindowDays: episode.durationDays ?? lookback } : {}),
    chronicPrimaryPain: chronicPainConditions(record.conditions, vs(CARE_VALUE_SETS.chronicPrimaryPain)),
  };
  const phq9 = latestScore(record.observations, vs(CARE_VALUE_SETS.phq9), today);
  const gad7 = latestScore(record.observations, vs(CARE_VALUE_SETS.gad7), today);
  const item9 = selfHarmAnswer(record.observations, vs(CARE_VALUE_SETS.phq9Item9), phq9, today);
  if (phq9) care.phq9 = phq9;
  if (item9) care.phq9Item9 = item9;
  if (gad7) care.gad7 = gad7;

  if (episode) {
    const def = k.instruments.startBack;
    const candidates = [
      ...candidatesFromResponses(record.questionnaireResponses, def, system, today),
      ...candidatesFromObservations(record.observations, def, vs(def.totalValueSet), system, today),
    ];
    const selection = selectStartBack(candidates, startDay, def.risk, datedStart === undefined ? lookback : undefined);
    care.startBackProblems = selection.problems;
    care.startBackUnscorable = selection.unscorable;
    if (selection.result) {
      care.startBack = selection.result;
      if (episode.sciatica && startDay !== undefined) {
        const items = scopicItemValues(record.observations, k.instruments.scopic, system, startDay, today);
        const group = scopicGroup(selection.result.risk, items, k.instruments.scopic);
        const recorded = new Set(items.map((i) => i.code));
        care.scopic = {
          ...(group !== undefined ? { group } : {}),
          items,
          missing: k.instruments.scopic.items.filter((i) => !recorded.has(i.code)).map((i) => i.display),
        };
      }
    }
  }
  return care;
}

/** Open (active, on-hold) at any date, or made since the episode started (for an undated episode, in its look-back days). */
function inPlaceThisEpisode(referrals: Referral[], episodeDays: number | undefined): boolean | null {
  if (episodeDays === undefined) return null;
  return referrals.some((r) => isOpen(r) || r.daysAgo <= episodeDays);
}

type EngineValue = string | number | boolean | null;

/**
 * The flat facts the patient-view rule files use. "...DaysAgo" facts are null when there is no such
 * record; "...InPlace" facts are null when there is no episode.
 */
export function careEngineFacts(care: CareFacts | undefined, episode: Episode | undefined): Record<string, EngineValue> {
  const days = episode ? (episode.durationDays ?? care?.episodeWindowDays) : undefined;
  const referrals = (kind: ReferralKind): Referral[] => care?.referrals[kind] ?? [];
  const physio = inPlaceThisEpisode(referrals('physiotherapy'), days);
  const spinal = inPlaceThisEpisode(referrals('spinalSpecialist'), days);
  const mri = inPlaceThisEpisode(referrals('lumbarMri'), days);
  const moodDays = [care?.phq9?.daysAgo, care?.gad7?.daysAgo].filter((d): d is number => d !== undefined);
  return {
    deceased: care?.deceased ?? false,
    startbackRisk: care?.startBack?.risk ?? null,
    startbackTotal: care?.startBack?.total ?? null,
    startbackPsychosocial: care?.startBack?.psychosocial ?? null,
    scopicGroup: care?.scopic?.group ?? null,
    physioReferralInPlace: physio,
    fastTrackInPlace: spinal === null || mri === null ? null : spinal || mri,
    chronicPainCondition: (care?.chronicPain.length ?? 0) > 0,
    chronicPrimaryPain: (care?.chronicPrimaryPain.length ?? 0) > 0,
    phq9Score: care?.phq9?.value ?? null,
    phq9DaysAgo: care?.phq9?.daysAgo ?? null,
    gad7Score: care?.gad7?.value ?? null,
    gad7DaysAgo: care?.gad7?.daysAgo ?? null,
    moodScoreDaysAgo: moodDays.length ? Math.min(...moodDays) : null,
    therapyReferralDaysAgo: referrals('psychologicalTherapy')[0]?.daysAgo ?? null,
    therapyReferralOpen: referrals('psychologicalTherapy').some(isOpen),
    exerciseReferralDaysAgo: referrals('exercise')[0]?.daysAgo ?? null,
    exerciseReferralOpen: referrals('exercise').some(isOpen),
  };
}

/**
 * What the patient-view rules could not decide, for the explain trace and the log: recorded results
 * that could not be used. A STarT Back never recorded is known to be missing, and an undated episode
 * is already reported as such.
 */
export function careUnknowns(care: CareFacts): string[] {
  const out = care.startBackUnscorable.map((p) => `STarT Back: ${p}`);
  if (care.scopic && care.scopic.group === undefined) {
    out.push(`SCOPiC group undecided: missing ${care.scopic.missing.join(', ')}.`);
  }
  return out;
}
