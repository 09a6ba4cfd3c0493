/**
 * Event-loop lag sheds only on sustained overload: lag in every window of the sampler AND enough
 * requests in flight for shedding to help. One long stall, or lag with few requests in flight (a
 * sandbox loading one patient), never sheds: an EHR shows a refused call as "all clear". Driven
 * by an injected sampler; no test here blocks the event loop or measures time.
 */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { SERVICES } from '../../src/hooks/services.js';
import { createApp, protectionOf } from '../../src/http/app.js';
import { listen } from '../../src/http/listen.js';
import { sustainedLag, type LagSampler } from '../../src/http/limits.js';
import { createLogger } from '../../src/log.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { knowledge, post } from '../support/harness.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
/** The sampler's answer: what the windows say, set by each test. */
let lagMs = 0;
const sampler: LagSampler = { sustainedLagMs: () => lagMs, stop: () => undefined };
let fhir: StubServer;
let server: Server;
let url = '';
let metricsUrl = '';
let inFlight: () => number;

beforeAll(async () => {
  // Never answers in time: a call that reads from it holds its in-flight slot until the deadline.
  fhir = await startStubServer(undefined, 60_000);
  // 64 slots: lag sheds only with at least 4 (64 / 16) requests in flight.
  const config = loadConfig({
    FHIR_SERVER_ALLOWLIST: `${fhir.url}/fhir`,
    FETCH_DEADLINE_MS: '2000',
    MAX_IN_FLIGHT: '64',
    MAX_EVENT_LOOP_LAG_MS: '500',
    RATE_LIMIT_PER_MINUTE: '0',
  });
  const logger = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  const app = createApp({ config, knowledge: () => knowledge, logger, now: () => new Date(scenario.now), lagSampler: sampler });
  server = await listen(app, 0, '127.0.0.1');
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  url = `${base}/cds-services/${select.id}`;
  metricsUrl = `${base}/metrics`;
  inFlight = () => protectionOf(app).inFlight();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await fhir.close();
});

const whole = () => post(url, scenarioRequest(scenario, select, { prefetch: 'all' }));
const holding = () => post(url, scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: `${fhir.url}/fhir` }));

async function withInFlight(n: number, fn: () => Promise<void>): Promise<void> {
  const held = Array.from({ length: n }, holding);
  while (inFlight() < n) await new Promise((r) => setTimeout(r, 10));
  try {
    await fn();
  } finally {
    for (const r of await Promise.all(held)) expect(r.status).toBe(412);
  }
}

test('heavy lag with nothing else in flight (one sandbox page load): answered, never shed', async () => {
  lagMs = 5000;
  expect((await whole()).status).toBe(200);
});

test('heavy lag with few requests in flight: answered', async () => {
  lagMs = 5000;
  await withInFlight(2, async () => {
    expect((await whole()).status).toBe(200);
  });
});

test('sustained lag with many requests in flight: shed with 503 and Retry-After, counted as event-loop-lag', async () => {
  lagMs = 800;
  await withInFlight(4, async () => {
    const res = await whole();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
  });
  expect(await (await fetch(metricsUrl)).text()).toMatch(/backpain_cds_rejected_requests_total\{reason="event-loop-lag"\} 1/);
});

test('many requests in flight but lag under the threshold: answered', async () => {
  lagMs = 400;
  await withInFlight(4, async () => {
    expect((await whole()).status).toBe(200);
  });
});

test('the windows: one long stall is not sustained lag; lag in every window is', () => {
  expect(sustainedLag([0, 2000, 0], 3)).toBe(0);
  expect(sustainedLag([2000, 2000], 3)).toBe(0);
  expect(sustainedLag([900, 700, 650], 3)).toBe(650);
  expect(sustainedLag([10, 900, 700, 650], 3)).toBe(650);
});
