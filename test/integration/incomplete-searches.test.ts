/**
 * A searchset that says it is only part of the answer (an OperationOutcome entry with severity error
 * or fatal, or a total larger than the matches it holds) is never read as the whole record: the
 * service fetches that key itself from fhirServer (the real demo FHIR server here), or answers 412.
 * Read as whole, it would let imaging-defer say "no red flags" about a record it never saw.
 */
import type { Bundle } from 'fhir/r4.js';
import { incompleteSearch } from '../../src/context/search-completeness.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { scenarioBundle } from '../../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { SERVICES } from '../../src/hooks/services.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertOperationOutcome, ruleIds } from '../support/spec.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

type Json = Record<string, unknown>;
const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const stratified = SERVICES.find((s) => s.id === 'back-pain-stratified-care')!;
// Back pain for 10 days and a history of breast cancer: the cancer must block imaging-defer.
const cancer = readScenario(`${scenariosDir}/real-world-versioned-reference-cancer.json`);
const defer = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);

const outcomeEntry = (severity: string, code: string) => ({
  resource: { resourceType: 'OperationOutcome', issue: [{ severity, code, diagnostics: 'not every result could be returned' }] },
  search: { mode: 'outcome' },
});

let fhir: RunningFhirServer;
let service: RunningService;
let stub: StubServer;

beforeAll(async () => {
  fhir = await startFhirServer({ port: 0 });
  await fhir.load([scenarioBundle(cancer), scenarioBundle(defer)]);
  // A server that answers every search with an error outcome entry (what a real server will not do on demand).
  stub = await startStubServer((req, res) => {
    const patient = req.url?.includes('/Patient/') ? cancer.patient : undefined;
    const body = patient ?? { resourceType: 'Bundle', type: 'searchset', entry: [outcomeEntry('error', 'exception')] };
    res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(body));
  });
  service = await startService();
  service.setNow(new Date(cancer.now));
});
afterAll(async () => {
  await service.close();
  await fhir.close();
  await stub.close();
});

const call = (id: string, body: unknown) => post(`${service.url}/cds-services/${id}`, body);

/** The EHR's Condition prefetch without the cancer, plus what the EHR adds to say it is partial. */
function partialConditions(body: Json, edit: (conditions: Bundle) => void): Json {
  const prefetch = body.prefetch as Record<string, Bundle>;
  const conditions = prefetch.conditions!;
  conditions.entry = (conditions.entry ?? []).filter((e) => e.resource?.id !== 'rw-versioned-cancer');
  conditions.total = conditions.entry.length;
  edit(conditions);
  return body;
}

test.each([
  ['an error OperationOutcome entry', (b: Bundle) => void b.entry!.push(outcomeEntry('error', 'processing') as never)],
  ['a fatal OperationOutcome entry', (b: Bundle) => void b.entry!.push(outcomeEntry('fatal', 'exception') as never)],
  ['a warning that results were suppressed', (b: Bundle) => void b.entry!.push(outcomeEntry('warning', 'suppressed') as never)],
  ['a total larger than its matches', (b: Bundle) => void (b.total = (b.total ?? 0) + 1)],
])('a prefetch with %s is fetched again from fhirServer, and the cancer found there blocks imaging-defer', async (_name, edit) => {
  const body = partialConditions(scenarioRequest(cancer, select, { prefetch: 'all', fhirServer: fhir.url }), edit);
  const res = await call(select.id, body);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual([]);
});

test('the same on patient-view: red-flag-review names the cancer read from fhirServer', async () => {
  const body = partialConditions(scenarioRequest(cancer, stratified, { prefetch: 'all', fhirServer: fhir.url }), (b) => {
    b.entry!.push(outcomeEntry('error', 'processing') as never);
  });
  const res = await call(stratified.id, body);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['red-flag-review']);
});

test.each([
  ['an error OperationOutcome entry', (b: Bundle) => void b.entry!.push(outcomeEntry('error', 'processing') as never)],
  ['a total larger than its matches', (b: Bundle) => void (b.total = (b.total ?? 0) + 1)],
])('a prefetch with %s and no fhirServer is a 412 that says why, not imaging-defer', async (_name, edit) => {
  const res = await call(select.id, partialConditions(scenarioRequest(cancer, select, { prefetch: 'all' }), edit));
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toContain('prefetch \\"conditions\\" is missing, incomplete or an OperationOutcome');
});

test('a FHIR server whose search answers an error outcome entry: 412 naming the key, not imaging-defer', async () => {
  const body = scenarioRequest(cancer, select, { prefetch: ['patient'], fhirServer: `${stub.url}/fhir` });
  const res = await call(select.id, body);
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toMatch(/fhirServer answered \\"\w+\\" only in part: it holds an OperationOutcome/);
});

test('"no results" outcomes (information, or a not-found warning) are whole answers: the defer card stands', async () => {
  const body = scenarioRequest(defer, select, { prefetch: 'all' });
  (body.prefetch as Json).observations = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: 0,
    entry: [outcomeEntry('information', 'informational'), outcomeEntry('warning', 'not-found')],
  };
  service.setNow(new Date(defer.now));
  try {
    const res = await call(select.id, body);
    expect(res.status).toBe(200);
    expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
  } finally {
    service.setNow(new Date(cancer.now));
  }
});

test('incompleteSearch counts matches only: included resources and outcomes are not short of the total', () => {
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    total: 1,
    entry: [
      { resource: { resourceType: 'Condition', id: 'c', subject: {} }, search: { mode: 'match' } },
      { resource: { resourceType: 'Patient', id: 'p' }, search: { mode: 'include' } },
      outcomeEntry('warning', 'not-found') as never,
    ],
  };
  expect(incompleteSearch(bundle)).toBeUndefined();
  expect(incompleteSearch({ ...bundle, total: 2 })).toBe('its total is 2 but it holds 1 match');
  expect(incompleteSearch({ resourceType: 'Patient' })).toBeUndefined();
  expect(incompleteSearch(null)).toBeUndefined();
});
