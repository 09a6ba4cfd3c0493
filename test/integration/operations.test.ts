/**
 * Operating the service: security headers, per-client rate limits, load shedding, the cap on
 * concurrent FHIR reads, readiness with pluggable checks, and Prometheus metrics.
 */
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { eventually } from '../support/eventually.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { mintToken, startJwksServer, testKey } from '../support/jwt.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const full = (): Record<string, unknown> => scenarioRequest(scenario, select, { prefetch: 'all' });
/** Only the Patient and the draft orders given: five keys to fetch from fhirServer. */
const fetching = (fhirServer: string): Record<string, unknown> =>
  scenarioRequest(scenario, select, { prefetch: ['patient'], fhirServer, accessToken: 'ops-test' });

const started: RunningService[] = [];
const stubs: StubServer[] = [];
async function service(env: Record<string, string> = {}, deps: Parameters<typeof startService>[1] = {}): Promise<RunningService> {
  const s = await startService(env, deps);
  started.push(s);
  return s;
}
async function stub(delayMs: number): Promise<StubServer> {
  const s = await startStubServer(undefined, delayMs);
  stubs.push(s);
  return s;
}
afterAll(async () => {
  await Promise.all([...started.map((s) => s.close()), ...stubs.map((s) => s.close())]);
});

const callUrl = (s: RunningService): string => `${s.url}/cds-services/${select.id}`;

test('security headers: no sniffing, the strictest CSP on the API, HSTS, no framing, no x-powered-by', async () => {
  const s = await service();
  for (const res of [
    await fetch(`${s.url}/cds-services`),
    await fetch(callUrl(s), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(full()) }),
  ]) {
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-powered-by')).toBeNull();
    // Browser EHRs on other origins read the answers (CORS); the resource policy must not block them.
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
  }
});

test('per-client rate limit by address: 429 with Retry-After and an OperationOutcome', async () => {
  const s = await service({ RATE_LIMIT_PER_MINUTE: '3' });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await post(callUrl(s), full())).status);
  expect(statuses).toEqual([200, 200, 200, 429]);
  const res = await post(callUrl(s), full());
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  assertOperationOutcome(res.body);
  // Health and metrics are not rate limited, so monitoring keeps working for a throttled client.
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
});

test('per-client rate limit by JWT issuer: two EHRs behind one address each get their own budget', async () => {
  const [a, b] = await Promise.all([testKey('a-1', 'ES384'), testKey('b-1', 'ES384')]);
  const jwks = await startJwksServer([a.publicJwk, b.publicJwk]);
  try {
    const base = 'https://cds.example.test';
    const s = await service({
      JWT_REQUIRED: 'true',
      PUBLIC_BASE_URL: base,
      JWT_ISSUERS: JSON.stringify([
        { iss: 'https://a.example', jwksUrl: `${jwks.url}/jwks` },
        { iss: 'https://b.example', jwksUrl: `${jwks.url}/jwks` },
      ]),
      RATE_LIMIT_PER_MINUTE: '2',
    });
    const call = async (key: typeof a, iss: string): Promise<number> =>
      (
        await fetch(`${s.url}/cds-services`, {
          headers: { authorization: `Bearer ${await mintToken({ key, iss, aud: `${base}/cds-services` })}` },
        })
      ).status;
    expect([await call(a, 'https://a.example'), await call(a, 'https://a.example'), await call(a, 'https://a.example')]).toEqual([
      200, 200, 429,
    ]);
    expect([await call(b, 'https://b.example'), await call(b, 'https://b.example')]).toEqual([200, 200]);
  } finally {
    await jwks.close();
  }
});

test('too many requests in flight: 503 with Retry-After, and the one in flight is still answered', async () => {
  // The first request waits on a FHIR server far longer than any machine needs to send the second.
  const slow = await stub(4000);
  const s = await service({ MAX_IN_FLIGHT: '1', FETCH_DEADLINE_MS: '15000' });
  const first = post(callUrl(s), fetching(`${slow.url}/fhir`));
  await eventually(() => slow.hits > 0, 'the first request reaching the FHIR server');
  const second = await post(callUrl(s), full());
  expect(second.status).toBe(503);
  expect(second.headers.get('retry-after')).toBe('1');
  assertOperationOutcome(second.body);
  expect((await first).status).toBe(200);
  expect((await post(callUrl(s), full())).status).toBe(200);
});

// Event-loop lag shedding: test/integration/lag-shedding.test.ts (driven by an injected sampler, never by blocking the loop).

test('FHIR reads are capped process-wide: never more open at once than FHIR_MAX_CONCURRENT_FETCHES', async () => {
  const slow = await stub(100);
  const s = await service({ FHIR_MAX_CONCURRENT_FETCHES: '2', FETCH_DEADLINE_MS: '5000' });
  const answers = await Promise.all([0, 1, 2].map(() => post(callUrl(s), fetching(`${slow.url}/fhir`))));
  for (const a of answers) expect(a.status).toBe(200);
  // Every key but the prefetched Patient is read, for each of the three requests.
  expect(slow.hits).toBe(3 * (Object.keys(select.prefetch).length - 1));
  expect(slow.maxOpen).toBe(2);
});

test('a read waiting for a slot past the deadline gives a 412 timeout, not a late answer', async () => {
  // The one slot stays taken far past the deadline, so the other reads can only time out waiting.
  const slow = await stub(15_000);
  const s = await service({ FHIR_MAX_CONCURRENT_FETCHES: '1', FETCH_DEADLINE_MS: '1000' });
  const res = await post(callUrl(s), fetching(`${slow.url}/fhir`));
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/timeout/);
  expect(slow.hits).toBe(1);
});

test('readiness: ready with rules loaded; a failing pluggable check or shutdown makes it 503, naming the check only', async () => {
  let storeUp = true;
  const s = await service(
    {},
    {
      readinessChecks: [
        {
          name: 'store',
          check: () => {
            if (!storeUp) throw new Error('connection refused to db.internal:5432');
          },
        },
      ],
    },
  );
  const ready = await fetch(`${s.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ready', checks: { accepting: 'ok', rules: 'ok', capacity: 'ok', store: 'ok' } });
  storeUp = false;
  const down = await fetch(`${s.url}/readyz`);
  expect(down.status).toBe(503);
  const text = await down.text();
  expect(JSON.parse(text)).toEqual({ status: 'not-ready', checks: { accepting: 'ok', rules: 'ok', capacity: 'ok', store: 'failed' } });
  expect(text).not.toContain('db.internal');
  storeUp = true;
  s.protection.drain();
  expect((await fetch(`${s.url}/readyz`)).status).toBe(503);
  // Liveness stays up while draining: the process is healthy, it is just leaving.
  expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
  const shed = await post(callUrl(s), full());
  expect(shed.status).toBe(503);
  expect(shed.headers.get('connection')).toBe('close');
});

test('a readiness check that never answers counts as failed: /readyz answers 503 instead of hanging', async () => {
  const s = await service({}, { readinessChecks: [{ name: 'slow', check: () => new Promise(() => undefined) }] });
  const res = await fetch(`${s.url}/readyz`);
  expect(res.status).toBe(503);
  expect(await res.json()).toEqual({ status: 'not-ready', checks: { accepting: 'ok', capacity: 'ok', rules: 'ok', slow: 'failed' } });
});

test('/metrics: requests by service and status, latency, cards by rule, FHIR reads, and the reload and store counters', async () => {
  const s = await service();
  const res = await post(callUrl(s), full());
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  const broken = await stub(0);
  await post(callUrl(s), scenarioRequest(scenario, select, { prefetch: ['patient'], fhirServer: 'http://127.0.0.1:1/fhir' }));
  await post(callUrl(s), fetching(`${broken.url}/fhir`));
  const metrics = await fetch(`${s.url}/metrics`);
  expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await metrics.text();
  expect(text).toMatch(
    /backpain_cds_http_requests_total\{route="\/cds-services\/:id",service="back-pain-imaging-select",status="200"\} [1-9]/,
  );
  expect(text).toMatch(
    /backpain_cds_http_requests_total\{route="\/cds-services\/:id",service="back-pain-imaging-select",status="412"\} [1-9]/,
  );
  expect(text).toMatch(
    /backpain_cds_http_request_duration_seconds_bucket\{le="0.5",route="\/cds-services\/:id",service="back-pain-imaging-select"\} [1-9]/,
  );
  expect(text).toMatch(/backpain_cds_cards_total\{service="back-pain-imaging-select",rule="imaging-defer"\} [1-9]/);
  expect(text).toMatch(/backpain_cds_fhir_fetch_duration_seconds_count\{outcome="ok"\} [1-9]/);
  expect(text).toMatch(/backpain_cds_fhir_fetch_errors_total\{failure="unreachable"\} [1-9]/);
  expect(text).toMatch(/# TYPE backpain_cds_rules_reload_errors_total counter/);
  expect(text).toMatch(/# TYPE backpain_cds_store_errors_total counter/);
  expect(text).toMatch(/backpain_cds_process_resident_memory_bytes \d+/);
  // Ids only: no patient id or FHIR URL in any label.
  expect(text).not.toContain(scenario.patient.id);
  expect(text).not.toContain('127.0.0.1');
});
