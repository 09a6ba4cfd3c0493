import { randomUUID } from 'node:crypto';
import cors from 'cors';
import express, { type NextFunction, type Request, type Response } from 'express';
import { corsOrigins, type Config } from '../config.js';
import { SERVICES, type ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { Logger } from '../log.js';
import { discoveryHandler } from './discovery.js';
import { errorHandler, notFound } from './errors.js';
import { serviceCallHandler, type CallLog, type ServiceCallDeps } from './service-call.js';

export interface AppDeps {
  config: Pick<Config, 'CORS_ORIGINS' | 'BODY_LIMIT' | 'FETCH_DEADLINE_MS'>;
  knowledge(): KnowledgeBase;
  logger: Logger;
  /** The request time; tests inject a fixed one. */
  now?: () => Date;
  /** The card log (src/feedback): told of every card response after it is sent. */
  onCards?: ServiceCallDeps['onCards'];
  /** More routes, after the CDS Hooks ones: the feedback endpoint and the analytics pages (src/feedback). */
  routes?: express.Router;
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9\-_.]{1,64}$/;

function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const started = process.hrtime.bigint();
    const incoming = req.get('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    res.on('finish', () => {
      const { service, rules } = res.locals as CallLog;
      logger.info('request', {
        requestId,
        method: req.method,
        route: req.route?.path ?? req.path.split('/').slice(0, 3).join('/'),
        ...(service ? { service } : {}),
        status: res.statusCode,
        ...(rules ? { rules } : {}),
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
  app.use(requestLog(deps.logger));
  // Browser EHRs and the public sandbox need CORS; a preflight carries no credentials and needs none.
  app.use(cors({ origin: corsOrigins(deps.config as Config), methods: ['GET', 'POST', 'OPTIONS'], allowedHeaders: ['Content-Type', 'Authorization'], maxAge: 600 }));
  app.use(express.json({ limit: deps.config.BODY_LIMIT, type: ['application/json', 'application/*+json'] }));

  app.get('/cds-services', discoveryHandler(offered));
  app.post(
    '/cds-services/:id',
    serviceCallHandler({
      findService: (id) => offered().find((s) => s.id === id),
      knowledge: deps.knowledge,
      deadlineMs: deps.config.FETCH_DEADLINE_MS,
      now,
      ...(deps.onCards ? { onCards: deps.onCards } : {}),
    }),
  );
  if (deps.routes) app.use(deps.routes);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', rules: deps.knowledge().version });
  });
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
