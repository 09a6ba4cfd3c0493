/** Counts every answer by route, service and status, and serves the registry at GET /metrics. */
import type { Request, Response } from 'express';
import { metrics } from '../metrics.js';
import { routeName } from './route-name.js';
import type { CallLog } from './service-call.js';

export function countRequests(req: Request, res: Response): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    const { service, rules } = res.locals as CallLog;
    const labels = { route: routeName(req), service: service ?? '' };
    metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
    metrics.httpDuration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    if (service && res.statusCode === 200) for (const rule of rules ?? []) metrics.cards.inc({ service, rule });
  });
}

export async function metricsEndpoint(_req: Request, res: Response): Promise<void> {
  res
    .set('Content-Type', metrics.registry.contentType)
    .set('Cache-Control', 'no-store')
    .send(await metrics.registry.metrics());
}
