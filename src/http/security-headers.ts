/**
 * Security headers, one way: helmet decides them all. Every listener sets `securityHeaders`; each
 * kind of response adds its Content-Security-Policy with `contentSecurityPolicy` (a JSON answer, a
 * page with its own scripts and styles).
 */
import type { RequestHandler } from 'express';
import helmet from 'helmet';

type Directives = NonNullable<NonNullable<Parameters<typeof helmet.contentSecurityPolicy>[0]>['directives']>;

/** Everything but the CSP, which depends on what a response is. Cross-origin: browser EHRs read the API from their own origin. */
export const securityHeaders: RequestHandler = helmet({
  contentSecurityPolicy: false,
  crossOriginResourcePolicy: { policy: 'cross-origin' },
});

/** Exactly these directives, helmet's defaults left out, so a page states all it allows. */
export function contentSecurityPolicy(directives: Directives): RequestHandler {
  return helmet.contentSecurityPolicy({ useDefaults: false, directives });
}

/** A JSON or text answer needs no scripts, styles or frames: forbid them all, so a reflected value can do nothing. */
export const dataCsp: RequestHandler = contentSecurityPolicy({ defaultSrc: ["'none'"], frameAncestors: ["'none'"] });
