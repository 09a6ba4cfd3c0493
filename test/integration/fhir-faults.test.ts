/**
 * FHIR server faults a real server will not produce on demand, injected with nock: slowness past
 * the deadline, 5xx, bodies that are not JSON, paging that leaves the server. Each is a 412 (a
 * timeout says so, so the answer came from the deadline, not from a late reply), and the bearer
 * token never goes anywhere but fhirServer. No check here times the machine: the deadline is long
 * enough for a busy CI machine's searches, and the slow replies come far later than it.
 */
import nock from 'nock';
import { gzipSync } from 'node:zlib';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { searchInMemory } from '../../src/demo/scenarios/search.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome, ruleIds } from '../support/spec.js';

const EHR = 'http://ehr-fhir.test';
const BASE = `${EHR}/fhir`;
const TOKEN = 'fault-test-token-7d1e';
const DEADLINE = 3000;
/** A reply this late cannot beat the deadline, however slow the machine is. */
const TOO_LATE = DEADLINE + 10_000;
const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const everything = [scenario.patient, ...scenario.resources];
let service: RunningService;

beforeAll(async () => {
  service = await startService({ FETCH_DEADLINE_MS: String(DEADLINE), FHIR_SERVER_ALLOWLIST: BASE });
  nock.disableNetConnect();
  nock.enableNetConnect(/^(127\.0\.0\.1|localhost)(:\d+)?$/);
});
afterEach(() => nock.cleanAll());
afterAll(async () => {
  nock.enableNetConnect();
  nock.restore();
  await service.close();
});

/** A request that prefetches everything but `missing`, which the service must fetch from the EHR. */
function requestMissing(...missing: string[]): Record<string, unknown> {
  const keys = Object.keys(select.prefetch).filter((k) => !missing.includes(k));
  return scenarioRequest(scenario, select, { prefetch: keys, fhirServer: BASE, accessToken: TOKEN });
}

const conditionsBundle = (): string => JSON.stringify(searchInMemory(everything, `Condition?patient=${scenario.patient.id}`));

function call(body: unknown): Promise<{ status: number; body: unknown }> {
  return post(`${service.url}/cds-services/${select.id}`, body);
}

test('a slow FHIR server past the deadline: 412 timeout, not a late answer', async () => {
  nock(BASE).get('/Condition').query(true).delay(TOO_LATE).reply(200, conditionsBundle());
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toMatch(/timeout/);
});

test.each([
  ['a 500', 500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] }, /HTTP 500/],
  ['a 401', 401, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] }, /HTTP 401/],
  ['an HTML error page', 502, '<html><body>Bad gateway</body></html>', /HTTP 502/],
  ['a 403', 403, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'forbidden' }] }, /HTTP 403/],
  [
    'a 404 for a search (the server cannot run it: unknown, not "no data")',
    404,
    { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] },
    /HTTP 404/,
  ],
  ['an HTML error page with status 200', 200, '<!doctype html><html><body><h1>Service unavailable</h1></body></html>', /not-fhir/],
  ['a 200 that is not JSON', 200, 'this is not json', /not-fhir/],
  ['JSON that is not FHIR', 200, { hello: 'world' }, /not-fhir/],
  [
    'an OperationOutcome with status 200 instead of the searchset',
    200,
    { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly' }] },
    /wrong-type/,
  ],
  ['another resource type instead of the searchset', 200, { resourceType: 'Patient', id: 'x' }, /wrong-type/],
])('%s from the FHIR server for required data: 412', async (_name, status, body, message) => {
  nock(BASE)
    .get('/Condition')
    .query(true)
    .reply(status, body as nock.Body);
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toMatch(message);
});

test('a redirect is not followed, so the token goes nowhere else: 412 naming the status', async () => {
  const elsewhere = nock('http://elsewhere.test').get(/.*/).reply(200, conditionsBundle());
  nock(BASE).get('/Condition').query(true).reply(302, '', { location: 'http://elsewhere.test/fhir/Condition' });
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/HTTP 302/);
  expect(elsewhere.isDone()).toBe(false);
});

test('a gzip-compressed answer is read as the searchset it is', async () => {
  nock(BASE)
    .get('/Condition')
    .query(true)
    .reply(200, gzipSync(conditionsBundle()), { 'content-encoding': 'gzip', 'content-type': 'application/fhir+json' });
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('an answer in a content-encoding not asked for is not read as text: 412 not-fhir', async () => {
  nock(BASE).get('/Condition').query(true).reply(200, 'compressed', { 'content-encoding': 'compress' });
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/not-fhir/);
});

test('a huge Bundle (5,000 entries, paged in two) that arrives in time: cards', async () => {
  const conditions = (
    searchInMemory(everything, `Condition?patient=${scenario.patient.id}`) as unknown as { entry: { resource: Record<string, unknown> }[] }
  ).entry;
  const filler = Array.from({ length: 2500 }, (_, i) => ({
    resource: {
      resourceType: 'Condition',
      id: `filler-${i}`,
      subject: { reference: `Patient/${scenario.patient.id}` },
      code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003', display: 'Hypertension' }] },
      recordedDate: '2019-01-01',
    },
  }));
  const next = `${BASE}/Condition?patient=${scenario.patient.id}&page=2`;
  nock(BASE)
    .get('/Condition')
    .query({ patient: scenario.patient.id })
    .reply(200, { resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: next }], entry: filler });
  nock(BASE)
    .get('/Condition')
    .query({ patient: scenario.patient.id, page: '2' })
    .reply(200, { resourceType: 'Bundle', type: 'searchset', entry: [...filler, ...conditions] });
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('a FHIR server that trickles a huge Bundle past the deadline: 412 timeout', async () => {
  const big = JSON.stringify({
    resourceType: 'Bundle',
    type: 'searchset',
    entry: Array.from({ length: 20000 }, (_, i) => ({ resource: { resourceType: 'Condition', id: `c${i}` } })),
  });
  nock(BASE)
    .get('/Condition')
    .query(true)
    .delay({ head: 0, body: TOO_LATE } as never)
    .reply(200, big);
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/timeout/);
});

test('an unreachable FHIR server: 412', async () => {
  // An Error, not a plain object: nock 14 drops a plain object on the http module's path.
  nock(BASE)
    .get('/Condition')
    .query(true)
    .replyWithError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/unreachable/);
});

test('the fhirAuthorization token is sent as a bearer token, and the answer matches full prefetch', async () => {
  const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${TOKEN}` } })
    .get('/Condition')
    .query({ patient: scenario.patient.id })
    .reply(200, conditionsBundle());
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
  expect(scope.isDone()).toBe(true);
});

test('next links are followed on the FHIR server', async () => {
  const [first, ...rest] = scenario.resources;
  const page1 = {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'next', url: `${BASE}/Condition?patient=${scenario.patient.id}&page=2` }],
    entry: [] as unknown[],
  };
  const page2 = {
    resourceType: 'Bundle',
    type: 'searchset',
    entry: [first, ...rest].filter((r) => r?.resourceType === 'Condition').map((resource) => ({ resource })),
  };
  nock(BASE).get('/Condition').query({ patient: scenario.patient.id }).reply(200, page1);
  nock(BASE).get('/Condition').query({ patient: scenario.patient.id, page: '2' }).reply(200, page2);
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('a paginated prefetch is completed from fhirServer', async () => {
  const body = requestMissing();
  const prefetch = body.prefetch as Record<string, unknown>;
  prefetch.conditions = {
    resourceType: 'Bundle',
    type: 'searchset',
    link: [{ relation: 'next', url: `${BASE}/Condition?page=2` }],
    entry: [],
  };
  nock(BASE).get('/Condition').query({ page: '2' }).reply(200, conditionsBundle());
  const res = await call(body);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('a next link to another server is never followed, so the token cannot leak: 412', async () => {
  const foreign = nock('http://elsewhere.test').get(/.*/).reply(200, conditionsBundle());
  nock(BASE)
    .get('/Condition')
    .query(true)
    .reply(200, {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [{ relation: 'next', url: 'http://elsewhere.test/fhir/Condition?page=2' }],
      entry: [],
    });
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
  expect(foreign.isDone()).toBe(false);
});

test('a next link that loops to itself ends in a 412, not an endless fetch', async () => {
  const self = `${BASE}/Condition?patient=${scenario.patient.id}`;
  nock(BASE)
    .persist()
    .get('/Condition')
    .query(true)
    .reply(200, { resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: self }], entry: [] });
  const res = await call(requestMissing('conditions'));
  expect(res.status).toBe(412);
});

test('the Patient read answers 404: the patient has no data, so 200 with no cards', async () => {
  nock(BASE)
    .get(`/Patient/${scenario.patient.id}`)
    .reply(404, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'not-found' }] });
  const res = await call(requestMissing('patient'));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ cards: [] });
});

test('no token and no patient data reach the logs during faults', () => {
  const all = service.logs.join('\n');
  expect(all).not.toContain(TOKEN);
  expect(all).not.toContain(scenario.patient.id);
  expect(all).not.toContain('ehr-fhir.test');
});
