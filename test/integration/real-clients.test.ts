/**
 * What real CDS clients send that the spec's letter does not, accepted where it is safe
 * (design.md, "Protocol choices beyond the spec"). Each case is the request such a client sends,
 * over HTTP to the real service, and the real demo FHIR server where the service must read.
 */
import { SERVICES } from '../../src/hooks/services.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { scenarioBundle } from '../../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome, ruleIds } from '../support/spec.js';

type Json = Record<string, unknown>;
type Cards = { cards: { summary: string; detail?: string; suggestions?: { actions: { type: string; resourceId?: string }[] }[] }[] };

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const sign = SERVICES.find((s) => s.id === 'back-pain-imaging-sign')!;
const stratified = SERVICES.find((s) => s.id === 'back-pain-stratified-care')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const ORDER = scenario.draftOrders[0]!;
let fhir: RunningFhirServer;
let service: RunningService;

beforeAll(async () => {
  fhir = await startFhirServer({ port: 0 });
  await fhir.load([scenarioBundle(scenario)]);
  service = await startService({ FHIR_SERVER_ALLOWLIST: fhir.url });
  service.setNow(new Date(scenario.now));
});
afterAll(async () => {
  await service.close();
  await fhir.close();
});

const call = (id: string, body: unknown) => post(`${service.url}/cds-services/${id}`, body);
const context = (body: Json): Json => body.context as Json;
const deletes = (body: unknown): string[] =>
  (body as Cards).cards.flatMap((c) =>
    (c.suggestions ?? []).flatMap((s) => s.actions.filter((a) => a.type === 'delete').map((a) => a.resourceId ?? '')),
  );

test('a client that sends prefetch keys the service did not ask for (any shape): they are ignored, not a 400', async () => {
  const body = scenarioRequest(scenario, select, { prefetch: 'all' });
  Object.assign(body.prefetch as Json, {
    encounters: 'not a resource',
    otherService: { resourceType: 'Bundle', type: 'searchset' },
    list: [1, 2],
  });
  const res = await call(select.id, body);
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('a key the service asked for is still checked', async () => {
  const body = scenarioRequest(scenario, select, { prefetch: 'all' });
  (body.prefetch as Json).patient = 'not a resource';
  const res = await call(select.id, body);
  expect(res.status).toBe(400);
  assertOperationOutcome(res.body);
});

test.each([
  ['without token_type (Bearer is meant)', (auth: Json) => void delete auth.token_type],
  ['with expires_in as a numeric string', (auth: Json) => void (auth.expires_in = '300')],
])('a client that sends fhirAuthorization %s: the service reads the FHIR server with the token', async (_name, edit) => {
  const body = scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: fhir.url, accessToken: 'real-client-token' });
  edit(body.fhirAuthorization as Json);
  const res = await call(select.id, body);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('a fhirAuthorization with another token_type is still refused', async () => {
  const body = scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: fhir.url, accessToken: 'real-client-token' });
  (body.fhirAuthorization as Json).token_type = 'MAC';
  expect((await call(select.id, body)).status).toBe(400);
});

test('a client that sends selections as bare ids: each names the draft order with that id', async () => {
  const body = scenarioRequest(scenario, select, { prefetch: 'all' });
  context(body).selections = [ORDER.id];
  const res = await call(select.id, body);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
  expect(deletes(res.body)).toContain(`ServiceRequest/${ORDER.id}`);
});

test('a bare id that names no draft order, or two, is a 400', async () => {
  const none = scenarioRequest(scenario, select, { prefetch: 'all' });
  context(none).selections = ['no-such-order'];
  expect((await call(select.id, none)).status).toBe(400);
  const two = scenarioRequest(scenario, select, { prefetch: 'all' });
  const orders = context(two).draftOrders as { entry: { resource: Json }[] };
  orders.entry.push({ resource: { ...ORDER, resourceType: 'MedicationRequest' } });
  context(two).selections = [ORDER.id];
  expect((await call(select.id, two)).status).toBe(400);
});

test('a client that sends draft orders without an id: each is evaluated, and no suggestion deletes it', async () => {
  const body = scenarioRequest(scenario, sign, { prefetch: 'all' });
  const { id: _ignored, ...withoutId } = ORDER;
  (context(body).draftOrders as { entry: unknown[] }).entry = [{ resource: withoutId }, { resource: withoutId }];
  const res = await call(sign.id, body);
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer', 'imaging-defer']);
  expect(deletes(res.body)).toEqual([]);
  expect(JSON.stringify(res.body)).not.toContain('ServiceRequest/unknown');
});

test.each([
  ['with full prefetch', 'all' as const, select],
  ['read from the FHIR server', 'none' as const, select],
  ['on patient-view, read from the FHIR server', 'none' as const, stratified],
])('a client that writes patientId as Patient/{id} (%s): the same answer as the bare id', async (_name, prefetch, svc) => {
  const bare = scenarioRequest(scenario, svc, { prefetch, fhirServer: fhir.url });
  const prefixed = structuredClone(bare);
  context(prefixed).patientId = `Patient/${scenario.patient.id}`;
  const [a, b] = [await call(svc.id, bare), await call(svc.id, prefixed)];
  expect(b.status).toBe(200);
  expect(ruleIds(b.body as never)).toEqual(ruleIds(a.body as never));
});
