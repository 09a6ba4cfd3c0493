import type { CompiledRule, RuleSet } from '../knowledge/rule-sets.js';

/** The loader compiles rule sets (src/knowledge/rule-sets.ts); this module runs them, so its callers get their types here. */
export type { CompiledRule, RuleSet };

export type EngineFacts = Record<string, string | number | boolean | null>;

/** Enough for every combination a busy day brings; past it the map starts again rather than grow. */
const DECIDED_MAX = 10_000;

export async function firedRuleIds(ruleSet: RuleSet, facts: EngineFacts): Promise<readonly string[]> {
  const key = JSON.stringify(facts);
  const known = ruleSet.decided.get(key);
  if (known) return known;
  const { events } = await ruleSet.engine.run({ ...facts });
  // Frozen: the same array answers later requests, so no caller may change it.
  const fired = Object.freeze(events.map((e) => e.type));
  if (ruleSet.decided.size >= DECIDED_MAX) ruleSet.decided.clear();
  ruleSet.decided.set(key, fired);
  return fired;
}

export interface Candidate {
  rule: CompiledRule;
  /** The order a card is about; absent for patient-scoped rules. */
  orderReference?: string;
}

/**
 * The candidates of one run. Facts are about the patient, so one run decides for every order; an
 * order-scoped rule then gives one candidate per order in scope, a patient-scoped rule (or any rule
 * of a service that looks at the patient once, `orders` undefined) gives one.
 */
export function candidatesOf(ruleSet: RuleSet, fired: readonly string[], orders?: readonly { reference: string }[]): Candidate[] {
  const byId = new Map(ruleSet.rules.map((r) => [r.id, r]));
  return fired.flatMap((id): Candidate[] => {
    const rule = byId.get(id);
    if (!rule) return [];
    return rule.scope === 'patient' || !orders ? [{ rule }] : orders.map((order) => ({ rule, orderReference: order.reference }));
  });
}

/**
 * Precedence, so a clinician never gets two cards that say different things: a rule silences the
 * rules it `replaces` for the same order, and a patient-scoped rule silences them for every order.
 * Returns the candidates that silence `c` (the explain trace names them).
 */
export function replacersOf(candidates: readonly Candidate[], c: Candidate): Candidate[] {
  return candidates.filter(
    (d) =>
      d !== c &&
      d.rule.id !== c.rule.id &&
      (d.rule.replaces ?? []).some((r) => r === c.rule.id || (r === '*' && !(c.rule.replaces ?? []).includes('*'))) &&
      (d.rule.scope === 'patient' || d.orderReference === c.orderReference),
  );
}

export function applyPrecedence(candidates: Candidate[]): Candidate[] {
  return candidates.filter((c) => replacersOf(candidates, c).length === 0);
}

/**
 * Which cards go to the EHR and which are only logged as silent. A silent rule must not change what
 * the EHR gets, so live cards are decided among live rules alone; a silent rule's would-be card is
 * what it would give if it were switched on (precedence over every rule that fired).
 */
export function splitByMode(candidates: Candidate[]): { live: Candidate[]; silent: Candidate[] } {
  return {
    live: applyPrecedence(candidates.filter((c) => c.rule.mode === 'live')),
    silent: applyPrecedence(candidates).filter((c) => c.rule.mode === 'silent'),
  };
}
