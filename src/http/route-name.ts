/**
 * The one name a request's route goes by, in the request log and in the metrics: a pattern, never
 * the path as typed, so a log line or a metric series never carries an id someone put in a URL and
 * the metric series stay few.
 */
import type { Request } from 'express';

/** Requests refused by a guard under /cds-services never reach their route: their pattern by path. */
const KNOWN: readonly [RegExp, string][] = [
  [/^\/cds-services\/?$/, '/cds-services'],
  [/^\/cds-services\/[^/]+\/feedback\/?$/, '/cds-services/:id/feedback'],
  [/^\/cds-services\/[^/]+\/?$/, '/cds-services/:id'],
];

export function routeName(req: Request): string {
  // The route express matched, with the path its router is mounted at.
  const matched: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof matched === 'string') return `${req.baseUrl}${matched}`;
  const path = req.originalUrl.split('?')[0] ?? '';
  for (const [pattern, name] of KNOWN) if (pattern.test(path)) return name;
  return 'other';
}
