/**
 * Faults in front of the real FHIR server (src/demo/fhir-server): the same Medplum-backed server the
 * other integration tests read, reached through routes that delay it, reset the connection, or cut
 * the answer mid-body. Each request is answered in time with the right status, and nothing is left
 * behind: no connection to the FHIR server stays open and no fetch slot stays taken.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createFhirApp } from '../../src/demo/fhir-server/app.js';
import { loadBundles } from '../../src/demo/fhir-server/load.js';
import { SERVICES } from '../../src/hooks/services.js';
import { scenarioBundle } from '../../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { eventually } from '../support/eventually.js';
import { assertCdsResponse, assertOperationOutcome, ruleIds } from '../support/spec.js';

// Long enough for the in-memory server's searches on a busy CI machine. No check times the machine:
// a timeout shows as a 412 that says so, and the slow route answers far later than the deadline.
const DEADLINE = 3000;
const TOO_LATE = DEADLINE + 10_000;
const TOKEN = 'real-fault-token-93ab';
const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
let front: Server;
let base: string;
let service: RunningService;
let slowMs = 0;
let slowHits = 0;
let open = 0;
const timers = new Set<NodeJS.Timeout>();

/** Counts requests still open on the FHIR side, to show the service lets go of every one. */
function track(req: Request, res: Response, next: NextFunction): void {
  open++;
  let closed = false;
  const done = (): void => {
    if (!closed) open--;
    closed = true;
  };
  res.once('close', done);
  req.socket.once('close', done);
  next();
}

beforeAll(async () => {
  const fhir = createFhirApp();
  await loadBundles({ router: fhir.router, repo: fhir.repo }, [scenarioBundle(scenario)]);
  const app = express();
  app.use(track);
  app.use('/ok', fhir.app);
  app.use(
    '/slow',
    (_req, res, next) => {
      slowHits++;
      const t = setTimeout(() => {
        timers.delete(t);
        if (!res.destroyed) next();
      }, slowMs);
      timers.add(t);
    },
    fhir.app,
  );
  // Condition searches only: the connection is reset before any answer.
  app.use('/reset', (req, _res, next) => (req.url.startsWith('/fhir/Condition') ? req.socket.destroy() : next()), fhir.app);
  // Condition searches only: headers and half a body, then the connection closes.
  app.use(
    '/cut',
    (req, res, next) => {
      if (!req.url.startsWith('/fhir/Condition')) return next();
      res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': '5000' });
      res.write('{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Condi');
      setImmediate(() => req.socket.destroy());
    },
    fhir.app,
  );
  front = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  service = await startService({
    FETCH_DEADLINE_MS: String(DEADLINE),
    FHIR_SERVER_ALLOWLIST: `${base}/*`,
    FHIR_MAX_CONCURRENT_FETCHES: '4',
  });
});
afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  await service.close();
  await new Promise<void>((resolve) => {
    front.close(() => resolve());
    front.closeAllConnections();
  });
});

function call(route: string, prefetch: 'none' | 'all' | string[] = 'none'): Promise<{ status: number; body: unknown }> {
  return post(
    `${service.url}/cds-services/${select.id}`,
    scenarioRequest(scenario, select, { prefetch, fhirServer: `${base}/${route}/fhir`, accessToken: TOKEN }),
  );
}

async function nothingOpen(): Promise<void> {
  await eventually(() => open === 0, 'every FHIR connection closed');
}

test('control: everything read from the real server gives the card', async () => {
  const res = await call('ok');
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('slow but inside the deadline: the card', async () => {
  slowMs = 100;
  const res = await call('slow');
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('slow past the deadline: 412 timeout, and the connections are let go', async () => {
  slowMs = TOO_LATE;
  const res = await call('slow');
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toMatch(/timeout/);
  await nothingOpen();
});

test('slow past the deadline but everything prefetched: the card, and the slow server is never asked', async () => {
  slowMs = TOO_LATE;
  const before = slowHits;
  const res = await call('slow', 'all');
  expect(slowHits).toBe(before);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('the Patient read past the deadline is a 412, not "no patient"', async () => {
  slowMs = TOO_LATE;
  const res = await call(
    'slow',
    Object.keys(select.prefetch).filter((k) => k !== 'patient'),
  );
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/timeout/);
  await nothingOpen();
});

test('a connection reset: 412 unreachable', async () => {
  const res = await call('reset');
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/unreachable/);
});

test('a connection closed in the middle of the body: 412', async () => {
  const res = await call('cut');
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
});

test('after many timeouts no fetch slot is left taken: a normal request still reads everything', async () => {
  slowMs = TOO_LATE;
  const timedOut = await Promise.all([0, 1, 2, 3, 4].map(() => call('slow')));
  for (const r of timedOut) expect(r.status).toBe(412);
  await nothingOpen();
  const res = await call('ok');
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('no token and no patient data reach the logs', () => {
  const all = service.logs.join('\n');
  expect(all).not.toContain(TOKEN);
  expect(all).not.toContain(scenario.patient.id);
});
