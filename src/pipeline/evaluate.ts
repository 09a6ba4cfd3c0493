/**
 * The pipeline's middle, from a patient record to cards: build the facts, run the service's rule
 * file once (rules/engine.ts), give order-scoped rules one candidate per order in scope, apply
 * precedence, and fill each surviving rule's card template (cards/render.ts).
 */
import { renderCard } from '../cards/render.js';
import type { Card } from '../cards/types.js';
import { buildPatientFacts, engineFacts } from '../facts/patient-facts.js';
import type { DraftOrder, PatientFacts, PatientRecord } from '../facts/types.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { candidatesOf, firedRuleIds, splitByMode, type Candidate } from '../rules/engine.js';

export interface Evaluation {
  cards: Card[];
  firedRules: string[];
  /** Would-be cards of rules in silent mode: logged, never returned to the EHR. */
  silentCards: Card[];
  silentRules: string[];
  facts: PatientFacts;
  /** Every rule that fired, per order, before precedence: what the explain trace starts from. */
  candidates: Candidate[];
}

export interface EvaluationInput {
  serviceId: string;
  record: PatientRecord;
  /** The orders in scope, or undefined for services that look at the patient once. */
  orders?: DraftOrder[];
  userReference: string;
  now: Date;
}

export async function evaluate(knowledge: KnowledgeBase, input: EvaluationInput): Promise<Evaluation> {
  const ruleSet = knowledge.ruleSetFor(input.serviceId);
  if (!ruleSet) throw new Error(`no rules are loaded for service ${input.serviceId}`);
  const facts = buildPatientFacts(input.record, input.now, knowledge);
  const fired = await firedRuleIds(ruleSet, engineFacts(facts));
  const offeredGuards = new Set(fired.filter((id) => id.includes('#')));
  const candidates = candidatesOf(ruleSet, fired, input.orders);

  const orders = new Map((input.orders ?? []).map((o) => [o.reference, o]));
  const { live, silent } = splitByMode(candidates);
  const render = (c: Candidate): Card => {
    const template = knowledge.cards.get(c.rule.id);
    if (!template) throw new Error(`no card template for rule ${c.rule.id}`);
    const order = c.orderReference ? orders.get(c.orderReference) : undefined;
    return renderCard(
      c.rule,
      template,
      {
        facts,
        userReference: input.userReference,
        instruments: knowledge.instruments,
        findings: knowledge.findings,
        ...(order ? { order } : {}),
        // A patient-scoped card on an imaging service acts on every order in scope (cauda equina: remove them all).
        ...(c.rule.scope === 'patient' && input.orders?.length ? { orders: input.orders } : {}),
      },
      (id) => offeredGuards.has(id),
    );
  };
  return {
    cards: live.map(render),
    firedRules: live.map((c) => c.rule.id),
    silentCards: silent.map(render),
    silentRules: silent.map((c) => c.rule.id),
    facts,
    candidates,
  };
}
