import { Engine } from 'json-rules-engine';
import { resolveParams } from '../knowledge/params.js';
import type { CardTemplate, ConditionNode, RuleDefinition, RuleFile, RuleMode } from '../knowledge/schemas.js';
import { detailGuardId, suggestionGuardId } from './guards.js';

export type EngineFacts = Record<string, string | number | boolean | null>;

/** A rule with its mode settled: its own, else its file's, else live. */
export type CompiledRule = RuleDefinition & { mode: RuleMode };

export interface RuleSet {
  file: string;
  services: string[];
  rules: CompiledRule[];
  engine: Engine;
  /**
   * Rule results by facts: the facts are a handful of plain values, so most requests repeat an earlier
   * decision. Kept because it pays: without it a full-prefetch hook call cost 25 to 32% more CPU
   * (in-process A/B, every service, 2026-12-03; issue 16 keeps hot-path code only at 5% or more).
   */
  decided: Map<string, readonly string[]>;
}

/** Enough for every combination a busy day brings; past it the map starts again rather than grow. */
const DECIDED_MAX = 10_000;

export { detailGuardId, suggestionGuardId } from './guards.js';

/**
 * One json-rules-engine Engine per rule file, built at load: a run gets its own almanac, so requests
 * can share it. The offerWhen conditions of the rules' card suggestions, and the when conditions of
 * their detail blocks, run in the same engine, so one run decides which cards fire, which of their
 * suggestions are offered and which of their paragraphs show.
 */
export function compileRuleSet(file: string, content: RuleFile, cards: ReadonlyMap<string, CardTemplate> = new Map()): RuleSet {
  const engine = new Engine([], { allowUndefinedFacts: false, replaceFactsInEventParams: false });
  const addGuard = (id: string, when: ConditionNode, rule: RuleDefinition): void => {
    // Card conditions may read the rule's params too; json-rules-engine wants an all/any/not at the top.
    const resolved = resolveParams(when, rule.params);
    engine.addRule({ name: id, conditions: 'fact' in resolved ? { all: [resolved] } : resolved, event: { type: id } });
  };
  for (const rule of content.rules) {
    engine.addRule({ name: rule.id, conditions: resolveParams(rule.conditions, rule.params) as never, event: { type: rule.id } });
    const card = cards.get(rule.id);
    card?.suggestions?.forEach((s, i) => {
      if (s.offerWhen) addGuard(suggestionGuardId(rule.id, i), s.offerWhen, rule);
    });
    card?.detail.forEach((line, i) => {
      if (typeof line === 'object' && 'when' in line) addGuard(detailGuardId(rule.id, i), line.when, rule);
    });
  }
  const rules = content.rules.map((r): CompiledRule => ({ ...r, mode: r.mode ?? content.mode ?? 'live' }));
  return { file, services: content.services, rules, engine, decided: new Map() };
}

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
