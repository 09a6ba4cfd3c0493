import type { Condition } from 'fhir/r4.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { conditionActive, conditionCounts, conditionDate } from './conditions.js';
import { dayRange, isoDay } from './dates.js';
import { conceptText, referenceTo } from './resources.js';
import type { Evidence } from './record.js';

export interface Episode {
  condition: Evidence;
  sciatica: boolean;
  /** Absent when the Condition has no date: then nothing that needs the duration can decide. */
  start?: string;
  durationDays?: number;
}

/** The newest back pain or sciatica Condition (active or not) dated on or before today. */
export type RecentBackPain = Evidence & { daysAgo: number };

/**
 * The episode is the newest active back pain or sciatica Condition. Conditions without a date
 * rank below dated ones: a dated Condition is the better evidence of when this episode began.
 */
export function findEpisode(conditions: Condition[], today: number, backPain: ValueSet, sciatica: ValueSet): Episode | undefined {
  let best: { condition: Condition; isSciatica: boolean; day?: number; precise: boolean; display: string } | undefined;
  for (const condition of conditions) {
    if (!conditionActive(condition)) continue;
    const sciaticaCode = sciatica.match(condition.code);
    const code = sciaticaCode ?? backPain.match(condition.code);
    if (!code) continue;
    const range = dayRange(conditionDate(condition));
    const candidate = {
      condition,
      isSciatica: sciaticaCode !== undefined,
      day: range?.earliest,
      precise: range?.precise ?? false,
      display: conceptText(condition.code, code),
    };
    if (!best || (candidate.day ?? -Infinity) > (best.day ?? -Infinity)) best = candidate;
  }
  if (!best) return undefined;
  const episode: Episode = {
    condition: { reference: referenceTo(best.condition), display: best.display },
    sciatica: best.isSciatica,
  };
  // A year or month alone cannot tell 41 days from 42, so the start stays unknown.
  if (best.day !== undefined && best.precise && best.day <= today) {
    episode.start = isoDay(best.day);
    episode.condition.date = episode.start;
    episode.durationDays = today - best.day;
  }
  return episode;
}

/**
 * The newest back pain or sciatica Condition dated on or before today, active or not: an episode
 * just marked resolved still makes a cauda equina sign an emergency (design.md).
 */
export function latestBackPainCondition(
  conditions: Condition[],
  today: number,
  backPain: ValueSet,
  sciatica: ValueSet,
): RecentBackPain | undefined {
  let best: RecentBackPain | undefined;
  for (const condition of conditions) {
    if (!conditionCounts(condition)) continue;
    const code = sciatica.match(condition.code) ?? backPain.match(condition.code);
    if (!code) continue;
    const range = dayRange(conditionDate(condition));
    if (!range || range.earliest > today) continue;
    const day = Math.min(range.latest, today);
    const reference = referenceTo(condition);
    if (!best || today - day < best.daysAgo || (today - day === best.daysAgo && reference < best.reference)) {
      best = { reference, display: conceptText(condition.code, code), date: isoDay(day), daysAgo: today - day };
    }
  }
  return best;
}

/** The days that count as this episode, for results that must be this episode's (STarT Back, SCOPiC, referrals). */
export interface EpisodeWindow {
  /** First day of the window (days since 1970-01-01). */
  startDay: number;
  /** Days back from today: the episode's duration, or the look-back days when it has no start date. */
  days: number;
  dated: boolean;
}

/** An undated episode is still this episode: its recent results count (design.md: Unknown episode start). */
export function episodeWindow(episode: Episode | undefined, today: number, undatedLookbackDays: number): EpisodeWindow | undefined {
  if (!episode) return undefined;
  const days = episode.durationDays ?? undatedLookbackDays;
  return { startDay: today - days, days, dated: episode.durationDays !== undefined };
}
