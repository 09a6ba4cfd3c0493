/**
 * fhirServer must be on the allowlist, or the request is refused (400) before any outbound
 * request: a local listener standing in for an attacker's target must see no hit at all.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { scenarioBundle } from '../../src/demo/scenarios/bundle.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const TOKEN = 'allowlist-test-token-51c2';
let listener: Server;
let target: string;
let hits = 0;
let fhir: RunningFhirServer;
let service: RunningService;

beforeAll(async () => {
  listener = createServer((req, res) => {
    hits++;
    res.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Bundle","type":"searchset"}');
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  target = `http://127.0.0.1:${(listener.address() as AddressInfo).port}`;
  fhir = await startFhirServer({ port: 0 });
  await fhir.load([scenarioBundle(scenario)]);
  // Only the real FHIR server's exact base is allowed; the listener shares its host but not its port.
  service = await startService({ FHIR_SERVER_ALLOWLIST: fhir.url });
});
afterAll(async () => {
  await service.close();
  await fhir.close();
  await new Promise<void>((resolve) => {
    listener.close(() => resolve());
    listener.closeAllConnections();
  });
});

const url = (): string => `${service.url}/cds-services/${select.id}`;

test('the allowlisted FHIR server is read, with the bearer token', async () => {
  const res = await post(url(), scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: fhir.url, accessToken: TOKEN }));
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect((res.body as { cards: unknown[] }).cards).toHaveLength(1);
});

test.each([
  ['another port on the same host', () => `${target}/fhir`],
  ['another path on the allowed server', () => fhir.url.replace(/\/fhir$/, '/admin')],
  ['a path below the allowed base', () => `${fhir.url}/Patient`],
  ['credentials in the URL', () => fhir.url.replace('http://', 'http://user:pw@')],
  ['a query string', () => `${fhir.url}?x=1`],
  ['dot segments that leave the base', () => `${fhir.url}/../admin`],
])('%s: 400 with an OperationOutcome and no outbound request', async (_name, server) => {
  const before = hits;
  for (const prefetch of ['none', 'all'] as const) {
    const res = await post(url(), scenarioRequest(scenario, select, { prefetch, fhirServer: server(), accessToken: TOKEN }));
    expect(res.status).toBe(400);
    assertOperationOutcome(res.body);
    expect(JSON.stringify(res.body)).toMatch(/fhirServer is not a FHIR server this service is configured to call/);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
  }
  expect(hits).toBe(before);
});

test('the listener saw no request at all, and no token reached the logs', () => {
  expect(hits).toBe(0);
  expect(service.logs.join('\n')).not.toContain(TOKEN);
});
