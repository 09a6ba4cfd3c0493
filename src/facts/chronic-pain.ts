import type { Condition } from 'fhir/r4.js';
import { FACT_VALUE_SETS } from '../knowledge/fact-docs.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { conditionActive, conditionDate } from './conditions.js';
import { dayRange, isoDay } from './dates.js';
import type { Evidence, ValueSetLookup } from './record.js';
import { conceptText, referenceTo } from './resources.js';

/** Active chronic pain Conditions (fibromyalgia, chronic pain syndrome, ...), newest first, undated last. */
export function chronicPainConditions(conditions: Condition[], vs: ValueSet): Evidence[] {
  const found: { evidence: Evidence; day: number }[] = [];
  for (const condition of conditions) {
    if (!conditionActive(condition)) continue;
    const code = vs.match(condition.code);
    if (!code) continue;
    const range = dayRange(conditionDate(condition));
    found.push({
      evidence: {
        reference: referenceTo(condition),
        display: conceptText(condition.code, code),
        ...(range?.precise ? { date: isoDay(range.earliest) } : {}),
      },
      day: range?.earliest ?? -Infinity,
    });
  }
  return found.sort((a, b) => b.day - a.day || a.evidence.reference.localeCompare(b.evidence.reference)).map((f) => f.evidence);
}

export interface ChronicPainFacts {
  /** Active chronic pain Conditions, newest first. */
  chronicPain: Evidence[];
  /** Those of them in the chronic primary pain value set (fibromyalgia, chronic widespread pain), where NICE NG193 applies. */
  chronicPrimaryPain: Evidence[];
}

export function chronicPainFacts(conditions: Condition[], valueSet: ValueSetLookup): ChronicPainFacts {
  return {
    chronicPain: chronicPainConditions(conditions, valueSet(FACT_VALUE_SETS.chronicPain)),
    chronicPrimaryPain: chronicPainConditions(conditions, valueSet(FACT_VALUE_SETS.chronicPrimaryPain)),
  };
}
