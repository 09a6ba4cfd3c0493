/** Bad input gets a 4xx with an OperationOutcome that says what is wrong; never a 500. */
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';
import { EVERY_JSON_TYPE, everyFieldOfEveryType } from '../fuzz/arbitraries.js';
import { inParallel } from '../support/in-parallel.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
let service: RunningService;
let url: string;

beforeAll(async () => {
  service = await startService();
  url = `${service.url}/cds-services/back-pain-imaging-select`;
});
afterAll(() => service.close());

function valid(): Record<string, unknown> & { context: Record<string, unknown> } {
  return scenarioRequest(scenario, select, { prefetch: 'all' }) as Record<string, unknown> & { context: Record<string, unknown> };
}

function diagnostics(body: unknown): string {
  assertOperationOutcome(body);
  return (body as { issue: { diagnostics: string }[] }).issue.map((i) => i.diagnostics).join(' | ');
}

test('a valid request with extra fields and an extension is answered', async () => {
  const body = { ...valid(), extension: { 'org.example.flag': true }, somethingNew: 1 };
  body.context = { ...body.context, futureField: 'x' };
  const res = await post(url, body);
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
});

test('draftOrders without Bundle.type is accepted', async () => {
  const body = valid();
  const { type: _type, ...bundle } = body.context.draftOrders as Record<string, unknown>;
  body.context = { ...body.context, draftOrders: bundle };
  const res = await post(url, body);
  expect(res.status).toBe(200);
  expect((res.body as { cards: unknown[] }).cards).toHaveLength(1);
});

test.each([
  ['bad JSON', '{"hook": ', 400, /not valid JSON/],
  ['a JSON array', '[]', 400, /body/],
  ['missing context', { hook: 'order-select', hookInstance: '0b1b8d3e-0d8a-4f59-9a1f-4b0a5a0b9b11' }, 400, /context: is required/],
  [
    'missing hookInstance',
    (() => {
      const b = valid();
      delete b.hookInstance;
      return b;
    })(),
    400,
    /hookInstance/,
  ],
  ['hookInstance not a UUID', { ...valid(), hookInstance: 'abc' }, 400, /hookInstance must be a UUID/],
  ['the wrong hook for this service', { ...valid(), hook: 'order-sign' }, 400, /hook must be "order-select"/],
  [
    'userId of a Patient in order-select',
    (() => {
      const b = valid();
      b.context = { ...b.context, userId: 'Patient/1' };
      return b;
    })(),
    400,
    /context.userId/,
  ],
  [
    'selections not an array',
    (() => {
      const b = valid();
      b.context = { ...b.context, selections: 'ServiceRequest/x' };
      return b;
    })(),
    400,
    /context.selections/,
  ],
  [
    'a selection not in draftOrders',
    (() => {
      const b = valid();
      b.context = { ...b.context, selections: ['ServiceRequest/nope'] };
      return b;
    })(),
    400,
    /not an order in context.draftOrders/,
  ],
  [
    'draftOrders not a Bundle',
    (() => {
      const b = valid();
      b.context = { ...b.context, draftOrders: { resourceType: 'Patient' } };
      return b;
    })(),
    400,
    /context.draftOrders.resourceType/,
  ],
  // A draft order without an id is evaluated (real-clients.test.ts), but no selection can name it.
  [
    'a selected draft order without an id',
    (() => {
      const b = structuredClone(valid());
      const d = b.context.draftOrders as { entry: { resource: Record<string, unknown> }[] };
      delete d.entry[0]!.resource.id;
      return b;
    })(),
    400,
    /not an order in context.draftOrders/,
  ],
  [
    'a draft order whose id is empty',
    (() => {
      const b = structuredClone(valid());
      const d = b.context.draftOrders as { entry: { resource: Record<string, unknown> }[] };
      d.entry[0]!.resource.id = '';
      return b;
    })(),
    400,
    /must be a FHIR id/,
  ],
  [
    'fhirAuthorization without fhirServer',
    { ...valid(), fhirAuthorization: { access_token: 'x', token_type: 'Bearer', expires_in: 60, scope: 's', subject: 'c' } },
    400,
    /fhirServer is required/,
  ],
  ['a prefetch value that is not a resource', { ...valid(), prefetch: { patient: 'Patient/1' } }, 400, /prefetch.patient/],
])('%s gives %i', async (_name, body, status, message) => {
  const res = await post(url, body);
  expect(res.status).toBe(status);
  expect(diagnostics(res.body)).toMatch(message);
});

test('a prefetched Patient that is not context.patientId is refused', async () => {
  const body = valid();
  body.prefetch = { ...(body.prefetch as object), patient: { resourceType: 'Patient', id: 'someone-else' } };
  const res = await post(url, body);
  expect(res.status).toBe(400);
  expect(diagnostics(res.body)).toMatch(/not context.patientId/);
});

test('wrong content type: 415', async () => {
  const res = await post(url, JSON.stringify(valid()), { 'content-type': 'text/plain' });
  expect(res.status).toBe(415);
  expect(diagnostics(res.body)).toMatch(/application\/json/);
});

test('a body over 1 MB: 413', async () => {
  const body = { ...valid(), padding: 'x'.repeat(1_100_000) };
  const res = await post(url, body);
  expect(res.status).toBe(413);
  assertOperationOutcome(res.body);
});

test('unknown service: 404 with an OperationOutcome', async () => {
  const res = await post(`${service.url}/cds-services/no-such-service`, valid());
  expect(res.status).toBe(404);
  expect(diagnostics(res.body)).toMatch(/no-such-service/);
});

test('required data that cannot be had: no prefetch and no fhirServer is 412', async () => {
  const res = await post(url, scenarioRequest(scenario, select, { prefetch: ['patient', 'conditions'] }));
  expect(res.status).toBe(412);
  expect(diagnostics(res.body)).toMatch(/no fhirServer/);
});

test('a null Patient prefetch means no data: 200 and no cards', async () => {
  const body = valid();
  body.prefetch = { ...(body.prefetch as object), patient: null };
  const res = await post(url, body);
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ cards: [] });
});

test('an OperationOutcome prefetch is fetched, and with no fhirServer that is a 412', async () => {
  const body = valid();
  body.prefetch = {
    ...(body.prefetch as object),
    conditions: { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] },
  };
  const res = await post(url, body);
  expect(res.status).toBe(412);
  expect(diagnostics(res.body)).toMatch(/"conditions"/);
});

test('CORS: a preflight is answered without credentials, and responses carry the header', async () => {
  const pre = await fetch(url, {
    method: 'OPTIONS',
    headers: {
      origin: 'https://sandbox.cds-hooks.org',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type,authorization',
    },
  });
  expect(pre.status).toBe(204);
  expect(pre.headers.get('access-control-allow-origin')).toBe('*');
  expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/i);
  const res = await fetch(`${service.url}/cds-services`, { headers: { origin: 'https://sandbox.cds-hooks.org' } });
  expect(res.headers.get('access-control-allow-origin')).toBe('*');
});

test('CORS origins are configurable', async () => {
  const strict = await startService({ CORS_ORIGINS: 'https://ehr.example.org' });
  try {
    const ok = await fetch(`${strict.url}/cds-services`, { headers: { origin: 'https://ehr.example.org' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ehr.example.org');
    const other = await fetch(`${strict.url}/cds-services`, { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  } finally {
    await strict.close();
  }
});

test('logs are JSON lines with request id, service, status, rules and duration, and no patient data', async () => {
  const res = await post(url, valid(), { 'x-request-id': 'req-log-check-1' });
  expect(res.status).toBe(200);
  const line = service.logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'req-log-check-1');
  expect(line).toMatchObject({ message: 'request', service: 'back-pain-imaging-select', status: 200, rules: ['imaging-defer'] });
  expect(typeof line?.durationMs).toBe('number');
  const all = service.logs.join('\n');
  for (const secret of [scenario.patient.id, 'Ashworth', 'Dana', '1980-04-12', 'bp-defer-41-lbp']) expect(all).not.toContain(secret);
});

describe('every hook field of every JSON type, on every service', () => {
  const cases = everyFieldOfEveryType();

  test(
    `${cases.length} requests: never a 5xx; a field of another hook is ignored; ` +
      "a wrong type of the hook's own field is a 400 naming it",
    async () => {
      const failures: string[] = [];
      // Eight connections at a time; the timeout below only stops a hang, it times nothing.
      await inParallel(cases, 8, async (c) => {
        const res = await post(`${service.url}/cds-services/${c.service}`, c.body);
        if (res.status >= 500) failures.push(`${c.service} ${c.path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
        else if (res.status === 400) assertOperationOutcome(res.body);
        else if (res.status !== 200 && res.status !== 412) failures.push(`${c.service} ${c.path}: unexpected ${res.status}`);
      });
      expect(failures).toEqual([]);
    },
    180_000,
  );

  test.each(EVERY_JSON_TYPE.filter((v) => !Array.isArray(v) || v.length === 0 || typeof v[0] !== 'string'))(
    'selections = %j: ignored on order-sign, a 400 on order-select',
    async (value) => {
      const sign = everyFieldOfEveryType().find(
        (c) => c.service === 'back-pain-imaging-sign' && c.path === `context.selections=${JSON.stringify(value)}`,
      )!;
      const chosen = everyFieldOfEveryType().find(
        (c) => c.service === 'back-pain-imaging-select' && c.path === `context.selections=${JSON.stringify(value)}`,
      )!;
      const signed = await post(`${service.url}/cds-services/${sign.service}`, sign.body);
      expect(signed.status).toBe(200);
      const selected = await post(`${service.url}/cds-services/${chosen.service}`, chosen.body);
      expect(selected.status).toBe(400);
      expect(JSON.stringify(selected.body)).toContain('context.selections');
    },
  );
});
