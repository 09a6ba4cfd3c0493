import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { corsOrigins, trustProxy, type Config } from '../config.js';
import { patientContextReader } from '../context/patient-context.js';
import { SERVICES, type ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { KnowledgeStatus } from '../knowledge/watch.js';
import type { Logger } from '../log.js';
import { artifactsRouter } from './artifacts.js';
import { previewRouter } from '../preview/router.js';
import type { AuthLocals } from './auth/middleware.js';
import type { ReplayStore } from './auth/replay-store.js';
import { discoveryHandler } from './discovery.js';
import { errorHandler, notFound } from './errors.js';
import type { ReadinessCheck } from './health.js';
import type { LagSampler } from './limits.js';
import { mountMetrics, protect, type Protection } from './protect.js';
import { routeName } from './route-name.js';
import { securityHeaders } from './security-headers.js';
import { setRequestId } from './request-id.js';
import { serviceCallHandler, type CallLog, type ServiceCallDeps } from './service-call.js';
import { statusHandler } from './status.js';

export interface AppDeps {
  config: Config;
  knowledge: () => KnowledgeBase;
  /** Hot reload state for GET /status, when the knowledge folders are watched. */
  knowledgeStatus?: () => KnowledgeStatus;
  logger: Logger;
  /** The request time; tests inject a fixed one. */
  now?: () => Date;
  /** Where used JWT ids are kept; one process's memory unless a shared store is given. */
  replayStore?: ReplayStore;
  /** Event-loop lag per window for load shedding; tests inject one (default: perf_hooks.monitorEventLoopDelay). */
  lagSampler?: LagSampler;
  /** Extra /readyz checks, e.g. that a database answers. */
  readinessChecks?: readonly ReadinessCheck[];
  /** The card log (src/feedback): told of every card response after it is sent. */
  onCards?: ServiceCallDeps['onCards'];
  /** The card log's room (src/feedback): no room, no answer (503). */
  cardLogAccepts?: ServiceCallDeps['cardLogAccepts'];
  /** More routes, after the CDS Hooks ones: the feedback endpoint (src/feedback). */
  routes?: express.Router;
  /** Operational routes besides /metrics and /status: the analytics pages (src/feedback). */
  adminRoutes?: express.Router;
}

/**
 * The operational endpoints: /metrics, /status and the analytics pages. They tell an attacker why
 * tokens fail and what the service does, so with ADMIN_PORT set (production) they are served only
 * by the admin app (createAdminApp), on its own listener, loopback by default.
 */
function mountOperational(app: express.Express, deps: AppDeps): void {
  mountMetrics(app);
  app.get('/status', statusHandler(deps.knowledge, deps.knowledgeStatus));
  if (deps.adminRoutes) app.use(deps.adminRoutes);
}

/** The admin listener's app (ADMIN_PORT): the operational endpoints and nothing else. */
export function createAdminApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(securityHeaders);
  mountOperational(app, deps);
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}

const protections = new WeakMap<express.Express, Protection>();

/** The app's shutdown and limit controls (graceful shutdown uses them). */
export function protectionOf(app: express.Express): Protection {
  const p = protections.get(app);
  if (!p) throw new Error('not an app made by createApp');
  return p;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9\-_.]{1,64}$/;

function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const incoming = req.get('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    setRequestId(res, requestId);
    res.set('X-Request-Id', requestId);
    // The line is only built when it will be written (LOG_LEVEL may be warn or silent).
    if (!logger.isInfoEnabled()) return next();
    res.once('finish', () => {
      const { service, rules, otherPatientResources } = res.locals as CallLog;
      logger.info('request', {
        requestId,
        method: req.method,
        route: routeName(req),
        ...(service ? { service } : {}),
        status: res.statusCode,
        ...((res.locals as AuthLocals).caller ? { iss: (res.locals as AuthLocals).caller?.iss } : {}),
        ...(rules ? { rules } : {}),
        ...(otherPatientResources ? { otherPatientResources } : {}),
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
      });
    });
    next();
  };
}

export function createApp(deps: AppDeps): express.Express {
  const now = deps.now ?? (() => new Date());
  const offered = (): ServiceDefinition[] => SERVICES.filter((s) => deps.knowledge().ruleSetFor(s.id));
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', trustProxy(deps.config));
  app.use(requestLog(deps.logger));
  const protection = protect(app, { ...deps, offered });
  protections.set(app, protection);
  // Browser EHRs and the public sandbox need CORS; a preflight carries no credentials and needs none.
  app.use(
    cors({
      origin: corsOrigins(deps.config),
      methods: ['GET', 'POST', 'OPTIONS'],
      allowedHeaders: ['Content-Type', 'Authorization'],
      maxAge: 600,
    }),
  );
  // Health, readiness and metrics; then JWT, rate limits and load shedding on everything under /cds-services.
  protection.mount();
  // Routes outside /cds-services; under it the body was already read inside the guards (and is not read twice).
  app.use(protection.jsonBody);

  app.get('/cds-services', discoveryHandler(offered));
  app.post(
    '/cds-services/:id',
    serviceCallHandler({
      findService: (id) => offered().find((s) => s.id === id),
      knowledge: deps.knowledge,
      deadlineMs: deps.config.FETCH_DEADLINE_MS,
      now,
      checkFhirServer: protection.checkFhirServer,
      pipeline: { readContext: patientContextReader(protection.fetchPolicy) },
      explainAllowed: deps.config.EXPLAIN,
      ...(deps.onCards ? { onCards: deps.onCards } : {}),
      ...(deps.cardLogAccepts ? { cardLogAccepts: deps.cardLogAccepts } : {}),
    }),
  );
  if (deps.routes) app.use(deps.routes);
  app.use('/fhir-artifacts', artifactsRouter(deps.knowledge));
  if (deps.config.ADMIN_PORT === undefined) mountOperational(app, deps);
  if (deps.config.PREVIEW)
    app.use(
      '/preview',
      previewRouter({
        knowledge: deps.knowledge,
        services: offered,
        ...(deps.knowledgeStatus ? { knowledgeStatus: deps.knowledgeStatus } : {}),
      }),
    );
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
