/**
 * Requests that race a shutdown get a 503 they can act on (with Connection: close), not a refused
 * or reset connection: the listener stays open while a request is in flight and for a short linger.
 */
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { SERVICES } from '../../src/hooks/services.js';
import { createApp, protectionOf } from '../../src/http/app.js';
import { listen } from '../../src/http/listen.js';
import { shutDown } from '../../src/http/shutdown.js';
import { createLogger } from '../../src/log.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { knowledge, post } from '../support/harness.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
let fhir: StubServer;

beforeAll(async () => {
  // Slow enough that one call is still in flight while the racing requests arrive.
  fhir = await startStubServer(undefined, 60_000);
});
afterAll(() => fhir.close());

test('six requests sent after SIGTERM, while one is in flight, each get 503 with Connection: close; then the server closes', async () => {
  const config = loadConfig({ FHIR_SERVER_ALLOWLIST: `${fhir.url}/fhir`, FETCH_DEADLINE_MS: '1500', MAX_EVENT_LOOP_LAG_MS: '0' });
  const logger = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  const app = createApp({ config, knowledge: () => knowledge, logger, now: () => new Date(scenario.now) });
  const server: Server = await listen(app, 0, '127.0.0.1');
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/cds-services/${select.id}`;
  const protection = protectionOf(app);
  try {
    const inFlight = post(url, scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: `${fhir.url}/fhir` }));
    while (protection.inFlight() === 0) await new Promise((r) => setTimeout(r, 10));
    const closed = shutDown({ server, drain: () => protection.drain(), inFlight: () => protection.inFlight(), timeoutMs: 10_000, logger });
    const racing = await Promise.all(
      Array.from({ length: 6 }, () =>
        post(url, scenarioRequest(scenario, select, { prefetch: 'all' })).then(
          (r) => ({ status: r.status, connection: r.headers.get('connection') }),
          (err: Error) => ({ status: 0, connection: err.message }),
        ),
      ),
    );
    expect(racing).toEqual(Array(6).fill({ status: 503, connection: 'close' }));
    // The request in flight is still answered (412: its FHIR server never answered in time).
    expect((await inFlight).status).toBe(412);
    await closed;
    expect(server.listening).toBe(false);
  } finally {
    protection.close();
    if (server.listening) server.close();
  }
});
