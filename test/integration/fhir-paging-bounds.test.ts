/**
 * Next links over real sockets: a link that resolves outside the allowed base (dot segments) is
 * never fetched, whether it comes from the FHIR server or from the EHR's prefetch, so the bearer
 * token cannot reach another path; a link that spells the same allowlisted base differently
 * (`localhost` for `127.0.0.1`) is followed.
 */
import type { IncomingMessage } from 'node:http';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { searchInMemory } from '../../src/demo/scenarios/search.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertOperationOutcome, ruleIds } from '../support/spec.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

const TOKEN = 'paging-bounds-token-90af';
const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const conditions = searchInMemory([scenario.patient, ...scenario.resources], `Condition?patient=${scenario.patient.id}`);

let stub: StubServer;
let service: RunningService;
/** What the stub answers to a Condition search's first page: the next link under test. */
let nextUrl = '';
const outside: IncomingMessage['headers'][] = [];

beforeAll(async () => {
  stub = await startStubServer((req, res) => {
    const json = (body: unknown): void => void res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(body));
    if (!req.url?.startsWith('/fhir/')) {
      outside.push(req.headers);
      return json(conditions);
    }
    if (req.url.includes('page=2')) return json(conditions);
    return json({ resourceType: 'Bundle', type: 'searchset', link: [{ relation: 'next', url: nextUrl }], entry: [] });
  });
  service = await startService({ FHIR_SERVER_ALLOWLIST: 'http://127.0.0.1:*/fhir,http://localhost:*/fhir' });
});
beforeEach(() => {
  outside.length = 0;
});
afterAll(async () => {
  await service.close();
  await stub.close();
});

const base = (): string => `${stub.url}/fhir`;
const port = (): string => new URL(stub.url).port;
const call = (body: unknown) => post(`${service.url}/cds-services/${select.id}`, body);
function requestMissingConditions(): Record<string, unknown> {
  const keys = Object.keys(select.prefetch).filter((k) => k !== 'conditions');
  return scenarioRequest(scenario, select, { prefetch: keys, fhirServer: base(), accessToken: TOKEN });
}

test.each([
  ['dot segments', () => `${base()}/../admin?page=2`],
  ['percent-encoded dot segments', () => `${base()}/%2e%2e/admin?page=2`],
  ['a relative link up and out', () => '../admin?page=2'],
])('a next link from the FHIR server that leaves the base by %s is not fetched: 412', async (_name, link) => {
  nextUrl = link();
  const res = await call(requestMissingConditions());
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(outside).toHaveLength(0);
});

test("a next link in the EHR's prefetch that leaves the base is not fetched: 412", async () => {
  const body = scenarioRequest(scenario, select, { prefetch: 'all', fhirServer: base(), accessToken: TOKEN });
  (body.prefetch as Record<string, unknown>).conditions = { ...conditions, link: [{ relation: 'next', url: `${base()}/../admin?page=2` }] };
  const res = await call(body);
  expect(res.status).toBe(412);
  expect(outside).toHaveLength(0);
});

test('a next link that spells the host differently, under the same allowlisted base, is followed', async () => {
  nextUrl = `http://localhost:${port()}/fhir/Condition?patient=${scenario.patient.id}&page=2`;
  const res = await call(requestMissingConditions());
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});
