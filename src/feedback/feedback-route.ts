/** POST /cds-services/{id}/feedback: what the clinician did with each card. */
import type { NextFunction, Request, Response } from 'express';
import type { Database } from '../db/database.js';
import type { CallLog } from '../http/service-call.js';
import { HttpError } from '../http/operation-outcome.js';
import { requestIdOf } from '../http/request-id.js';
import type { Logger } from '../log.js';
import { parseFeedback } from './feedback-request.js';
import { saveFeedback } from './store.js';
import { metrics } from '../metrics.js';

export interface FeedbackRouteDeps {
  db: Database;
  isService(id: string): boolean;
  storeComments: boolean;
  logger: Logger;
  /** Seconds the EHR should wait before resending when the store is down. */
  retryAfterSeconds?: number;
}

export function feedbackHandler(deps: FeedbackRouteDeps) {
  const retryAfter = String(deps.retryAfterSeconds ?? 30);
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const id = String(req.params.id);
    if (!deps.isService(id)) {
      return next(new HttpError(404, [{ code: 'not-found', diagnostics: `no CDS service "${id}"; GET /cds-services lists them` }]));
    }
    (res.locals as CallLog).service = id;
    if (!req.is(['application/json', 'application/*+json'])) {
      return next(new HttpError(415, [{ code: 'not-supported', diagnostics: 'send the feedback as Content-Type: application/json' }]));
    }
    const parsed = parseFeedback(req.body);
    if (!parsed.ok) {
      return next(
        new HttpError(
          400,
          parsed.problems.map((p) => ({
            code: 'invalid' as const,
            diagnostics: `${p.path}: ${p.message}; nothing in this batch was stored`,
            expression: p.path,
          })),
        ),
      );
    }
    let stored: number;
    try {
      ({ stored } = await saveFeedback(deps.db, id, parsed.items, { storeComments: deps.storeComments }));
    } catch (err) {
      const e = err as Error & { code?: string };
      // Never the items themselves: a comment may hold patient details.
      metrics.storeErrors.inc({ store: 'feedback', operation: 'feedback-write' });
      deps.logger.error('feedback not stored: the store is unavailable', {
        requestId: requestIdOf(res),
        service: id,
        items: parsed.items.length,
        error: e.name,
        ...(e.code ? { code: e.code } : {}),
        message: e.message,
      });
      return next(
        new HttpError(
          503,
          [
            {
              code: 'transient',
              diagnostics: `the feedback store is unavailable; nothing in this batch was stored; resend after ${retryAfter} seconds`,
            },
          ],
          {
            'Retry-After': retryAfter,
          },
        ),
      );
    }
    res.json({ received: parsed.items.length, stored });
  };
}
