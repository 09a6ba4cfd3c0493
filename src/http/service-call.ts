/** POST /cds-services/{id}: validate, gather the patient context, evaluate, answer. */
import type { NextFunction, Request, Response } from 'express';
import { EXPLAIN_EXTENSION } from '../explain/extension.js';
import { answerHook } from '../hooks/answer.js';
import { parseHookRequest } from '../hooks/request.js';
import type { ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { HttpError } from './operation-outcome.js';
import { stripEmpty } from './spec-json.js';

export interface ServiceCallDeps {
  findService(id: string): ServiceDefinition | undefined;
  knowledge(): KnowledgeBase;
  deadlineMs: number;
  now(): Date;
  /** Configuration allows `?explain=true` to attach the decision trace (off in production). */
  explainAllowed?: boolean;
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
    const answer = await answerHook(service, parsed.request, {
      knowledge: deps.knowledge(),
      now: deps.now(),
      // One deadline for the whole request, counted from its arrival, shared by every fetch.
      deadline: () => AbortSignal.timeout(Math.max(1, deps.deadlineMs - (Date.now() - started))),
      explain: deps.explainAllowed === true && req.query.explain === 'true',
    });
    log.rules = answer.firedRules;
    res.json({ cards: stripEmpty(answer.cards), ...(answer.trace ? { extension: { [EXPLAIN_EXTENSION]: answer.trace } } : {}) });
  };
}
