/**
 * Slow clients over real sockets on loopback: callers that trickle their request bodies must not
 * starve callers whose requests are whole, are cut off with a 408 well before an EHR gives up, and
 * one address cannot hold more connections than its cap; readiness says 503 exactly when a whole
 * hook call would be shed. Outcomes are asserted, never durations.
 */
import { connect, type Socket } from 'node:net';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { ruleIds } from '../support/spec.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const NO_SHEDDING = { MAX_EVENT_LOOP_LAG_MS: '0', RATE_LIMIT_PER_MINUTE: '0' };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface RawClient {
  socket: Socket;
  /** Everything the server sent, once the connection is closed. */
  closed: Promise<string>;
}

function rawClient(serviceUrl: string, request: string): RawClient {
  const { hostname, port } = new URL(serviceUrl);
  const socket = connect(Number(port), hostname);
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (d: string) => (received += d));
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(received)));
  socket.write(request);
  return { socket, closed };
}

/** A hook call whose body says 100 KB and arrives a byte every 200 ms, as in the attack. */
function slowBody(serviceUrl: string): RawClient {
  const head =
    `POST /cds-services/${select.id} HTTP/1.1\r\n` + 'Host: localhost\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{';
  const client = rawClient(serviceUrl, head);
  const drip = setInterval(() => client.socket.writable && client.socket.write(' '), 200);
  void client.closed.then(() => clearInterval(drip));
  return client;
}

/** GET /healthz on a connection of its own: the status code, or 0 when the connection was cut without one. */
async function healthOnNewConnection(serviceUrl: string): Promise<number> {
  const text = await rawClient(serviceUrl, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n').closed;
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

async function eventually(check: () => Promise<boolean>, tries = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await sleep(50);
  }
  return false;
}

const open: RawClient[] = [];
afterEach(() => {
  for (const c of open.splice(0)) c.socket.destroy();
});

describe('slow request bodies', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ ...NO_SHEDDING, MAX_IN_FLIGHT: '4', BODY_TIMEOUT_MS: '1000', MAX_CONNECTIONS_PER_ADDRESS: '0' });
    service.setNow(new Date(scenario.now));
  });
  afterAll(() => service.close());

  test('twenty trickling bodies (five times MAX_IN_FLIGHT) do not starve a whole request, and each gets a 408', async () => {
    const slow = Array.from({ length: 20 }, () => slowBody(service.url));
    open.push(...slow);
    await sleep(300); // let them all be taken in; nothing below depends on how long this is
    const res = await post(`${service.url}/cds-services/${select.id}`, scenarioRequest(scenario, select, { prefetch: 'all' }));
    expect(res.status).toBe(200);
    expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
    // Cut off by the body deadline, not left for Node's five minutes (the test's own timeout bounds this).
    const answers = await Promise.all(slow.map((c) => c.closed));
    for (const a of answers) expect(a).toMatch(/^HTTP\/1\.1 408 /);
    const metrics = await (await fetch(`${service.url}/metrics`)).text();
    expect(metrics).toMatch(/backpain_cds_rejected_requests_total\{reason="body-timeout"\} 20/);
  }, 20_000);
});

describe('connections per address', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ ...NO_SHEDDING, BODY_TIMEOUT_MS: '0', MAX_CONNECTIONS_PER_ADDRESS: '3' });
  });
  afterAll(() => service.close());

  test('past the cap a new connection from the same address is refused with 429; once they close, it is served', async () => {
    const held = Array.from({ length: 3 }, () => slowBody(service.url));
    open.push(...held);
    expect(await eventually(async () => (await healthOnNewConnection(service.url)) === 429)).toBe(true);
    for (const c of held) c.socket.destroy();
    await Promise.all(held.map((c) => c.closed));
    expect(await eventually(async () => (await healthOnNewConnection(service.url)) === 200)).toBe(true);
  }, 20_000);
});

describe('readiness under load', () => {
  let service: RunningService;
  let fhir: StubServer;
  beforeAll(async () => {
    // A FHIR server that never answers in time: each call holds its in-flight slot until the deadline.
    fhir = await startStubServer(undefined, 60_000);
    service = await startService({
      ...NO_SHEDDING,
      MAX_IN_FLIGHT: '2',
      FETCH_DEADLINE_MS: '3000',
      FHIR_SERVER_ALLOWLIST: `${fhir.url}/fhir`,
    });
    service.setNow(new Date(scenario.now));
  });
  afterAll(async () => {
    await service.close();
    await fhir.close();
  });

  test('with every in-flight slot taken, /readyz is 503 (capacity) and a new call is shed; then ready again', async () => {
    const body = (): Record<string, unknown> => scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: `${fhir.url}/fhir` });
    const holding = [post(`${service.url}/cds-services/${select.id}`, body()), post(`${service.url}/cds-services/${select.id}`, body())];
    expect(await eventually(async () => (await fetch(`${service.url}/readyz`)).status === 503)).toBe(true);
    const ready = (await (await fetch(`${service.url}/readyz`)).json()) as { checks: Record<string, string> };
    expect(ready.checks.capacity).toBe('failed');
    expect((await post(`${service.url}/cds-services/${select.id}`, body())).status).toBe(503);
    expect((await Promise.all(holding)).map((r) => r.status)).toEqual([412, 412]);
    expect((await fetch(`${service.url}/readyz`)).status).toBe(200);
  }, 20_000);
});
