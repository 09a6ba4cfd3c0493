/**
 * Some card placeholders have a value only for some patients ({{priorImaging.date}} needs prior
 * imaging). A rule whose conditions do not guarantee that value would fail at request time (a
 * logged 500), so loading refuses it and says which condition to add.
 */
import type { RuleDefinition } from './schemas.js';

type Leaf = { fact: string; operator: string; value: unknown };

const NUMERIC = new Set(['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive']);

/** True on a leaf that can only hold when the fact is known (json-rules-engine's numeric operators are false on null). */
const known = (fact: string) => (l: Leaf) =>
  l.fact === fact && (NUMERIC.has(l.operator) || (l.operator === 'equal' && typeof l.value === 'number'));

/** True on a leaf that can only hold when the count is at least one. */
const positive = (fact: string) => (l: Leaf) =>
  l.fact === fact &&
  typeof l.value === 'number' &&
  ((l.operator === 'greaterThan' && l.value >= 0) ||
    (l.operator === 'greaterThanInclusive' && l.value >= 1) ||
    (l.operator === 'equal' && l.value >= 1));

/** A usable STarT Back result (so an open episode, dated or not). */
const startBackKnown = (l: Leaf): boolean =>
  l.fact === 'startbackRisk' &&
  ((l.operator === 'equal' && typeof l.value === 'string') ||
    (l.operator === 'notEqual' && l.value === null) ||
    (l.operator === 'in' && Array.isArray(l.value) && l.value.length > 0 && !l.value.includes(null)));

/** A decided SCOPiC group, which needs a usable STarT Back result; `groups` limits which ones. */
const scopicIn =
  (groups: number[]) =>
  (l: Leaf): boolean => {
    if (l.fact !== 'scopicGroup') return false;
    if (l.operator === 'equal') return typeof l.value === 'number' && groups.includes(l.value);
    if (l.operator === 'in')
      return Array.isArray(l.value) && l.value.length > 0 && l.value.every((v) => typeof v === 'number' && groups.includes(v));
    return false;
  };

interface Guard {
  /** Placeholder names this guard covers (a trailing "." covers a family). */
  names: string[];
  holds: ((l: Leaf) => boolean)[];
  needs: string;
  add: string;
}

const GUARDS: Guard[] = [
  {
    names: ['episode.days', 'episode.weeks', 'episode.start.plus.'],
    // Not a STarT Back result: an undated episode can have one (its last 90 days count).
    holds: [known('episodeDays')],
    needs: 'a dated back pain episode',
    add: '{"fact": "episodeDays", "operator": "lessThan", "value": 42} (or another comparison on episodeDays)',
  },
  {
    names: ['episode.'],
    holds: [
      (l) => l.fact === 'openEpisode' && l.operator === 'equal' && l.value === true,
      known('episodeDays'),
      (l) => l.fact === 'sciatica' && l.operator === 'equal' && l.value === true,
    ],
    needs: 'an open back pain episode',
    add: '{"fact": "openEpisode", "operator": "equal", "value": true}',
  },
  {
    names: ['startback.result', 'startback.risk', 'startback.date', 'startback.evidence', 'stratification.evidence'],
    holds: [startBackKnown, scopicIn([1, 2, 3])],
    needs: 'a usable STarT Back result',
    add: '{"fact": "startbackRisk", "operator": "notEqual", "value": null}',
  },
  {
    names: ['scopic.group'],
    holds: [scopicIn([1, 2, 3])],
    needs: 'a SCOPiC group',
    add: '{"fact": "scopicGroup", "operator": "in", "value": [1, 2, 3]}',
  },
  {
    names: ['scopic.sessions'],
    holds: [scopicIn([1, 2])],
    needs: 'SCOPiC group 1 or 2 (the groups offered physiotherapy sessions)',
    add: '{"fact": "scopicGroup", "operator": "in", "value": [1, 2]}',
  },
  {
    names: ['chronicPain.'],
    holds: [(l) => l.fact === 'chronicPainCondition' && l.operator === 'equal' && l.value === true],
    needs: 'an active chronic pain condition',
    add: '{"fact": "chronicPainCondition", "operator": "equal", "value": true}',
  },
  // The finding groups of rules/findings.json (their placeholders: src/cards/finding-views.ts).
  {
    names: ['redFlags.found', 'redFlags.urgency'],
    holds: [positive('redFlagCount')],
    needs: 'at least one red flag',
    add: '{"fact": "redFlagCount", "operator": "greaterThan", "value": 0}',
  },
  {
    names: ['caudaEquina.signs', 'caudaEquina.references', 'caudaEquina.list'],
    holds: [positive('caudaEquinaSignCount')],
    needs: 'at least one cauda equina sign',
    add: '{"fact": "caudaEquinaSignCount", "operator": "greaterThan", "value": 0}',
  },
  {
    names: ['priorImaging.'],
    holds: [known('priorLumbarImagingDaysAgo')],
    needs: 'prior lumbar imaging',
    add: '{"fact": "priorLumbarImagingDaysAgo", "operator": "lessThanInclusive", "value": 365}',
  },
];

/** Does every way the conditions can be true pass through a leaf the guard accepts? */
function guarantees(node: unknown, holds: (l: Leaf) => boolean): boolean {
  if (node === null || typeof node !== 'object') return false;
  const n = node as { all?: unknown[]; any?: unknown[]; fact?: unknown };
  if (Array.isArray(n.all)) return n.all.some((c) => guarantees(c, holds));
  if (Array.isArray(n.any)) return n.any.length > 0 && n.any.every((c) => guarantees(c, holds));
  if (typeof n.fact === 'string') return holds(node as Leaf);
  return false; // "not" guarantees nothing about a value being there
}

function guardFor(name: string): Guard | undefined {
  return GUARDS.find((g) => g.names.some((n) => (n.endsWith('.') ? name.startsWith(n) : name === n)));
}

/** One message per placeholder the rule cannot always fill. */
export function unguardedPlaceholders(rule: RuleDefinition, placeholders: readonly string[]): string[] {
  const unguarded = new Map<Guard, string[]>();
  for (const name of new Set(placeholders)) {
    const guard = guardFor(name);
    if (!guard || guard.holds.some((h) => guarantees(rule.conditions, h))) continue;
    unguarded.set(guard, [...(unguarded.get(guard) ?? []), `{{${name}}}`]);
  }
  return [...unguarded].map(
    ([guard, names]) =>
      `${names.join(', ')} ${names.length > 1 ? 'have' : 'has'} a value only for a patient with ` +
      `${guard.needs}, and rule "${rule.id}" can fire without one: add the condition ${guard.add} to the ` +
      `rule's "all", or remove ${names.length > 1 ? 'them' : 'the placeholder'}`,
  );
}
