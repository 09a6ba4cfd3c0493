/** The latest PHQ-9 or GAD-7 total: windows and cut-offs are rule conditions over its value and age. */
import type { Observation } from 'fhir/r4.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import type { Score } from './care-types.js';
import { isoDay } from './dates.js';
import { integerValue, observationCounts, observationDate, resultDay } from './observations.js';
import { referenceTo } from './resources.js';

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
    const candidate: Score = { reference: referenceTo(obs), display: code.display ?? totals.title, date: isoDay(day), daysAgo: today - day, value };
    if (
      !best ||
      candidate.daysAgo < best.daysAgo ||
      (candidate.daysAgo === best.daysAgo && (candidate.value > best.value || (candidate.value === best.value && candidate.reference < best.reference)))
    ) {
      best = candidate;
    }
  }
  return best;
}
