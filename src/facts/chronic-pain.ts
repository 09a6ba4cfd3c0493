import type { Condition } from 'fhir/r4.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { conditionActive, conditionDate } from './conditions.js';
import { dayRange, isoDay } from './dates.js';
import { conceptText, referenceTo } from './resources.js';
import type { Evidence } from './types.js';

/** Active chronic pain Conditions (fibromyalgia, chronic pain syndrome, ...), newest first, undated last. */
export function chronicPainConditions(conditions: Condition[], vs: ValueSet): Evidence[] {
  const found: { evidence: Evidence; day: number }[] = [];
  for (const condition of conditions) {
    if (!conditionActive(condition)) continue;
    const code = vs.match(condition.code);
    if (!code) continue;
    const range = dayRange(conditionDate(condition));
    found.push({
      evidence: { reference: referenceTo(condition), display: conceptText(condition.code, code), ...(range?.precise ? { date: isoDay(range.earliest) } : {}) },
      day: range?.earliest ?? -Infinity,
    });
  }
  return found.sort((a, b) => b.day - a.day || a.evidence.reference.localeCompare(b.evidence.reference)).map((f) => f.evidence);
}
