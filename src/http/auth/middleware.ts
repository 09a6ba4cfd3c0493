/**
 * Requires a trusted bearer JWT on every CDS Hooks endpoint under the path it is mounted on
 * (discovery, each service, each service's feedback). The audience is the public URL of the very
 * endpoint called, so a token for one service cannot be used on another.
 *
 * A refusal is a 401 whose body says nothing about why (that would help an attacker); the reason
 * goes to the log with the token's iss, kid and jti, never the token.
 */
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../log.js';
import { metrics } from '../../metrics.js';
import { HttpError } from '../operation-outcome.js';
import { requestIdOf } from '../request-id.js';
import { AuthError, type JwtVerifier, type VerifiedCaller } from './jwt-verifier.js';

export interface JwtAuthOptions {
  verifier: JwtVerifier;
  /** The externally visible base URL, e.g. https://cds.example.org (behind a proxy, not the local address). */
  publicBaseUrl: string;
  logger: Logger;
}

/** Set on res.locals for the handlers and the rate limiter after a successful check. */
export interface AuthLocals {
  caller?: VerifiedCaller;
}

const BEARER = /^Bearer +([^\s]+) *$/i;

export const unauthorized = (): HttpError =>
  new HttpError(401, [{ code: 'login', diagnostics: 'authentication required' }], { 'WWW-Authenticate': 'Bearer realm="backpain-cds"' });

/** The public URL of the endpoint this request is for: the aud its token must carry. */
export function endpointUrl(publicBaseUrl: string, req: Request): string {
  const path = `${req.baseUrl}${req.path}`.replace(/\/+$/, '');
  return `${publicBaseUrl}${path}`;
}

export function jwtAuth(options: JwtAuthOptions) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    // A CORS preflight carries no credentials by design (cds-hooks.md section 8).
    if (req.method === 'OPTIONS') return next();
    const match = BEARER.exec(req.get('authorization') ?? '');
    try {
      if (!match?.[1]) throw new AuthError('missing');
      (res.locals as AuthLocals).caller = await options.verifier.verify(match[1], endpointUrl(options.publicBaseUrl, req));
      next();
    } catch (err) {
      if (err instanceof AuthError) {
        metrics.authFailures.inc({ reason: err.reason });
        const level = err.reason === 'jwks-unavailable' ? 'error' : 'warn';
        options.logger.log(level, 'authentication failed', { requestId: requestIdOf(res), reason: err.reason, ...err.ids });
        return next(unauthorized());
      }
      // The replay store could not answer: fail closed, and say it is temporary.
      metrics.storeErrors.inc({ store: 'replay', operation: 'claim' });
      const e = err instanceof Error ? err : new Error(String(err));
      options.logger.error('replay store failed', { requestId: requestIdOf(res), error: e.name, message: e.message });
      next(
        new HttpError(503, [{ code: 'transient', diagnostics: 'temporarily unable to authenticate; retry shortly' }], {
          'Retry-After': '1',
        }),
      );
    }
  };
}
