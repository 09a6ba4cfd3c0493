/** POST /cds-services/{id}: validate, gather the patient context, evaluate, answer. */
import type { NextFunction, Request, Response } from 'express';
import { resolvePatientContext } from '../context/patient-context.js';
import { lumbarImagingOrders } from '../facts/imaging.js';
import { parseHookRequest } from '../hooks/request.js';
import type { Card } from '../cards/types.js';
import type { ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { evaluate } from '../rules/evaluate.js';
import { HttpError } from './operation-outcome.js';
import { stripEmpty } from './spec-json.js';

export interface ServiceCallDeps {
  findService(id: string): ServiceDefinition | undefined;
  knowledge(): KnowledgeBase;
  deadlineMs: number;
  now(): Date;
  /** Told of every card response once it is sent (the card log); must return at once and never throw. */
  onCards?(serviceId: string, hookInstance: string, cards: readonly Card[], rulesVersion: string): void;
}

/** What the request log records about a call: ids only, never patient data. */
export interface CallLog {
  service?: string;
  rules?: string[];
}

export function serviceCallHandler(deps: ServiceCallDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const started = Date.now();
    const id = String(req.params.id);
    const service = deps.findService(id);
    const log = res.locals as CallLog;
    if (!service) return next(new HttpError(404, [{ code: 'not-found', diagnostics: `no CDS service "${id}"; GET /cds-services lists them` }]));
    log.service = service.id;
    if (!req.is(['application/json', 'application/*+json'])) {
      return next(new HttpError(415, [{ code: 'not-supported', diagnostics: 'send the hook request as Content-Type: application/json' }]));
    }
    const parsed = parseHookRequest(service.hook, req.body);
    if (!parsed.ok) {
      return next(new HttpError(400, parsed.issues.map((i) => ({ code: 'invalid' as const, diagnostics: `${i.path || 'body'}: ${i.message}`, ...(i.path ? { expression: i.path } : {}) }))));
    }
    const request = parsed.request;
    const knowledge = deps.knowledge();
    const now = deps.now();

    let orders;
    if (service.evaluates === 'lumbar-imaging-orders') {
      const selections = service.hook === 'order-select' ? request.context.selections : undefined;
      orders = lumbarImagingOrders(request.context.draftOrders ?? { resourceType: 'Bundle', type: 'collection' }, selections, knowledge.valueSet('lumbar-imaging'));
      // Nothing in scope, nothing to say: no need to read the record at all.
      if (orders.length === 0) {
        log.rules = [];
        res.json({ cards: [] });
        return;
      }
    }

    // One deadline for the whole request, counted from its arrival, shared by every fetch.
    const context = await resolvePatientContext(service, request, () => AbortSignal.timeout(Math.max(1, deps.deadlineMs - (Date.now() - started))));
    if (context.kind === 'no-patient') {
      log.rules = [];
      res.json({ cards: [] });
      return;
    }
    const result = await evaluate(knowledge, {
      serviceId: service.id,
      record: context.record,
      ...(orders ? { orders } : {}),
      userReference: request.context.userId,
      now,
    });
    log.rules = result.firedRules;
    res.json({ cards: stripEmpty(result.cards) });
    if (result.cards.length) deps.onCards?.(service.id, request.hookInstance, result.cards, knowledge.version);
  };
}
