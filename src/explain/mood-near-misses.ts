/**
 * Near misses of the mood scores (PHQ-9, GAD-7): a latest score that meets a rule's cut-off but is
 * older than its window, or is in the window but a little under the cut-off. The cut-offs and
 * windows are rule conditions, not facts, so they are read from the trace of each rule that did not
 * fire: "PHQ-9 12 meets ≥ 10 but is 120 days old", not only "phq9DaysAgo is 120".
 */
import type { PatientFacts, Score } from '../facts/types.js';
import { conditionLeaves } from '../knowledge/conditions.js';
import type { NearMiss } from './near-misses.js';
import type { ConditionTrace } from './condition-trace.js';

type Leaf = Extract<ConditionTrace, { fact: string }>;

/** Points under the cut-off that still count as near: close enough that a retest could cross it. */
export const NEAR_POINTS = 3;

const SCORES = [
  { scoreFact: 'phq9Score', daysFact: 'phq9DaysAgo', label: 'PHQ-9', pick: (f: PatientFacts): Score | undefined => f.phq9 },
  { scoreFact: 'gad7Score', daysFact: 'gad7DaysAgo', label: 'GAD-7', pick: (f: PatientFacts): Score | undefined => f.gad7 },
] as const;

/**
 * The leaves that sit side by side in one "all" (a cut-off and its window), grouped by that "all";
 * a negated one is no threshold to come near.
 */
function allGroups(c: ConditionTrace): Leaf[][] {
  const groups = new Map<string, Leaf[]>();
  for (const { leaf, path } of conditionLeaves<Leaf>(c)) {
    const parent = /^(.*)\.all\[\d+\]$/.exec(path)?.[1];
    if (parent === undefined || path.includes('.not')) continue;
    groups.set(parent, [...(groups.get(parent) ?? []), leaf]);
  }
  return [...groups.values()];
}

const AT_LEAST = new Set(['greaterThanInclusive', 'greaterThan']);
const AT_MOST = new Set(['lessThanInclusive', 'lessThan']);

/** How many whole points a score is short of a cut-off condition. */
function pointsShort(leaf: Leaf & { value: number }, score: number): number {
  return leaf.operator === 'greaterThanInclusive' ? leaf.value - score : leaf.value - score + 1;
}

function cutOff(leaf: Leaf & { value: number }): string {
  return leaf.operator === 'greaterThanInclusive' ? `the cut-off ${leaf.value}` : `the cut-off (over ${leaf.value})`;
}

function windowWords(leaf: Leaf & { value: number }): string {
  return leaf.operator === 'lessThanInclusive' ? `the ${leaf.value}-day window` : `the window (under ${leaf.value} days)`;
}

const numeric = (leaf: Leaf | undefined): leaf is Leaf & { value: number } => leaf !== undefined && typeof leaf.value === 'number';

/** Near misses by fact name (phq9Score, gad7Score), from the rules that did not fire. */
export function moodNearMisses(
  unfired: readonly { id: string; conditions: ConditionTrace }[],
  facts: PatientFacts,
): Record<string, NearMiss[]> {
  const out: Record<string, NearMiss[]> = {};
  for (const { scoreFact, daysFact, label, pick } of SCORES) {
    const score = pick(facts);
    if (!score) continue;
    const misses = new Map<string, NearMiss>();
    for (const rule of unfired) {
      for (const group of allGroups(rule.conditions)) {
        const cut = group.find((l) => l.fact === scoreFact && AT_LEAST.has(l.operator));
        const window = group.find((l) => l.fact === daysFact && AT_MOST.has(l.operator));
        if (!numeric(cut) || !numeric(window)) continue;
        let why: string | undefined;
        if (cut.result && !window.result)
          why = `score ${score.value} meets ${cutOff(cut)} but is ${score.daysAgo} days old: outside ${windowWords(window)}`;
        else if (!cut.result && window.result && pointsShort(cut, score.value) <= NEAR_POINTS) {
          const short = pointsShort(cut, score.value);
          why = `score ${score.value} is ${short} point${short === 1 ? '' : 's'} under ${cutOff(cut)}`;
        }
        if (why)
          misses.set(why, {
            findingId: scoreFact,
            label,
            reference: score.reference,
            display: score.display,
            date: score.date,
            why: `${why} (${rule.id})`,
          });
      }
    }
    if (misses.size) out[scoreFact] = [...misses.values()];
  }
  return out;
}
