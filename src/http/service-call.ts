/** POST /cds-services/{id}: validate, gather the patient context, evaluate, answer. */
import type { NextFunction, Request, Response } from 'express';
import type { AllowlistVerdict } from '../context/fhir-server-allowlist.js';
import type { FetchPolicy } from '../context/fhir-fetch.js';
import { resolvePatientContext } from '../context/patient-context.js';
import { lumbarImagingOrders } from '../facts/imaging.js';
import { parseHookRequest } from '../hooks/request.js';
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
  /** Whether the request's fhirServer may be called (the allowlist), and by which normalised base. */
  checkFhirServer(url: string): AllowlistVerdict;
  fetchPolicy?: FetchPolicy;
}

/** Why 400 and not 412: the request names a server this service will never call, whatever it needs. */
const fhirServerRefused = (): HttpError =>
  new HttpError(400, [{ code: 'security', diagnostics: 'fhirServer is not a FHIR server this service is configured to call', expression: 'fhirServer' }]);

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
    // Checked before anything else, so a refused server is never contacted, whatever the request needs.
    if (request.fhirServer !== undefined) {
      const verdict = deps.checkFhirServer(request.fhirServer);
      if (!verdict.ok) return next(fhirServerRefused());
      request.fhirServer = verdict.base;
    }
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
    const context = await resolvePatientContext(service, request, () => AbortSignal.timeout(Math.max(1, deps.deadlineMs - (Date.now() - started))), deps.fetchPolicy);
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
  };
}
