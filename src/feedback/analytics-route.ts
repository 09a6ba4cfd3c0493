/** GET /analytics (HTML), /analytics.json and /analytics.csv, with ?from=&to=&service=&version= filters. */
import { UTCDate } from '@date-fns/utc';
import { differenceInCalendarDays, subDays } from 'date-fns';
import express, { type Request, type Response } from 'express';
import { z } from 'zod';
import { OVERRIDE_REASON_SYSTEM } from '../cards/render.js';
import type { Database } from '../db/database.js';
import type { ServiceDefinition } from '../hooks/services.js';
import { HttpError, operationOutcome } from '../http/operation-outcome.js';
import { requestIdOf } from '../http/request-id.js';
import { contentSecurityPolicy, dataCsp } from '../http/security-headers.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import { paramText } from '../knowledge/params.js';
import type { Logger } from '../log.js';
import { loadAnalytics, type AnalyticsFilter, type AnalyticsLabels } from './analytics.js';
import { renderAnalyticsCsv } from './analytics-csv.js';
import { renderAnalyticsError, renderAnalyticsPage } from './analytics-page.js';
import { metrics } from '../metrics.js';

export interface AnalyticsRouteDeps {
  db: Database;
  knowledge: () => KnowledgeBase;
  services: readonly Pick<ServiceDefinition, 'id' | 'title'>[];
  logger: Logger;
  now?: () => Date;
}

/** The default period: the last 12 weeks, today included. */
const DEFAULT_DAYS = 84;
const MAX_DAYS = 3 * 366;

const day = z.iso.date({ error: 'must be a date like 2026-01-31' });

export function analyticsLabels(knowledge: KnowledgeBase, services: AnalyticsRouteDeps['services']): AnalyticsLabels {
  return {
    rules: knowledge.ruleSets.flatMap((set) => set.rules.map((r) => ({ id: r.id, title: r.title, services: set.services, mode: r.mode }))),
    services,
    // A label may show the rule's own thresholds ({{rule.params.earlyDays}}); other placeholders are per patient and stay as written.
    suggestionLabel: (ruleId, position) => {
      const label = knowledge.cards.get(ruleId)?.suggestions?.[position - 1]?.label;
      const params = knowledge.ruleSets.flatMap((set) => set.rules).find((r) => r.id === ruleId)?.params;
      return label?.replace(/\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g, (whole, name: string) => paramText(name, params) ?? whole);
    },
    // Our own reason codes read as the card files word them; a rule's own wording first.
    reasonDisplay: (ruleId, system, code) => {
      if (system !== OVERRIDE_REASON_SYSTEM) return undefined;
      const templates = [knowledge.cards.get(ruleId), ...knowledge.cards.values()];
      return templates.map((t) => t?.overrideReasons?.find((r) => r.code === code)?.display).find((d) => d !== undefined);
    },
  };
}

function filterFrom(query: Request['query'], today: Date, serviceIds: readonly string[]): AnalyticsFilter {
  const schema = z.object({
    from: day.optional(),
    to: day.optional(),
    service: z
      .string()
      .optional()
      .refine((s) => !s || serviceIds.includes(s), { message: `must be one of ${serviceIds.join(', ')}` }),
    version: z
      .string()
      .regex(/^[A-Za-z0-9._-]{0,64}$/, 'must be a rules version as GET /status shows it, e.g. 74b5335200ddf1b6')
      .optional(),
  });
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    throw new HttpError(
      400,
      parsed.error.issues.map((i) => ({
        code: 'invalid' as const,
        diagnostics: `${i.path.join('.')}: ${i.message}`,
        expression: i.path.join('.'),
      })),
    );
  }
  const to = parsed.data.to ?? today.toISOString().slice(0, 10);
  const from =
    parsed.data.from ??
    subDays(new UTCDate(Date.parse(`${to}T00:00:00Z`)), DEFAULT_DAYS - 1)
      .toISOString()
      .slice(0, 10);
  const days = differenceInCalendarDays(new UTCDate(Date.parse(to)), new UTCDate(Date.parse(from)));
  if (days < 0) throw new HttpError(400, [{ code: 'invalid', diagnostics: `from (${from}) is after to (${to})`, expression: 'from' }]);
  if (days > MAX_DAYS)
    throw new HttpError(400, [{ code: 'invalid', diagnostics: 'the period may be at most 3 years', expression: 'from' }]);
  return {
    from,
    to,
    ...(parsed.data.service ? { serviceId: parsed.data.service } : {}),
    ...(parsed.data.version ? { rulesVersion: parsed.data.version } : {}),
  };
}

type Format = 'html' | 'json' | 'csv';

/** The page has no script: inline styles, a same-origin form, nothing else. The data needs nothing (dataCsp). */
const pageCsp = contentSecurityPolicy({
  defaultSrc: ["'none'"],
  styleSrc: ["'unsafe-inline'"],
  formAction: ["'self'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
});

export function analyticsRouter(deps: AnalyticsRouteDeps): express.Router {
  const router = express.Router();
  const now = deps.now ?? (() => new Date());
  const serviceIds = deps.services.map((s) => s.id);

  const handle = (format: Format) => async (req: Request, res: Response) => {
    res.set('Cache-Control', 'no-store');
    let filter: AnalyticsFilter;
    try {
      filter = filterFrom(req.query, now(), serviceIds);
    } catch (err) {
      if (format === 'html' && err instanceof HttpError) {
        res
          .status(400)
          .type('html')
          .send(renderAnalyticsError(err.issues.map((i) => i.diagnostics).join('; ')));
        return;
      }
      throw err;
    }
    let analytics;
    try {
      analytics = await loadAnalytics(deps.db, filter, analyticsLabels(deps.knowledge(), deps.services), now());
    } catch (err) {
      const e = err as Error & { code?: string };
      metrics.storeErrors.inc({ store: 'feedback', operation: 'analytics-read' });
      deps.logger.error('analytics not available: the store is unavailable', {
        requestId: requestIdOf(res),
        error: e.name,
        ...(e.code ? { code: e.code } : {}),
        message: e.message,
      });
      const message = 'the feedback store is unavailable; try again shortly';
      res.status(503).set('Retry-After', '30');
      if (format === 'html') res.type('html').send(renderAnalyticsError(message));
      else res.type('application/fhir+json').send(JSON.stringify(operationOutcome([{ code: 'transient', diagnostics: message }])));
      return;
    }
    if (format === 'json') res.json(analytics);
    else if (format === 'csv') {
      const name = [`card-feedback-${filter.from}-to-${filter.to}`, filter.serviceId, filter.rulesVersion].filter(Boolean).join('-');
      res
        .type('text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="${name}.csv"`)
        .send(renderAnalyticsCsv(analytics));
    } else res.type('html').send(renderAnalyticsPage(analytics, deps.services));
  };

  router.get('/analytics', pageCsp, handle('html'));
  router.get('/analytics.json', dataCsp, handle('json'));
  router.get('/analytics.csv', dataCsp, handle('csv'));
  return router;
}
