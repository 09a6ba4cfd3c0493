/** The latest PHQ-9 or GAD-7 total: windows and cut-offs are rule conditions over its value and age. */
import type { Observation } from 'fhir/r4.js';
import { FACT_VALUE_SETS } from '../knowledge/fact-docs.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { isoDay } from './dates.js';
import { integerValue, observationCounts, observationDate, resultDay } from './observations.js';
import type { DatedEvidence, ValueSetLookup } from './record.js';
import { referenceTo } from './resources.js';

export interface Score extends DatedEvidence {
  value: number;
}

/** PHQ-9 item 9, thoughts of self-harm: 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day. */
export interface SelfHarmAnswer extends Score {
  answer: string;
}

export interface MoodFacts {
  phq9?: Score;
  /** The PHQ-9 item 9 answer given with the latest PHQ-9, if recorded. */
  phq9Item9?: SelfHarmAnswer;
  gad7?: Score;
}

/**
 * The newest scored Observation whose code is in the value set, dated on or before today. On the
 * same day the higher score wins, so the answer does not depend on the order the server sent.
 */
export function latestScore(observations: Observation[], totals: ValueSet, today: number): Score | undefined {
  let best: Score | undefined;
  for (const obs of observations) {
    if (!observationCounts(obs)) continue;
    const code = totals.match(obs.code);
    if (!code) continue;
    const value = integerValue(obs);
    const day = resultDay(observationDate(obs), today);
    if (value === undefined || value < 0 || day === undefined) continue;
    const candidate: Score = {
      reference: referenceTo(obs),
      display: code.display ?? totals.title,
      date: isoDay(day),
      daysAgo: today - day,
      value,
    };
    if (
      !best ||
      candidate.daysAgo < best.daysAgo ||
      (candidate.daysAgo === best.daysAgo &&
        (candidate.value > best.value || (candidate.value === best.value && candidate.reference < best.reference)))
    ) {
      best = candidate;
    }
  }
  return best;
}

/** PHQ-9 item 9 answers as LOINC answer codes (LL358-3), for a result sent as a coded value. */
const ITEM9_ANSWERS = new Map([
  ['LA6568-5', 0],
  ['LA6569-3', 1],
  ['LA6570-1', 2],
  ['LA6571-9', 3],
]);
const ITEM9_WORDS = ['not at all', 'several days', 'more than half the days', 'nearly every day'];

function item9Value(obs: Observation): number | undefined {
  const n = integerValue(obs);
  if (n !== undefined) return n >= 0 && n <= 3 ? n : undefined;
  for (const c of obs.valueCodeableConcept?.coding ?? []) {
    const v = typeof c?.code === 'string' ? ITEM9_ANSWERS.get(c.code) : undefined;
    if (v !== undefined && (c.system === undefined || c.system === 'http://loinc.org')) return v;
  }
  return undefined;
}

/**
 * The PHQ-9 item 9 answer (thoughts of self-harm) given with a PHQ-9: the newest one dated on the
 * day of that PHQ-9 or after it. An older answer says nothing about risk today, so it is not used.
 */
export function selfHarmAnswer(
  observations: Observation[],
  item9: ValueSet,
  phq9: Score | undefined,
  today: number,
): SelfHarmAnswer | undefined {
  let best: SelfHarmAnswer | undefined;
  const from = phq9 ? today - phq9.daysAgo : undefined;
  for (const obs of observations) {
    if (!observationCounts(obs) || !item9.match(obs.code)) continue;
    const value = item9Value(obs);
    const day = resultDay(observationDate(obs), today);
    if (value === undefined || day === undefined || from === undefined || day < from) continue;
    const candidate: SelfHarmAnswer = {
      reference: referenceTo(obs),
      display: item9.title,
      date: isoDay(day),
      daysAgo: today - day,
      value,
      answer: ITEM9_WORDS[value] ?? String(value),
    };
    if (!best || candidate.daysAgo < best.daysAgo || (candidate.daysAgo === best.daysAgo && candidate.value > best.value)) best = candidate;
  }
  return best;
}

export function moodFacts(observations: Observation[], valueSet: ValueSetLookup, today: number): MoodFacts {
  const phq9 = latestScore(observations, valueSet(FACT_VALUE_SETS.phq9), today);
  const gad7 = latestScore(observations, valueSet(FACT_VALUE_SETS.gad7), today);
  const item9 = selfHarmAnswer(observations, valueSet(FACT_VALUE_SETS.phq9Item9), phq9, today);
  return { ...(phq9 ? { phq9 } : {}), ...(item9 ? { phq9Item9: item9 } : {}), ...(gad7 ? { gad7 } : {}) };
}

/** Days since the newer of the latest PHQ-9 and GAD-7, or undefined when neither is recorded. */
export function moodScoreDaysAgo(mood: MoodFacts): number | undefined {
  const days = [mood.phq9?.daysAgo, mood.gad7?.daysAgo].filter((d): d is number => d !== undefined);
  return days.length ? Math.min(...days) : undefined;
}
