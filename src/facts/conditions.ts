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

const ABATEMENT = ['abatementDateTime', 'abatementAge', 'abatementPeriod', 'abatementRange', 'abatementString'] as const;

/**
 * Active when clinicalStatus says so, or says nothing (design.md: absent counts as active) and no
 * abatement[x] is recorded: FHIR R4 (con-4) makes an abated Condition inactive, resolved or in remission.
 */
export function conditionActive(condition: Condition): boolean {
  if (!conditionCounts(condition)) return false;
  const codes = statusCodes(condition.clinicalStatus);
  if (codes.length === 0) return !ABATEMENT.some((field) => condition[field] !== undefined && condition[field] !== null);
  return codes.some((c) => ACTIVE.has(c));
}

/**
 * onsetDateTime, else onsetPeriod.start, else its end (onset was no later: nearer than the recorded
 * date, and a red flag dated by it stays in its window), else recordedDate.
 */
export function conditionDate(condition: Condition): string | undefined {
  const candidates = [condition.onsetDateTime, condition.onsetPeriod?.start, condition.onsetPeriod?.end, condition.recordedDate];
  return candidates.find((v): v is string => typeof v === 'string' && v.length > 0);
}
