/**
 * Everything that guards the service, built from the configuration in one place: security
 * headers, health/readiness/metrics, JWT client trust, rate limits, load shedding, the FHIR server
 * allowlist and the cap on concurrent FHIR reads.
 */
import express from 'express';
import type { Config } from '../config.js';
import { createFetchSlots } from '../context/fetch-slots.js';
import type { FetchPolicy } from '../context/fhir-fetch.js';
import { checkFhirServer, parseAllowlist, type AllowlistVerdict } from '../context/fhir-server-allowlist.js';
import type { ServiceDefinition } from '../hooks/services.js';
import type { KnowledgeBase } from '../knowledge/load.js';
import type { Logger } from '../log.js';
import { metrics } from '../metrics.js';
import { createJwtVerifier } from './auth/jwt-verifier.js';
import { jwtAuth } from './auth/middleware.js';
import { MemoryReplayStore, type ReplayStore } from './auth/replay-store.js';
import { healthRoutes, type ReadinessCheck } from './health.js';
import { bodyDeadline, clientRateLimit, connectionCap, limitAuthFailures, overloadGuard, type LagSampler } from './limits.js';
import { countRequests, metricsEndpoint } from './metrics.js';
import { dataCsp, securityHeaders } from './security-headers.js';

export interface ProtectDeps {
  config: Config;
  knowledge: () => KnowledgeBase;
  offered: () => ServiceDefinition[];
  logger: Logger;
  replayStore?: ReplayStore;
  readinessChecks?: readonly ReadinessCheck[];
  /** Tests drive lag shedding with their own sampler. */
  lagSampler?: LagSampler;
}

/** GET /metrics with the API's strict CSP, for whichever listener serves the operational endpoints. */
export function mountMetrics(app: express.Express): void {
  app.get('/metrics', dataCsp, metricsEndpoint);
}

export interface Protection {
  /** Adds the middleware and the operational routes to the app, before the CDS routes. */
  mount: () => void;
  checkFhirServer: (url: string) => AllowlistVerdict;
  fetchPolicy: FetchPolicy;
  /** The JSON body parser (BODY_LIMIT); under /cds-services it runs inside the guards, after the JWT check. */
  jsonBody: express.RequestHandler;
  /** Graceful shutdown: readiness off, new requests shed. */
  drain: () => void;
  inFlight: () => number;
  /** Stops the event-loop sampler. */
  close: () => void;
}

export function protect(app: express.Express, deps: ProtectDeps): Protection {
  const { config, logger } = deps;
  const allowlist = parseAllowlist(config.FHIR_SERVER_ALLOWLIST);
  const guard = overloadGuard({
    maxInFlight: config.MAX_IN_FLIGHT,
    maxEventLoopLagMs: config.MAX_EVENT_LOOP_LAG_MS,
    ...(deps.lagSampler ? { sampler: deps.lagSampler } : {}),
  });
  const parseJson = express.json({ limit: config.BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  // Mounted twice (inside the /cds-services guards and for the other routes): a body is read once.
  // body-parser's own "already read" check looks at the stream, which not every request object has.
  const jsonBody: express.RequestHandler = (req, res, next) => (req.body !== undefined ? next() : parseJson(req, res, next));
  const capConnections = connectionCap(config.MAX_CONNECTIONS_PER_ADDRESS);
  let draining = false;
  const slots = createFetchSlots(config.FHIR_MAX_CONCURRENT_FETCHES, (waiting) => metrics.fhirFetchQueued.set(waiting));
  const fetchPolicy: FetchPolicy = {
    slots,
    observe(outcome, seconds) {
      metrics.fhirFetchDuration.observe({ outcome }, seconds);
      if (outcome !== 'ok' && outcome !== 'not-found') metrics.fhirFetchErrors.inc({ failure: outcome });
    },
    allowsBase: (base) => checkFhirServer(base, allowlist, config.FHIR_HTTPS_ONLY).ok,
  };

  if (!config.JWT_REQUIRED) {
    // Production gets here only with UNSAFE_PRODUCTION_WITHOUT_JWT (loadConfig refuses it otherwise): say so loudly.
    const level = config.BACKPAIN_PROFILE === 'production' ? 'error' : 'warn';
    logger.log(level, 'JWT client authentication is off: any caller can use the CDS services', { profile: config.BACKPAIN_PROFILE });
  }
  const auth =
    config.JWT_REQUIRED && config.PUBLIC_BASE_URL
      ? jwtAuth({
          verifier: createJwtVerifier({
            issuers: config.JWT_ISSUERS,
            replayStore: deps.replayStore ?? new MemoryReplayStore(),
            clockSkewSeconds: config.JWT_CLOCK_SKEW_SECONDS,
            maxLifetimeSeconds: config.JWT_MAX_LIFETIME_SECONDS,
            jwks: { cacheMaxAgeMs: config.JWKS_CACHE_MAX_AGE_MS, cooldownMs: config.JWKS_COOLDOWN_MS, timeoutMs: config.JWKS_TIMEOUT_MS },
          }),
          publicBaseUrl: config.PUBLIC_BASE_URL,
          logger,
        })
      : undefined;
  if (config.JWT_REQUIRED && !auth) throw new Error('JWT_REQUIRED needs PUBLIC_BASE_URL'); // loadConfig already refuses this

  return {
    mount() {
      app.use(securityHeaders);
      app.use((req, res, next) => {
        countRequests(req, res);
        if (draining) res.setHeader('Connection', 'close');
        next(capConnections?.(req, res));
      });
      app.use(
        healthRoutes({
          knowledge: deps.knowledge,
          rulesLoaded: () => deps.offered().length > 0,
          checks: deps.readinessChecks ?? [],
          draining: () => draining,
          hasRoom: guard.hasRoom,
          logger,
        }),
      );
      // Discovery, every service and every service's feedback endpoint, matched by path prefix.
      // The JWT is checked before the body is read, and a request is counted in flight only once its body is whole.
      const guards = [
        dataCsp,
        guard.admit,
        auth && limitAuthFailures(auth, config.AUTH_FAILURES_PER_MINUTE),
        clientRateLimit(config.RATE_LIMIT_PER_MINUTE),
        bodyDeadline(config.BODY_TIMEOUT_MS),
        jsonBody,
        guard.count,
      ];
      app.use('/cds-services', ...guards.filter((m): m is NonNullable<typeof m> => m !== undefined));
    },
    checkFhirServer: (url) => checkFhirServer(url, allowlist, config.FHIR_HTTPS_ONLY),
    fetchPolicy,
    jsonBody,
    drain() {
      draining = true;
      guard.drain();
    },
    inFlight: () => guard.inFlight,
    close: () => guard.stop(),
  };
}
