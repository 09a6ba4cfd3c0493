/**
 * SIGTERM on the real service process: requests in flight are answered, newcomers get 503 with
 * Connection: close (not resets), and the process exits 0; past SHUTDOWN_TIMEOUT_MS it exits anyway.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { buildSrc } from '../support/build.js';
import { eventually } from '../support/eventually.js';
import { post } from '../support/harness.js';
import { childEnv } from '../../scripts/child-env.js';

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
    env: {
      ...childEnv(),
      PORT: '0',
      DEMO_FHIR: 'false',
      LOG_LEVEL: 'info',
      FHIR_SERVER_ALLOWLIST: fhirBase,
      MAX_EVENT_LOOP_LAG_MS: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
    child.once('exit', (code) => resolve({ code, at: Date.now() })),
  );
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    // Only a guard against a child that never starts: a loaded machine can take many seconds.
    const timer = setTimeout(() => reject(new Error(`no start-up line:\n${out}`)), 90_000);
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
  scenarioRequest(scenario, select, {
    prefetch: Object.keys(select.prefetch).filter((k) => k !== 'conditions'),
    fhirServer: fhirBase,
    accessToken: 'shutdown-test',
  });

async function untilFhirRequests(n: number): Promise<void> {
  await eventually(() => fhirRequests >= n, `${n} FHIR requests`);
}

test(
  'SIGTERM finishes the request in flight, answers newcomers 503 ' + 'with Connection: close meanwhile (no resets), then exits 0',
  async () => {
    // Long enough that SIGTERM surely lands while the request waits on the FHIR server.
    fhirDelayMs = 3000;
    const child = await startChild({ FETCH_DEADLINE_MS: '15000', SHUTDOWN_TIMEOUT_MS: '15000' });
    const before = fhirRequests;
    const inFlight = post(`${child.url}/cds-services/${select.id}`, slowRequest()).then((r) => ({ ...r, at: Date.now() }));
    await untilFhirRequests(before + 1);
    child.process.kill('SIGTERM');
    // The listener stays open while a request is in flight: a newcomer is told to go elsewhere, not reset.
    let newcomer: Response | undefined;
    await eventually(async () => (newcomer = await fetch(`${child.url}/readyz`)).status === 503, 'readiness off after SIGTERM');
    expect(newcomer?.headers.get('connection')).toBe('close');
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    expect(answered.body).toEqual({ cards: [] });
    const exit = await child.exited;
    expect(exit.code).toBe(0);
    expect(exit.at).toBeGreaterThanOrEqual(answered.at - 50);
  },
  180_000,
);

test('a request that outlasts SHUTDOWN_TIMEOUT_MS is cut, and the process still exits 0', async () => {
  // The FHIR server answers far later than the shutdown timeout: only the timeout can end the request.
  fhirDelayMs = 15_000;
  const child = await startChild({ FETCH_DEADLINE_MS: '30000', SHUTDOWN_TIMEOUT_MS: '300' });
  const before = fhirRequests;
  const inFlight = post(`${child.url}/cds-services/${select.id}`, slowRequest()).catch((err: Error) => err);
  await untilFhirRequests(before + 1);
  child.process.kill('SIGTERM');
  const exit = await child.exited;
  expect(exit.code).toBe(0);
  // fetch's own error (from another realm than jest's Error): the connection was cut.
  expect(await inFlight).toHaveProperty('message', 'fetch failed');
}, 180_000);
