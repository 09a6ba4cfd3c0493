/** POST /cds-services/{id}: validate the request, hand it to the pipeline (src/pipeline), send its cards. */
import type { NextFunction, Request, Response } from 'express';
import type { AllowlistVerdict } from '../context/fhir-server-allowlist.js';
import { EXPLAIN_EXTENSION } from '../explain/extension.js';
import { parseHookRequest } from '../hooks/request.js';
import type { Card } from '../cards/types.js';
import type { ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { metrics } from '../metrics.js';
import { answer, type PipelineDeps } from '../pipeline/answer.js';
import { HttpError } from './operation-outcome.js';

export interface ServiceCallDeps {
  findService: (id: string) => ServiceDefinition | undefined;
  knowledge: () => KnowledgeBase;
  deadlineMs: number;
  now: () => Date;
  /** Configuration allows `?explain=true` to attach the decision trace (off in production). */
  explainAllowed?: boolean;
  /** Whether the request's fhirServer may be called (the allowlist), and by which normalised base. */
  checkFhirServer: (url: string) => AllowlistVerdict;
  /** Built once at start-up: the patient context reader with the process-wide FHIR fetch policy. */
  pipeline: PipelineDeps;
  /** Told of every card response once it is sent (the card log); must return at once and never throw. */
  onCards?: (serviceId: string, hookInstance: string, cards: readonly Card[], rulesVersion: string, silentCards?: readonly Card[]) => void;
  /** Whether onCards can record this many cards now; when it cannot, the answer is a 503, never unrecorded cards. */
  cardLogAccepts?: (cards: number) => boolean;
}

/** Why 400 and not 412: the request names a server this service will never call, whatever it needs. */
const fhirServerRefused = (): HttpError =>
  new HttpError(400, [
    { code: 'security', diagnostics: 'fhirServer is not a FHIR server this service is configured to call', expression: 'fhirServer' },
  ]);

/** What the request log records about a call: ids only, never patient data. */
export interface CallLog {
  service?: string;
  rules?: string[];
  /** How many resources named another patient and were left out. */
  otherPatientResources?: number;
}

export function serviceCallHandler(deps: ServiceCallDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const started = Date.now();
    const id = String(req.params.id);
    const service = deps.findService(id);
    const log = res.locals as CallLog;
    if (!service)
      return next(new HttpError(404, [{ code: 'not-found', diagnostics: `no CDS service "${id}"; GET /cds-services lists them` }]));
    log.service = service.id;
    if (!req.is(['application/json', 'application/*+json'])) {
      return next(new HttpError(415, [{ code: 'not-supported', diagnostics: 'send the hook request as Content-Type: application/json' }]));
    }
    const parsed = parseHookRequest(service.hook, req.body, Object.keys(service.prefetch));
    if (!parsed.ok) {
      return next(
        new HttpError(
          400,
          parsed.issues.map((i) => ({
            code: 'invalid' as const,
            diagnostics: `${i.path || 'body'}: ${i.message}`,
            ...(i.path ? { expression: i.path } : {}),
          })),
        ),
      );
    }
    const request = parsed.request;
    // Checked before anything else, so a refused server is never contacted, whatever the request needs.
    if (request.fhirServer !== undefined) {
      const verdict = deps.checkFhirServer(request.fhirServer);
      if (!verdict.ok) return next(fhirServerRefused());
      request.fhirServer = verdict.base;
    }
    const knowledge = deps.knowledge();
    // A PipelineFailure thrown here reaches errorHandler (./errors.ts), which gives it its status.
    const result = await answer(
      {
        service,
        request,
        knowledge,
        now: deps.now(),
        // One deadline for the whole request, counted from its arrival, shared by every fetch.
        deadline: () => AbortSignal.timeout(Math.max(1, deps.deadlineMs - (Date.now() - started))),
        explain: deps.explainAllowed === true && req.query.explain === 'true',
      },
      deps.pipeline,
    );
    // Asked in the same tick as onCards below, so nothing can fill the queue in between. The silent
    // cards are counted too: the log takes an answer's live and silent cards together or not at all.
    if (result.cards.length && deps.cardLogAccepts && !deps.cardLogAccepts(result.cards.length + (result.silentCards?.length ?? 0))) {
      metrics.rejected.inc({ reason: 'card-log-full' });
      return next(
        new HttpError(503, [{ code: 'transient', diagnostics: 'the card log cannot record an answer now; retry shortly' }], {
          'Retry-After': '5',
        }),
      );
    }
    log.rules = result.firedRules;
    if (result.otherPatientResources) log.otherPatientResources = result.otherPatientResources;
    // Written directly: express's res.json adds nothing a POST answer needs and costs a fifth of a bare request.
    const body = JSON.stringify({ cards: result.cards, ...(result.trace ? { extension: { [EXPLAIN_EXTENSION]: result.trace } } : {}) });
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
    if (result.cards.length || result.silentCards?.length)
      deps.onCards?.(service.id, request.hookInstance, result.cards, knowledge.version, result.silentCards);
  };
}
