/**
 * Prometheus metrics for the whole process, served at GET /metrics. One registry per process (not
 * prom-client's global one), so any module can count without being handed a registry: the rules
 * hot reload increments `reloadErrors`, the feedback store `storeErrors`.
 *
 * Labels carry ids only (service, rule, status, reason), never patient data or URLs.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'backpain_cds_' });

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10];

export const metrics = {
  registry,
  httpRequests: new Counter({
    name: 'backpain_cds_http_requests_total',
    help: 'HTTP requests answered, by route, CDS service id (empty when none) and status code',
    labelNames: ['route', 'service', 'status'] as const,
    registers: [registry],
  }),
  httpDuration: new Histogram({
    name: 'backpain_cds_http_request_duration_seconds',
    help: 'Time from request arrival to the end of the response, by route and CDS service id',
    labelNames: ['route', 'service'] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  inFlight: new Gauge({
    name: 'backpain_cds_http_requests_in_flight',
    help: 'CDS requests being answered now',
    registers: [registry],
  }),
  cards: new Counter({
    name: 'backpain_cds_cards_total',
    help: 'Cards returned, by CDS service id and rule id',
    labelNames: ['service', 'rule'] as const,
    registers: [registry],
  }),
  fhirFetchDuration: new Histogram({
    name: 'backpain_cds_fhir_fetch_duration_seconds',
    help: 'FHIR reads from the EHR fhirServer, by outcome (ok, not-found or the failure kind)',
    labelNames: ['outcome'] as const,
    buckets: SECONDS,
    registers: [registry],
  }),
  fhirFetchErrors: new Counter({
    name: 'backpain_cds_fhir_fetch_errors_total',
    help: 'FHIR reads that failed, by failure kind (timeout, unreachable, http-error, not-fhir, too-large, wrong-type, bad-paging)',
    labelNames: ['failure'] as const,
    registers: [registry],
  }),
  fhirFetchQueued: new Gauge({
    name: 'backpain_cds_fhir_fetches_waiting',
    help: 'FHIR reads waiting for a free slot under FHIR_MAX_CONCURRENT_FETCHES',
    registers: [registry],
  }),
  authFailures: new Counter({
    name: 'backpain_cds_auth_failures_total',
    help: 'Requests refused by JWT client authentication, by reason',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  rejected: new Counter({
    name: 'backpain_cds_rejected_requests_total',
    help:
      'Requests refused to protect the service: rate-limit (429), auth-rate-limit (429), ' +
      'in-flight or event-loop-lag (503), shutting-down (503)',
    labelNames: ['reason'] as const,
    registers: [registry],
  }),
  reloadErrors: new Counter({
    name: 'backpain_cds_rules_reload_errors_total',
    help: 'Rule, value set or card file reloads that were rejected (the last good set stays live)',
    registers: [registry],
  }),
  storeErrors: new Counter({
    name: 'backpain_cds_store_errors_total',
    help: 'Failed operations on a store (feedback, replay), by store and operation',
    labelNames: ['store', 'operation'] as const,
    registers: [registry],
  }),
};
