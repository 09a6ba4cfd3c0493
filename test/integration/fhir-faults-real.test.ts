/**
 * Faults in front of the real FHIR server (src/fhir-server): the same Medplum-backed server the
 * other integration tests read, reached through routes that delay it, reset the connection, or cut
 * the answer mid-body. Each request is answered in time with the right status, and nothing is left
 * behind: no connection to the FHIR server stays open and no fetch slot stays taken.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import { createFhirApp } from '../../src/fhir-server/app.js';
import { loadBundles } from '../../src/fhir-server/load.js';
import { SERVICES } from '../../src/hooks/services.js';
import { scenarioBundle } from '../../src/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../../src/scenarios/load.js';
import { scenarioRequest } from '../../src/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome, ruleIds } from '../support/spec.js';

// Long enough for the in-memory server's searches on a busy CI machine; the checks are relative to it.
const DEADLINE = 1000;
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
  app.use('/slow', (_req, res, next) => {
    slowHits++;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!res.destroyed) next();
    }, slowMs);
    timers.add(t);
  }, fhir.app);
  // Condition searches only: the connection is reset before any answer.
  app.use('/reset', (req, _res, next) => (req.url.startsWith('/fhir/Condition') ? req.socket.destroy() : next()), fhir.app);
  // Condition searches only: headers and half a body, then the connection closes.
  app.use('/cut', (req, res, next) => {
    if (!req.url.startsWith('/fhir/Condition')) return next();
    res.writeHead(200, { 'content-type': 'application/fhir+json', 'content-length': '5000' });
    res.write('{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Condi');
    setImmediate(() => req.socket.destroy());
  }, fhir.app);
  front = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
  service = await startService({ FETCH_DEADLINE_MS: String(DEADLINE), FHIR_SERVER_ALLOWLIST: `${base}/*`, FHIR_MAX_CONCURRENT_FETCHES: '4' });
  // The first request pays for JIT compilation; the timed tests measure the service, not that.
  await post(`${service.url}/cds-services/${select.id}`, scenarioRequest(scenario, select, { prefetch: 'none', fhirServer: `${base}/ok/fhir`, accessToken: TOKEN }));
});
afterAll(async () => {
  for (const t of timers) clearTimeout(t);
  await service.close();
  await new Promise<void>((resolve) => {
    front.close(() => resolve());
    front.closeAllConnections();
  });
});

async function call(route: string, prefetch: 'none' | 'all' | string[] = 'none'): Promise<{ status: number; body: unknown; ms: number }> {
  const started = Date.now();
  const res = await post(`${service.url}/cds-services/${select.id}`, scenarioRequest(scenario, select, { prefetch, fhirServer: `${base}/${route}/fhir`, accessToken: TOKEN }));
  return { ...res, ms: Date.now() - started };
}

async function nothingOpen(): Promise<void> {
  for (let i = 0; i < 100 && open > 0; i++) await new Promise((r) => setTimeout(r, 10));
  expect(open).toBe(0);
}

test('control: everything read from the real server gives the card', async () => {
  const res = await call('ok');
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('slow but inside the deadline: the card, in time', async () => {
  slowMs = 100;
  const res = await call('slow');
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
  expect(res.ms).toBeLessThan(DEADLINE + 100);
});

test('slow past the deadline: 412 within the deadline plus 100 ms, and the connections are let go', async () => {
  slowMs = DEADLINE + 1500;
  const res = await call('slow');
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(JSON.stringify(res.body)).toMatch(/timeout/);
  expect(res.ms).toBeLessThan(DEADLINE + 100);
  await nothingOpen();
});

test('slow past the deadline but everything prefetched: the card, and the slow server is never asked', async () => {
  slowMs = DEADLINE + 1500;
  const before = slowHits;
  const res = await call('slow', 'all');
  expect(slowHits).toBe(before);
  expect(res.status).toBe(200);
  expect(ruleIds(res.body as never)).toEqual(['imaging-defer']);
});

test('the Patient read past the deadline is a 412, not "no patient"', async () => {
  slowMs = DEADLINE + 1500;
  const res = await call('slow', Object.keys(select.prefetch).filter((k) => k !== 'patient'));
  expect(res.status).toBe(412);
  expect(res.ms).toBeLessThan(DEADLINE + 100);
  await nothingOpen();
});

test('a connection reset: 412 in time', async () => {
  const res = await call('reset');
  expect(res.status).toBe(412);
  expect(JSON.stringify(res.body)).toMatch(/unreachable/);
  expect(res.ms).toBeLessThan(DEADLINE + 100);
});

test('a connection closed in the middle of the body: 412 in time', async () => {
  const res = await call('cut');
  expect(res.status).toBe(412);
  assertOperationOutcome(res.body);
  expect(res.ms).toBeLessThan(DEADLINE + 100);
});

test('after many timeouts no fetch slot is left taken: a normal request still reads everything', async () => {
  slowMs = DEADLINE + 1500;
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
