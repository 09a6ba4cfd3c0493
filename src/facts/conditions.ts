import type { Condition } from 'fhir/r4.js';
import { asArray } from './resources.js';

function statusCodes(concept: Condition['clinicalStatus']): string[] {
  return asArray(concept?.coding)
    .map((c) => (c && typeof c.code === 'string' ? c.code : ''))
    .filter(Boolean);
}

/** Refuted and entered-in-error Conditions never count, whatever else they say. */
export function conditionCounts(condition: Condition): boolean {
  const verification = statusCodes(condition.verificationStatus);
  return !verification.some((c) => c === 'refuted' || c === 'entered-in-error');
}

const ACTIVE = new Set(['active', 'recurrence', 'relapse']);

/** Active when clinicalStatus says so, or says nothing (design.md: absent counts as active). */
export function conditionActive(condition: Condition): boolean {
  if (!conditionCounts(condition)) return false;
  const codes = statusCodes(condition.clinicalStatus);
  return codes.length === 0 || codes.some((c) => ACTIVE.has(c));
}

/** onsetDateTime, else onsetPeriod.start, else recordedDate. */
export function conditionDate(condition: Condition): string | undefined {
  const candidates = [condition.onsetDateTime, condition.onsetPeriod?.start, condition.recordedDate];
  return candidates.find((v): v is string => typeof v === 'string' && v.length > 0);
}
