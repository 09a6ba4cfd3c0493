/** Counts every answer by route, service and status, and serves the registry at GET /metrics. */
import type { Request, Response } from 'express';
import { metrics } from '../metrics.js';
import { afterResponse } from './after-response.js';
import type { CallLog } from './service-call.js';

/** Routes as patterns, so a metric never has one series per path someone typed. */
function routeOf(path: string): string {
  if (/^\/cds-services\/?$/.test(path)) return '/cds-services';
  if (/^\/cds-services\/[^/]+\/feedback\/?$/.test(path)) return '/cds-services/:id/feedback';
  if (/^\/cds-services\/[^/]+\/?$/.test(path)) return '/cds-services/:id';
  if (['/healthz', '/readyz', '/metrics'].includes(path)) return path;
  return 'other';
}

export function countRequests(req: Request, res: Response): void {
  const started = process.hrtime.bigint();
  afterResponse(res, () => {
    if (!res.writableFinished) return;
    const { service, rules } = res.locals as CallLog;
    const route = routeOf(req.path);
    const labels = { route, service: service ?? '' };
    metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    if (service && res.statusCode === 200) for (const rule of rules ?? []) metrics.cards.inc({ service, rule });
  });
}

export async function metricsEndpoint(_req: Request, res: Response): Promise<void> {
  res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(await metrics.registry.metrics());
}
