/**
 * Answers one validated hook request: the orders in scope, the patient context, the rules and the
 * cards, and (only when asked) the explain trace. HTTP, the CLI and the preview page all call this,
 * so they cannot give different answers.
 */
import type { FetchPolicy } from '../context/fhir-fetch.js';
import { resolvePatientContext } from '../context/patient-context.js';
import type { Card } from '../cards/types.js';
import { explainEvaluation, notEvaluated, type ExplainTrace } from '../explain/trace.js';
import { lumbarImagingOrders } from '../facts/imaging.js';
import type { DraftOrder } from '../facts/types.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { evaluate } from '../rules/evaluate.js';
import type { HookRequest } from './request.js';
import type { ServiceDefinition } from './services.js';

export interface AnswerOptions {
  /** One knowledge base for the whole request, even if a reload swaps the live one meanwhile. */
  knowledge: KnowledgeBase;
  now: Date;
  /** The signal every FHIR read of this request shares. */
  deadline: () => AbortSignal;
  explain?: boolean;
  /** Process-wide limits and metrics for FHIR reads. */
  fetchPolicy?: FetchPolicy;
}

export interface HookAnswer {
  cards: Card[];
  firedRules: string[];
  /** Would-be cards of silent rules: for the card log only, never sent to the EHR. */
  silentCards?: Card[];
  /** Resources left out because they named another patient (a count only: the log never holds patient ids). */
  otherPatientResources?: number;
  trace?: ExplainTrace;
}

export async function answerHook(service: ServiceDefinition, request: HookRequest, options: AnswerOptions): Promise<HookAnswer> {
  const { knowledge, now } = options;
  const skip = (reason: string): HookAnswer => ({ cards: [], firedRules: [], ...(options.explain ? { trace: notEvaluated(knowledge, service, now, reason) } : {}) });

  let orders: DraftOrder[] | undefined;
  if (service.evaluates === 'lumbar-imaging-orders') {
    const selections = request.hook === 'order-select' ? request.context.selections : undefined;
    const draftOrders = request.hook === 'patient-view' ? undefined : request.context.draftOrders;
    orders = lumbarImagingOrders(draftOrders ?? { resourceType: 'Bundle', type: 'collection' }, selections, knowledge.valueSet('lumbar-imaging'));
    // Nothing in scope, nothing to say: no need to read the record at all.
    if (orders.length === 0) {
      return skip(`No lumbar imaging order (value set lumbar-imaging) is ${service.hook === 'order-select' ? 'selected' : 'among the draft orders'}, so the record was not read and no rule ran.`);
    }
  }

  const context = await resolvePatientContext(service, request, options.deadline, options.fetchPolicy);
  if (context.kind === 'no-patient') {
    return skip(`Patient/${request.context.patientId} was not found (a 404 or a null Patient prefetch), so no rule ran.`);
  }
  const result = await evaluate(knowledge, {
    serviceId: service.id,
    record: context.record,
    ...(orders ? { orders } : {}),
    userReference: request.context.userId,
    now,
  });
  const answer: HookAnswer = {
    cards: result.cards,
    firedRules: result.firedRules,
    ...(result.silentCards.length ? { silentCards: result.silentCards } : {}),
    ...(context.record.otherPatientResources ? { otherPatientResources: context.record.otherPatientResources } : {}),
  };
  if (options.explain) {
    const ruleSet = knowledge.ruleSetFor(service.id);
    if (ruleSet) {
      answer.trace = await explainEvaluation({
        knowledge,
        ruleSet,
        service,
        now,
        facts: result.facts,
        record: context.record,
        ...(orders ? { orders } : {}),
        candidates: result.candidates,
        cards: result.firedRules,
      });
    }
  }
  return answer;
}
