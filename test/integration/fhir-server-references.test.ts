/**
 * The demo FHIR server finds a patient's resources however their subject reference is written
 * (relative, versioned, absolute), as a real EHR's server does for its own references, and never
 * another patient's.
 */
import type { Bundle, Condition } from 'fhir/r4.js';
import { patientIdOf } from '../../src/demo/fhir-server/patient-id.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';

const condition = (id: string, reference: string): { resource: Condition } => ({
  resource: { resourceType: 'Condition', id, subject: { reference }, code: { text: 'Low back pain' } },
});

let fhir: RunningFhirServer;

beforeAll(async () => {
  fhir = await startFhirServer({ port: 0 });
  await fhir.load([
    {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { resource: { resourceType: 'Patient', id: 'ref-px' } },
        { resource: { resourceType: 'Patient', id: 'ref-py' } },
        condition('ref-relative', 'Patient/ref-px'),
        condition('ref-versioned', 'Patient/ref-px/_history/2'),
        condition('ref-absolute', 'https://ehr.example.org/fhir/Patient/ref-px'),
        condition('ref-absolute-versioned', 'https://ehr.example.org/fhir/Patient/ref-px/_history/7'),
        condition('ref-other', 'Patient/ref-py'),
        condition('ref-other-absolute', 'https://ehr.example.org/fhir/Patient/ref-px2'),
      ],
    },
  ]);
});

afterAll(() => fhir?.close());

async function search(query: string): Promise<Bundle<Condition>> {
  const res = await fetch(`${fhir.url}/${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Bundle<Condition>;
}

test.each(['Condition?patient=ref-px', 'Condition?patient=Patient/ref-px', 'Condition?subject=Patient/ref-px'])(
  '%s finds every form, as written',
  async (query) => {
    const body = await search(query);
    const found = (body.entry ?? []).map((e) => [e.resource?.id, e.resource?.subject?.reference]);
    expect(found.sort()).toEqual(
      [
        ['ref-absolute', 'https://ehr.example.org/fhir/Patient/ref-px'],
        ['ref-absolute-versioned', 'https://ehr.example.org/fhir/Patient/ref-px/_history/7'],
        ['ref-relative', 'Patient/ref-px'],
        ['ref-versioned', 'Patient/ref-px/_history/2'],
      ].sort(),
    );
    expect(body.total).toBe(4);
  },
);

test('another patient keeps their own resources', async () => {
  const body = await search('Condition?patient=ref-py');
  expect((body.entry ?? []).map((e) => e.resource?.id)).toEqual(['ref-other']);
});

test('paging applies after the patient match', async () => {
  const first = await search('Condition?patient=ref-px&_count=3');
  expect(first.entry).toHaveLength(3);
  expect(first.total).toBe(4);
  const next = first.link?.find((l) => l.relation === 'next')?.url;
  expect(next).toBeDefined();
  const res = await fetch(next as string);
  const second = (await res.json()) as Bundle<Condition>;
  expect(second.entry).toHaveLength(1);
  const ids = [...(first.entry ?? []), ...(second.entry ?? [])].map((e) => e.resource?.id);
  expect(new Set(ids).size).toBe(4);
});

test('patientIdOf reads each form and nothing else', () => {
  expect(patientIdOf('Patient/a-1')).toBe('a-1');
  expect(patientIdOf('Patient/a-1/_history/2')).toBe('a-1');
  expect(patientIdOf('https://ehr.example.org/fhir/Patient/a-1')).toBe('a-1');
  expect(patientIdOf('http://x/y/Patient/a-1/_history/v9')).toBe('a-1');
  expect(patientIdOf('Group/a-1')).toBeUndefined();
  expect(patientIdOf('Patient/')).toBeUndefined();
  expect(patientIdOf('urn:uuid:0f0e')).toBeUndefined();
  expect(patientIdOf(undefined)).toBeUndefined();
});

test('other search parameters still apply to resources found by a versioned or absolute reference', async () => {
  const plain = await search('Condition?patient=ref-px&_id=ref-relative');
  expect((plain.entry ?? []).map((e) => e.resource?.id)).toEqual(['ref-relative']);
  const one = await search('Condition?patient=ref-px&_id=ref-versioned');
  expect((one.entry ?? []).map((e) => e.resource?.id)).toEqual(['ref-versioned']);
});

test('an update that rewrites the reference, and a delete, keep the patient search exact', async () => {
  const put = await fetch(`${fhir.url}/Condition/ref-absolute`, {
    method: 'PUT',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify(condition('ref-absolute', 'Patient/ref-py').resource),
  });
  expect(put.status).toBe(200);
  expect((await fetch(`${fhir.url}/Condition/ref-versioned`, { method: 'DELETE' })).status).toBe(200);
  const px = await search('Condition?patient=ref-px');
  expect((px.entry ?? []).map((e) => e.resource?.id).sort()).toEqual(['ref-absolute-versioned', 'ref-relative']);
  const py = await search('Condition?patient=ref-py');
  expect((py.entry ?? []).map((e) => e.resource?.id).sort()).toEqual(['ref-absolute', 'ref-other']);
});

test('a patient search answers in the store order after a resource moves between patients, and after a delete and re-create', async () => {
  const put = async (id: string, reference: string): Promise<void> => {
    const res = await fetch(`${fhir.url}/Condition/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify(condition(id, reference).resource),
    });
    expect([200, 201]).toContain(res.status);
  };
  const ids = async (query: string): Promise<(string | undefined)[]> => ((await search(query)).entry ?? []).map((e) => e.resource?.id);
  await put('ref-order-1', 'Patient/ref-pq');
  await put('ref-order-2', 'Patient/ref-pq');
  await put('ref-order-3', 'Patient/ref-pr');
  expect(await ids('Condition?patient=ref-pr')).toEqual(['ref-order-3']);
  await put('ref-order-1', 'Patient/ref-pq');
  await put('ref-order-3', 'Patient/ref-pq');
  expect(await ids('Condition?patient=ref-pr')).toEqual([]);
  expect(await ids('Condition?patient=ref-pq')).toEqual(['ref-order-1', 'ref-order-2', 'ref-order-3']);
  expect((await fetch(`${fhir.url}/Condition/ref-order-1`, { method: 'DELETE' })).status).toBe(200);
  expect(await ids('Condition?subject=Patient/ref-pq')).toEqual(['ref-order-2', 'ref-order-3']);
  await put('ref-order-1', 'https://ehr.example.org/fhir/Patient/ref-pq');
  await put('ref-order-4', 'Patient/ref-pq');
  expect(await ids('Condition?patient=ref-pq')).toEqual(['ref-order-2', 'ref-order-3', 'ref-order-4', 'ref-order-1']);
  expect(await ids('Condition?patient=ref-pq&_count=2&_offset=1')).toEqual(['ref-order-3', 'ref-order-4']);
});
