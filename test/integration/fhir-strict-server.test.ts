/**
 * A strict FHIR server (Tomcat refuses `|` and other characters RFC 3986 does not allow in a
 * request line): every search the services send must arrive percent-encoded, and still mean the
 * same search on the real demo FHIR server.
 */
import type { Patient } from 'fhir/r4.js';
import { strictQuery } from '../../src/context/fhir-fetch.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { startStubServer, type StubServer } from '../support/stub-server.js';

const scenario = readScenario(`${scenariosDir}/sciatica-fast-track-high-3-positive.json`);
const patient: Patient = scenario.patient;
const requestLines: string[] = [];
let strict: StubServer;
let service: RunningService;

beforeAll(async () => {
  strict = await startStubServer((req, res) => {
    const target = req.url ?? '';
    requestLines.push(target);
    // What Tomcat does with a raw | (and what this service promises for , too).
    if (/[|,{}\s"<>^`\\]/.test(target))
      return void res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>HTTP Status 400 – Bad Request</h1>');
    const body = target.startsWith(`/fhir/Patient/${patient.id}`) ? patient : { resourceType: 'Bundle', type: 'searchset', entry: [] };
    res.writeHead(200, { 'content-type': 'application/fhir+json' }).end(JSON.stringify(body));
  });
  service = await startService({ FHIR_SERVER_ALLOWLIST: `${strict.url}/fhir` });
});
afterAll(async () => {
  await service.close();
  await strict.close();
});

test.each(SERVICES.map((s) => [s.id, s] as const))(
  '%s: every search reaches a strict server encoded, and is answered',
  async (_id, svc) => {
    requestLines.length = 0;
    const body = scenarioRequest(scenario, svc, { prefetch: 'none', fhirServer: `${strict.url}/fhir` });
    if (svc.hook !== 'patient-view') {
      // A lumbar order in scope, so the record is read.
      (body.context as Record<string, unknown>).draftOrders = {
        resourceType: 'Bundle',
        type: 'collection',
        entry: [
          {
            resource: {
              resourceType: 'ServiceRequest',
              id: 'mri-1',
              status: 'draft',
              intent: 'order',
              code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '72148' }] },
              subject: { reference: `Patient/${patient.id}` },
            },
          },
        ],
      };
      if (svc.hook === 'order-select') (body.context as Record<string, unknown>).selections = ['ServiceRequest/mri-1'];
    }
    const res = await post(`${service.url}/cds-services/${svc.id}`, body);
    expect(res.status).toBe(200);
    expect(requestLines.length).toBe(Object.keys(svc.prefetch).length);
    for (const line of requestLines) expect(line).not.toMatch(/[|,]/);
  },
);

test('strictQuery encodes | and , in the query only, and leaves encoded and plain parts alone', () => {
  expect(strictQuery('Observation?patient=p%2F1&code=http://loinc.org|8310-5,http://loinc.org|91351-7')).toBe(
    'Observation?patient=p%2F1&code=http://loinc.org%7C8310-5%2Chttp://loinc.org%7C91351-7',
  );
  expect(strictQuery('Patient/p-1')).toBe('Patient/p-1');
  expect(strictQuery('http://h/fhir/Condition?page=2&x=a b')).toBe('http://h/fhir/Condition?page=2&x=a%20b');
});
