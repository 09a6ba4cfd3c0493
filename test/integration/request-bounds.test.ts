/**
 * Bounds on one request's work (design.md, "Bounds"): at most 50 draft orders, so at most one
 * imaging card per order and a bounded response; past it a 400 that names the limit.
 */
import { MAX_DRAFT_ORDERS } from '../../src/hooks/request.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';

const sign = SERVICES.find((s) => s.id === 'back-pain-imaging-sign')!;
const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const ORDER = scenario.draftOrders[0]!;
let service: RunningService;

beforeAll(async () => {
  service = await startService();
  service.setNow(new Date(scenario.now));
});
afterAll(() => service.close());

function withOrders(svc: typeof sign, n: number): Record<string, unknown> {
  const body = scenarioRequest(scenario, svc, { prefetch: 'all' });
  const entry = Array.from({ length: n }, (_, i) => ({ resource: { ...ORDER, id: `lumbar-${i}` } }));
  const context = body.context as Record<string, unknown>;
  context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry };
  if (svc.hook === 'order-select') context.selections = entry.map((e) => `ServiceRequest/${e.resource.id}`);
  return body;
}

test(`${MAX_DRAFT_ORDERS} lumbar draft orders: answered, one card per order at most`, async () => {
  const res = await post(`${service.url}/cds-services/${sign.id}`, withOrders(sign, MAX_DRAFT_ORDERS));
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  const cards = (res.body as { cards: unknown[] }).cards;
  expect(cards.length).toBeGreaterThan(0);
  expect(cards.length).toBeLessThanOrEqual(MAX_DRAFT_ORDERS);
});

test.each([
  ['order-sign', 3000, sign, /context\.draftOrders\.entry: at most 50 draft orders per request/],
  ['order-sign', MAX_DRAFT_ORDERS + 1, sign, /at most 50 draft orders per request/],
  ['order-select', MAX_DRAFT_ORDERS + 1, select, /at most 50 draft orders per request/],
])('%s with %i draft orders: 400 naming the limit', async (_hook, n, svc, message) => {
  const res = await post(`${service.url}/cds-services/${svc.id}`, withOrders(svc, n));
  expect(res.status).toBe(400);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toMatch(message);
});
