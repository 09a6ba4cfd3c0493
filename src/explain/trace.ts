/**
 * The explain trace: for every rule of a service, fired or not, each condition with the fact's value
 * and the resources it came from; which cards precedence removed and why; what could not be known.
 * The same trace feeds the CLI (`backpain-cds explain`), the preview page and `?explain=true`.
 */
import { engineFacts } from '../facts/patient-facts.js';
import type { DraftOrder, PatientFacts, PatientRecord } from '../facts/types.js';
import { conditionLeaves, factsOf } from '../knowledge/conditions.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { RuleDefinition } from '../knowledge/schemas.js';
import type { RuleSet } from '../knowledge/rule-sets.js';
import { replacersOf, type Candidate } from '../rules/engine.js';
import { evidenceFor, type EvidenceItem } from './evidence.js';
import { medicationNearMisses } from './medication-near-misses.js';
import { moodNearMisses } from './mood-near-misses.js';
import { nearMisses, type NearMiss } from './near-misses.js';
import type { ConditionTrace, FactValue } from './condition-trace.js';

export type { ConditionTrace } from './condition-trace.js';

export interface FactTrace {
  name: string;
  /** Absent when the fact is unknown (the engine sees null, and numeric comparisons are false). */
  value?: FactValue;
  unknown?: true;
  evidence?: EvidenceItem[];
  note?: string;
  /**
   * What is in the record but does not count, and why: red flags and cauda equina signs outside their
   * window, medications short of their days of supply, mood scores too old or a little under a cut-off.
   */
  nearMisses?: NearMiss[];
}

export interface CardOutcome {
  /** The order the card is about; absent for a patient-scoped rule. */
  order?: string;
  shown: boolean;
  /** The rules whose card replaces this one (their `replaces` names this rule). */
  replacedBy?: string[];
  /** A silent rule's would-be card: logged, not returned to the EHR. */
  silent?: true;
}

export interface RuleTrace {
  id: string;
  title: string;
  scope: RuleDefinition['scope'];
  /** Present only for a rule in silent mode (evaluated and logged, never returned). */
  mode?: 'silent';
  fired: boolean;
  /** One plain sentence: fired and shown, replaced by which rule, or which conditions failed. */
  why: string;
  conditions: ConditionTrace;
  outcomes?: CardOutcome[];
}

export interface ExplainTrace {
  service: string;
  hook: string;
  rulesVersion: string;
  rulesFile?: string;
  requestTime: string;
  evaluated: boolean;
  /** Why no rule ran, when evaluated is false. */
  reason?: string;
  orders?: { reference: string; display: string }[];
  facts?: FactTrace[];
  rules?: RuleTrace[];
  /** PatientFacts.unknowns: inputs that could not be decided from the record. */
  unknowns?: string[];
  /** Rule ids of the cards returned, in response order. */
  cards?: string[];
}

interface EngineCondition {
  all?: EngineCondition[];
  any?: EngineCondition[];
  not?: EngineCondition;
  fact?: string;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  result?: boolean;
}

const OPERATOR_TEXT: Record<string, string> = {
  equal: '=',
  notEqual: '≠',
  lessThan: '<',
  lessThanInclusive: '≤',
  greaterThan: '>',
  greaterThanInclusive: '≥',
  in: 'in',
  notIn: 'not in',
  contains: 'contains',
  doesNotContain: 'does not contain',
};

export function operatorText(operator: string): string {
  return OPERATOR_TEXT[operator] ?? operator;
}

/** The engine marks each leaf with its fact value and result; boolean nodes are recomputed from their children. */
function toTrace(node: EngineCondition): ConditionTrace {
  if (node.all) {
    const all = node.all.map(toTrace);
    return { all, result: all.every((c) => c.result) };
  }
  if (node.any) {
    const any = node.any.map(toTrace);
    return { any, result: any.some((c) => c.result) };
  }
  if (node.not) {
    const not = toTrace(node.not);
    return { not, result: !not.result };
  }
  const value = node.factResult;
  const known = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  return {
    fact: node.fact ?? '?',
    operator: node.operator ?? '?',
    value: node.value,
    ...(known ? { factValue: value } : { factUnknown: true as const }),
    result: node.result === true,
  };
}

function leaves(c: ConditionTrace): Extract<ConditionTrace, { fact: string }>[] {
  return conditionLeaves<Extract<ConditionTrace, { fact: string }>>(c).map(({ leaf }) => leaf);
}

export function describeLeaf(c: Extract<ConditionTrace, { fact: string }>): string {
  const actual = c.factUnknown ? 'unknown' : JSON.stringify(c.factValue);
  const wanted = c.value === null ? 'null (unknown)' : JSON.stringify(c.value);
  return `${c.fact} is ${actual}, rule needs ${operatorText(c.operator)} ${wanted}`;
}

function why(fired: boolean, conditions: ConditionTrace, outcomes: CardOutcome[] | undefined): string {
  if (!fired) {
    const failed = leaves(conditions).filter((l) => !l.result);
    const shown = failed.length ? failed : leaves(conditions);
    return `Did not fire: ${shown.map(describeLeaf).join('; ')}.`;
  }
  const parts = (outcomes ?? []).map((o) => {
    const about = o.order ? ` for ${o.order}` : '';
    if (o.silent) return `silent mode, card logged${about} but not returned to the EHR`;
    return o.shown ? `card shown${about}` : `card replaced${about} by ${(o.replacedBy ?? []).join(', ')} (its "replaces" names this rule)`;
  });
  return `Fired: ${parts.join('; ')}.`;
}

export interface TraceInput {
  knowledge: KnowledgeBase;
  ruleSet: RuleSet;
  service: { id: string; hook: string };
  now: Date;
  facts: PatientFacts;
  record: PatientRecord;
  orders?: DraftOrder[];
  candidates: Candidate[];
  /** Rule ids of the cards returned. */
  cards: string[];
}

/** The facts a rule set's conditions (and its cards' offerWhen conditions) read: the only ones worth showing. */
export function factsUsed(ruleSet: RuleSet, knowledge: Pick<KnowledgeBase, 'cards'>): Set<string> {
  const used = new Set<string>();
  for (const rule of ruleSet.rules) {
    for (const tree of [rule.conditions, ...(knowledge.cards.get(rule.id)?.suggestions ?? []).map((s) => s.offerWhen)]) {
      for (const fact of factsOf(tree)) used.add(fact);
    }
  }
  return used;
}

/** Runs the service's rules once more, keeping every condition's result, and puts the story together. */
export async function explainEvaluation(input: TraceInput): Promise<ExplainTrace> {
  const values = engineFacts(input.facts);
  const { results, failureResults } = await input.ruleSet.engine.run({ ...values });
  const byRule = new Map<string, EngineCondition>();
  for (const r of [...results, ...failureResults]) byRule.set(String(r.name), JSON.parse(JSON.stringify(r.conditions)) as EngineCondition);

  const used = factsUsed(input.ruleSet, input.knowledge);
  const lookup = input.knowledge.valueSet.bind(input.knowledge);
  const unfired = failureResults.flatMap((r) => {
    const conditions = byRule.get(String(r.name));
    return conditions ? [{ id: String(r.name), conditions: toTrace(conditions) }] : [];
  });
  const missed: Record<string, NearMiss[]> = {
    redFlagCount: [
      ...nearMisses(input.knowledge.findings.redFlags, input.facts.redFlags, input.record, input.now, lookup),
      ...medicationNearMisses(input.knowledge.findings.redFlags, input.facts.redFlags, input.record, input.now, lookup),
    ],
    caudaEquinaSignCount: nearMisses([input.knowledge.findings.caudaEquina], input.facts.caudaEquinaSigns, input.record, input.now, lookup),
    ...moodNearMisses(unfired, input.facts),
  };
  const facts: FactTrace[] = Object.entries(values)
    .filter(([name]) => used.has(name))
    .map(([name, value]) => {
      const { evidence, note } = evidenceFor(name, input.facts, input.record);
      const near = missed[name] ?? [];
      const nearNote = near.length
        ? `Near miss: ${near.map((m) => `${m.label}, ${m.display} (${m.reference}${m.date ? `, ${m.date}` : ''}): ${m.why}`).join('; ')}.`
        : '';
      // "None found" would hide the near miss: say that nothing counts, then why.
      const fullNote = [nearNote, near.length ? note?.replace(/^None found/, 'None counts') : note].filter(Boolean).join(' ');
      return {
        name,
        ...(value === null ? { unknown: true as const } : { value }),
        ...(evidence.length ? { evidence } : {}),
        ...(fullNote ? { note: fullNote } : {}),
        ...(near.length ? { nearMisses: near } : {}),
      };
    });

  const rules: RuleTrace[] = input.ruleSet.rules.map((rule) => {
    const engineConditions = byRule.get(rule.id);
    const conditions = engineConditions ? toTrace(engineConditions) : toTrace(rule.conditions);
    const mine = input.candidates.filter((c) => c.rule.id === rule.id);
    const fired = mine.length > 0;
    const silent = rule.mode === 'silent';
    // Silent rules never silence a live card; a silent rule's card is judged against every rule, as if live.
    const rivals = silent ? input.candidates : input.candidates.filter((c) => c.rule.mode !== 'silent');
    const outcomes = fired
      ? mine.map((c): CardOutcome => {
          const replacers = [...new Set(replacersOf(rivals, c).map((d) => d.rule.id))];
          const logged = silent && replacers.length === 0;
          return {
            ...(c.orderReference ? { order: c.orderReference } : {}),
            shown: replacers.length === 0 && !silent,
            ...(replacers.length ? { replacedBy: replacers } : {}),
            ...(logged ? { silent: true as const } : {}),
          };
        })
      : undefined;
    return {
      id: rule.id,
      title: rule.title,
      scope: rule.scope,
      ...(silent ? { mode: 'silent' as const } : {}),
      fired,
      why: why(fired, conditions, outcomes),
      conditions,
      ...(outcomes ? { outcomes } : {}),
    };
  });

  return {
    ...traceHead(input.knowledge, input.service, input.now, input.ruleSet.file),
    evaluated: true,
    ...(input.orders ? { orders: input.orders.map((o) => ({ reference: o.reference, display: o.display })) } : {}),
    facts,
    rules,
    ...(input.facts.unknowns.length ? { unknowns: [...input.facts.unknowns] } : {}),
    cards: input.cards,
  };
}

function traceHead(knowledge: KnowledgeBase, service: { id: string; hook: string }, now: Date, file: string | undefined) {
  return {
    service: service.id,
    hook: service.hook,
    rulesVersion: knowledge.version,
    ...(file ? { rulesFile: file } : {}),
    requestTime: now.toISOString(),
  };
}

/** A trace for a request the rules never saw (no order in scope, no patient), saying why. */
export function notEvaluated(knowledge: KnowledgeBase, service: { id: string; hook: string }, now: Date, reason: string): ExplainTrace {
  return { ...traceHead(knowledge, service, now, knowledge.ruleSetFor(service.id)?.file), evaluated: false, reason, cards: [] };
}
