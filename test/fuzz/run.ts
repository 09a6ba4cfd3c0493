/**
 * The fuzz run, as a plain Node program (jest's module sandbox makes every request about three
 * times slower; test/fuzz/fuzz.test.ts builds and runs this file and checks its report).
 *
 * Generated hook requests and generated FHIR server answers go to the real app: first a sample
 * over real HTTP on loopback, then the bulk injected in process with light-my-request (the same
 * middleware and handlers without sockets). The order matters: light-my-request re-parents
 * express's request prototype for the whole process, after which real sockets cannot be served.
 *
 * Whatever comes in, the service must answer a 4xx OperationOutcome or a spec-valid card
 * response: never a 5xx, never a crash, never a polluted prototype. The last line of output is a
 * JSON report. Replay with FUZZ_SEED=<seed>; FUZZ_RUNS (default 10,000) and FUZZ_HTTP_RUNS
 * (default 500, part of FUZZ_RUNS) set how many.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import inject from 'light-my-request';
import { startService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';
import { anyJson, bundle, hookRequest, patient, PATIENT_ID, prefetchValue, resource, type FuzzBody } from './arbitraries.js';

const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : (Date.now() ^ Math.floor(Math.random() * 2 ** 31)) >>> 0;
const runs = Number(process.env.FUZZ_RUNS ?? 10_000);
const httpRuns = Math.min(runs, Number(process.env.FUZZ_HTTP_RUNS ?? 500));
const fhirRuns = Math.max(100, Math.round(runs / 10));

type Transport = 'http' | 'inject';

const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype];
const pristine = PROTOTYPES.map((p) => Object.getOwnPropertyNames(p).sort().join());

function assertNoPollution(): void {
  PROTOTYPES.forEach((p, i) => {
    if (Object.getOwnPropertyNames(p).sort().join() !== pristine[i])
      throw new Error(`a prototype was polluted: ${Object.getOwnPropertyNames(p).join()}`);
  });
  if (({} as Record<string, unknown>).polluted !== undefined) throw new Error('Object.prototype.polluted is set');
}

/** One FHIR answer: mostly a Bundle (so often all the searches succeed and the record is evaluated), else anything. */
const fhirAnswer = fc.oneof(
  { weight: 40, arbitrary: bundle.map((v) => ({ status: 200, body: JSON.stringify(v) })) },
  { weight: 1, arbitrary: prefetchValue.map((v) => ({ status: 200, body: JSON.stringify(v) })) },
  { weight: 1, arbitrary: resource.map((v) => ({ status: 200, body: JSON.stringify(v) })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(401, 403, 404, 410, 429, 500, 502, 503)
      .map((status) => ({ status, body: '<html><body>error</body></html>' })),
  },
  { weight: 1, arbitrary: anyJson.map((v) => ({ status: 200, body: JSON.stringify(v) })) },
  { weight: 1, arbitrary: fc.constantFrom('', 'not json', '{"resourceType":', '\u0000').map((body) => ({ status: 200, body })) },
);
const SEARCH_TYPES = [
  'Condition',
  'Observation',
  'MedicationRequest',
  'Procedure',
  'ImagingStudy',
  'QuestionnaireResponse',
  'ServiceRequest',
];

/** What the fake FHIR server answers for each resource type, set per generated case. */
let answers: Record<string, { status: number; body: string }> = {};
const fhir = createServer((req, res) => {
  const type = /\/fhir\/([A-Za-z]+)/.exec(req.url ?? '')?.[1] ?? '';
  // Own keys only: a generated next link may be relative (followed under the base), e.g. `constructor`.
  const answer = (Object.hasOwn(answers, type) ? answers[type] : undefined) ?? {
    status: 404,
    body: '{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found"}]}',
  };
  res.writeHead(answer.status, { 'content-type': 'application/fhir+json' }).end(answer.body);
});
await new Promise<void>((resolve) => fhir.listen(0, '127.0.0.1', resolve));
const fhirBase = `http://127.0.0.1:${(fhir.address() as AddressInfo).port}/fhir`;
// Shedding and rate limits are off: they answer 429/503 by design, which is not what is tested here.
const service = await startService({
  FHIR_SERVER_ALLOWLIST: fhirBase,
  RATE_LIMIT_PER_MINUTE: '0',
  MAX_IN_FLIGHT: '0',
  MAX_EVENT_LOOP_LAG_MS: '0',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
  FETCH_DEADLINE_MS: '3000',
});

const seen: Record<string, number> = {};
const sent: Record<Transport, number> = { http: 0, inject: 0 };

async function post(transport: Transport, serviceId: string, text: string): Promise<{ status: number; text: string }> {
  const path = `/cds-services/${serviceId}`;
  const headers = { 'content-type': 'application/json' };
  if (transport === 'http') {
    const res = await fetch(`${service.url}${path}`, { method: 'POST', headers, body: text });
    return { status: res.status, text: await res.text() };
  }
  const res = await inject(service.app, { method: 'POST', url: path, headers, payload: text });
  return { status: res.statusCode, text: res.payload };
}

async function send(transport: Transport, serviceId: string, body: FuzzBody, expected?: number[]): Promise<void> {
  const res = await post(transport, serviceId, body.text);
  sent[transport]++;
  const key = `${body.kind.replace(/, .* broken$/, ', a field broken')} → ${res.status}`;
  seen[key] = (seen[key] ?? 0) + 1;
  if (res.status >= 500) {
    const logged = service.logs.filter((l) => l.includes('unhandled error')).at(-1) ?? '';
    throw new Error(`${body.kind}: HTTP ${res.status} ${res.text.slice(0, 300)}\nlogged: ${logged.slice(0, 1500)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(res.text);
  } catch {
    throw new Error(`${body.kind}: HTTP ${res.status} answered with a body that is not JSON: ${res.text.slice(0, 200)}`);
  }
  if (res.status === 200) assertCdsResponse(parsed);
  else assertOperationOutcome(parsed);
  if (expected && !expected.includes(res.status))
    throw new Error(`${body.kind}: HTTP ${res.status}, expected ${expected.join(' or ')}: ${res.text.slice(0, 300)}`);
  assertNoPollution();
}

const fhirCase = fc.record({
  patientAnswer: fc.oneof(
    { weight: 4, arbitrary: patient.map((p) => ({ status: 200, body: JSON.stringify(p) })) },
    { weight: 1, arbitrary: fhirAnswer },
  ),
  searches: fc.tuple(...SEARCH_TYPES.map(() => fhirAnswer)),
  service: fc.constantFrom(
    'back-pain-imaging-select',
    'back-pain-imaging-sign',
    'back-pain-stratified-care',
    'chronic-pain-therapy-referral',
  ),
});

type FhirCase = typeof fhirCase extends fc.Arbitrary<infer T> ? T : never;

async function sendFhirCase(transport: Transport, c: FhirCase): Promise<void> {
  answers = { Patient: c.patientAnswer, ...Object.fromEntries(SEARCH_TYPES.map((t, i) => [t, c.searches[i]!])) };
  const hook =
    c.service === 'back-pain-imaging-select' ? 'order-select' : c.service === 'back-pain-imaging-sign' ? 'order-sign' : 'patient-view';
  const body = {
    hook,
    hookInstance: '5f0c1a52-7d1b-4b0e-9a53-2f9f5d0c1b11',
    fhirServer: fhirBase,
    fhirAuthorization: {
      access_token: 'fuzz-token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'patient/*.read',
      subject: 'backpain-cds',
    },
    context: {
      userId: 'Practitioner/fuzz',
      patientId: PATIENT_ID,
      ...(hook === 'patient-view'
        ? {}
        : {
            draftOrders: {
              resourceType: 'Bundle',
              type: 'collection',
              entry: [
                {
                  resource: {
                    resourceType: 'ServiceRequest',
                    id: 'o1',
                    status: 'draft',
                    intent: 'order',
                    code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '72148' }] },
                  },
                },
              ],
            },
          }),
      ...(hook === 'order-select' ? { selections: ['ServiceRequest/o1'] } : {}),
    },
  };
  // The request itself is valid, so whatever the FHIR server answers is cards (200) or data that cannot be had (412).
  await send(transport, c.service, { kind: 'generated FHIR server answers', text: JSON.stringify(body) }, [200, 412]);
}

const started = Date.now();
let failure: string | null = null;
try {
  // Each phase has its own seed derived from the run's, so one seed replays the whole run.
  const phases: [Transport, number, number][] = [
    ['http', httpRuns, Math.round((fhirRuns * httpRuns) / runs)],
    ['inject', runs - httpRuns, fhirRuns - Math.round((fhirRuns * httpRuns) / runs)],
  ];
  for (const [i, [transport, n, f]] of phases.entries()) {
    if (n > 0)
      await fc.assert(
        fc.asyncProperty(hookRequest, ({ service: id, body }) => send(transport, id, body)),
        { seed: seed + 2 * i, numRuns: n },
      );
    if (f > 0)
      await fc.assert(
        fc.asyncProperty(fhirCase, (c) => sendFhirCase(transport, c)),
        { seed: seed + 2 * i + 1, numRuns: f },
      );
  }
  const logs = service.logs.join('\n');
  if (/unhandled error/.test(logs)) failure = 'the service logged an unhandled error';
  if (logs.includes('fuzz-token')) failure = 'the FHIR access token reached the log';
} catch (err) {
  failure = err instanceof Error ? err.message : String(err);
}
await service.close();
fhir.close();
fhir.closeAllConnections();
process.stdout.write(`${JSON.stringify({ seed, runs, fhirRuns, sent, seconds: (Date.now() - started) / 1000, answers: seen, failure })}\n`);
process.exit(failure ? 1 : 0);
