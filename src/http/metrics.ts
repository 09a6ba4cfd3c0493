/** Counts every answer by route, service and status, and serves the registry at GET /metrics. */
import type { NextFunction, Request, Response } from 'express';
import { metrics } from '../metrics.js';
import type { CallLog } from './service-call.js';

/** Routes as patterns, so a metric never has one series per path someone typed. */
function routeOf(path: string): string {
  if (/^\/cds-services\/?$/.test(path)) return '/cds-services';
  if (/^\/cds-services\/[^/]+\/feedback\/?$/.test(path)) return '/cds-services/:id/feedback';
  if (/^\/cds-services\/[^/]+\/?$/.test(path)) return '/cds-services/:id';
  if (['/healthz', '/readyz', '/metrics'].includes(path)) return path;
  return 'other';
}

export function countRequests(req: Request, res: Response, next: NextFunction): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const { service, rules } = res.locals as CallLog;
    const route = routeOf(req.path);
    const labels = { route, service: service ?? '' };
    metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    if (service && res.statusCode === 200) for (const rule of rules ?? []) metrics.cards.inc({ service, rule });
  });
  next();
}

export async function metricsEndpoint(_req: Request, res: Response): Promise<void> {
  res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(await metrics.registry.metrics());
}
