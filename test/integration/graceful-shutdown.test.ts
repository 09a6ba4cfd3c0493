/**
 * SIGTERM on the real service process: requests in flight are answered, newcomers get 503 with
 * Connection: close (not resets), and the process exits 0; past SHUTDOWN_TIMEOUT_MS it exits anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/scenarios/load.js';
import { scenarioRequest } from '../../src/scenarios/requests.js';
import { buildSrc } from '../support/build.js';
import { post } from '../support/harness.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
let main: string;
let fhir: Server;
let fhirBase: string;
let fhirDelayMs = 0;
let fhirRequests = 0;
const timers = new Set<NodeJS.Timeout>();
const children: ChildProcess[] = [];

beforeAll(async () => {
  main = buildSrc('src/main');
  // A FHIR server that answers every search with an empty Bundle after a delay, to hold a request in flight.
  fhir = createServer((_req, res) => {
    fhirRequests++;
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Bundle","type":"searchset","entry":[]}');
    }, fhirDelayMs);
    timers.add(timer);
  });
  await new Promise<void>((resolve) => fhir.listen(0, '127.0.0.1', resolve));
  fhirBase = `http://127.0.0.1:${(fhir.address() as AddressInfo).port}/fhir`;
});
afterAll(
  () =>
    new Promise<void>((resolve) => {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
      for (const t of timers) clearTimeout(t);
      fhir.close(() => resolve());
      fhir.closeAllConnections();
    }),
);

interface Child {
  process: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; at: number }>;
}

async function startChild(env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--experimental-websocket', main], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', DEMO_FHIR: 'false', LOG_LEVEL: 'info', FHIR_SERVER_ALLOWLIST: fhirBase, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; at: number }>((resolve) => child.once('exit', (code) => resolve({ code, at: Date.now() })));
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start-up line:\n${out}`)), 15000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /CDS Hooks discovery: (http:\/\/\S+)\/cds-services/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    void exited.then(() => reject(new Error(`exited before start-up:\n${out}`)));
  });
  return { process: child, url, exited };
}

const slowRequest = (): Record<string, unknown> =>
  scenarioRequest(scenario, select, { prefetch: Object.keys(select.prefetch).filter((k) => k !== 'conditions'), fhirServer: fhirBase, accessToken: 'shutdown-test' });

async function untilFhirRequests(n: number): Promise<void> {
  for (let i = 0; i < 200 && fhirRequests < n; i++) await new Promise((r) => setTimeout(r, 10));
}

test('SIGTERM finishes the request in flight, answers newcomers 503 with Connection: close meanwhile (no resets), then exits 0', async () => {
  fhirDelayMs = 800;
  const child = await startChild({ FETCH_DEADLINE_MS: '5000', SHUTDOWN_TIMEOUT_MS: '5000' });
  const before = fhirRequests;
  const inFlight = post(`${child.url}/cds-services/${select.id}`, slowRequest()).then((r) => ({ ...r, at: Date.now() }));
  await untilFhirRequests(before + 1);
  child.process.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  // The listener stays open while a request is in flight: a newcomer is told to go elsewhere, not reset.
  const newcomer = await fetch(`${child.url}/readyz`);
  expect(newcomer.status).toBe(503);
  expect(newcomer.headers.get('connection')).toBe('close');
  const answered = await inFlight;
  expect(answered.status).toBe(200);
  expect(answered.body).toEqual({ cards: [] });
  const exit = await child.exited;
  expect(exit.code).toBe(0);
  expect(exit.at).toBeGreaterThanOrEqual(answered.at - 50);
});

test('a request that outlasts SHUTDOWN_TIMEOUT_MS is cut, and the process still exits 0 in time', async () => {
  fhirDelayMs = 4000;
  const child = await startChild({ FETCH_DEADLINE_MS: '10000', SHUTDOWN_TIMEOUT_MS: '300' });
  const before = fhirRequests;
  const inFlight = post(`${child.url}/cds-services/${select.id}`, slowRequest()).catch((err: Error) => err);
  await untilFhirRequests(before + 1);
  const sent = Date.now();
  child.process.kill('SIGTERM');
  const exit = await child.exited;
  expect(exit.code).toBe(0);
  expect(exit.at - sent).toBeLessThan(2000);
  // fetch's own error (from another realm than jest's Error): the connection was cut.
  expect(await inFlight).toHaveProperty('message', 'fetch failed');
});
