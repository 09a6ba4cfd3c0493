/**
 * A rule file compiled at load: its rules with their modes settled and one json-rules-engine Engine
 * that decides them. src/rules runs it (firedRuleIds, precedence, silent mode); the loader builds it,
 * so it lives with the knowledge it is compiled from.
 */
import { Engine } from 'json-rules-engine';
import { detailGuardId, suggestionGuardId } from './guards.js';
import { resolveParams } from './params.js';
import type { CardTemplate, ConditionNode, RuleDefinition, RuleFile, RuleMode } from './schemas.js';

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
