/**
 * The request pipeline: one validated hook request in, its cards out. Read top to bottom:
 * the orders in scope, the patient context (prefetch, else fhirServer), the facts, the rules and
 * precedence, the cards, and (only when asked) the explain trace. HTTP, the CLI and the preview
 * page all call `answer`, so they cannot give different answers. A request that cannot be answered
 * throws a PipelineFailure (./errors.ts); what that means in HTTP is decided in src/http alone.
 */
import type { Card } from '../cards/types.js';
import type { ReadPatientContext } from '../context/patient-context.js';
import { explainEvaluation, notEvaluated, type ExplainTrace } from '../explain/trace.js';
import { lumbarImagingOrders } from '../facts/draft-orders.js';
import type { DraftOrder } from '../facts/types.js';
import type { HookRequest } from '../hooks/request.js';
import type { ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { evaluate } from './evaluate.js';

/** What the pipeline is given once, at start-up. */
export interface PipelineDeps {
  /** Reads a request's patient context, under the process-wide FHIR fetch policy it was built with. */
  readContext: ReadPatientContext;
}

/** One hook request to answer, with what holds for it alone. */
export interface HookCall {
  service: ServiceDefinition;
  request: HookRequest;
  /** One knowledge base for the whole request, even if a reload swaps the live one meanwhile. */
  knowledge: KnowledgeBase;
  now: Date;
  /** The signal every FHIR read of this request shares. */
  deadline: () => AbortSignal;
  explain?: boolean;
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

export async function answer(call: HookCall, deps: PipelineDeps): Promise<HookAnswer> {
  const { service, request, knowledge, now } = call;
  const skip = (reason: string): HookAnswer => ({
    cards: [],
    firedRules: [],
    ...(call.explain ? { trace: notEvaluated(knowledge, service, now, reason) } : {}),
  });

  const orders = ordersInScope(call);
  // Nothing in scope, nothing to say: no need to read the record at all.
  if (orders?.length === 0) {
    return skip(
      `No lumbar imaging order (value set lumbar-imaging) is ` +
        `${service.hook === 'order-select' ? 'selected' : 'among the draft orders'}, so the record was not ` +
        `read and no rule ran.`,
    );
  }

  const context = await deps.readContext(service, request, call.deadline);
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
  const hookAnswer: HookAnswer = {
    cards: result.cards,
    firedRules: result.firedRules,
    ...(result.silentCards.length ? { silentCards: result.silentCards } : {}),
    ...(context.record.otherPatientResources ? { otherPatientResources: context.record.otherPatientResources } : {}),
  };
  const ruleSet = call.explain ? knowledge.ruleSetFor(service.id) : undefined;
  if (ruleSet) {
    hookAnswer.trace = await explainEvaluation({
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
  return hookAnswer;
}

/** The lumbar imaging orders an imaging service gives advice on; undefined for a service that looks at the patient once. */
function ordersInScope({ service, request, knowledge }: HookCall): DraftOrder[] | undefined {
  if (service.evaluates !== 'lumbar-imaging-orders') return undefined;
  const selections = request.hook === 'order-select' ? request.context.selections : undefined;
  const draftOrders = request.hook === 'patient-view' ? undefined : request.context.draftOrders;
  return lumbarImagingOrders(
    draftOrders ?? { resourceType: 'Bundle', type: 'collection' },
    selections,
    knowledge.valueSet('lumbar-imaging'),
  );
}
