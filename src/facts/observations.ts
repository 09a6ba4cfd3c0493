/** Defensive readers for Observation values and dates: a malformed value reads as "no value". */
import type { Observation, ObservationComponent } from 'fhir/r4.js';
import { dayRange } from './dates.js';

/**
 * The statuses of an Observation that is a result (design.md: final, amended, corrected or
 * preliminary). Registered (no result yet), cancelled, entered-in-error and unknown (the source
 * cannot say it is not one of those) are not; the findings of rules/findings.json list the same
 * statuses as data. An Observation without a status is read as a result: dropping it could hide a
 * red flag.
 */
const RESULT_STATUSES: readonly string[] = ['final', 'amended', 'corrected', 'preliminary'];

/** The one test of whether an Observation is a result the facts may use. */
export function observationCounts(obs: Observation): boolean {
  return typeof obs.status !== 'string' || RESULT_STATUSES.includes(obs.status);
}

/** effective[x] (a period with only an end, as when a measurement's start went unrecorded, by its end), else issued. */
export function observationDate(obs: Observation): string | undefined {
  const candidates = [obs.effectiveDateTime, obs.effectivePeriod?.start, obs.effectivePeriod?.end, obs.effectiveInstant, obs.issued];
  return candidates.find((v): v is string => typeof v === 'string' && v.length > 0);
}

/**
 * The day a result stands for: the latest day a partial date can mean, as for red flags. Future
 * dates are not results yet, so they read as undated.
 */
export function resultDay(value: string | undefined, today: number): number | undefined {
  const range = dayRange(value);
  if (!range) return undefined;
  const day = Math.min(range.latest, today);
  return range.earliest > today ? undefined : day;
}

/** A whole number from valueInteger, or from valueQuantity when it is a whole number (PHQ-9 is often sent as a Quantity). */
export function integerValue(source: Observation | ObservationComponent): number | undefined {
  if (typeof source.valueInteger === 'number' && Number.isInteger(source.valueInteger)) return source.valueInteger;
  const q = source.valueQuantity?.value;
  return typeof q === 'number' && Number.isInteger(q) ? q : undefined;
}

export function booleanValue(source: Observation | ObservationComponent): boolean | undefined {
  return typeof source.valueBoolean === 'boolean' ? source.valueBoolean : undefined;
}

/** True when two dateTimes name the same moment (offsets may differ) or are the same string. */
export function sameMoment(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a === b) return true;
  const x = Date.parse(a);
  const y = Date.parse(b);
  return a.includes('T') && b.includes('T') && !Number.isNaN(x) && x === y;
}
