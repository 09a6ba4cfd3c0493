import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { getSearchParameter } from '@medplum/core';
import type { Bundle, BundleEntry, CapabilityStatement, Condition, Observation, OperationOutcome, Patient } from 'fhir/r4.js';
import { ensureFhirDefinitions } from '../../src/demo/fhir-server/definitions.js';
import { toBatchBundle } from '../../src/demo/fhir-server/batch.js';
import { BundleLoadError, loadBundles } from '../../src/demo/fhir-server/load.js';
import { shiftDates } from '../../src/demo/fhir-server/shift-dates.js';
import { readSyntheaArchive } from '../../src/demo/fhir-server/synthea-archive.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';

const SYNTHEA_ARCHIVE = process.env.SYNTHEA_ARCHIVE ?? resolve(process.cwd(), '../shared/data/synthea-r4-sample.tar.xz');

const PATIENT_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0001';
const OTHER_PATIENT_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0002';
const LBP_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0101';
const SCIATICA_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0102';
const OTHER_CONDITION_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0103';
const TEMP_OLD_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0201';
const TEMP_NEW_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0202';
const PAIN_ID = '4a6f1f0e-6f1c-4c52-9d7a-0d5b6a0f0203';

const urn = (id: string): string => `urn:uuid:${id}`;

function post(id: string, resource: Patient | Condition | Observation): BundleEntry {
  return { fullUrl: urn(id), resource, request: { method: 'POST', url: resource.resourceType } };
}

function condition(patientId: string, code: string, display: string, onset: string): Condition {
  return {
    resourceType: 'Condition',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code, display }] },
    subject: { reference: urn(patientId) },
    onsetDateTime: onset,
  };
}

function observation(code: string, effective: string, value: number): Observation {
  return {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code }] },
    subject: { reference: urn(PATIENT_ID) },
    effectiveDateTime: effective,
    valueQuantity: { value, unit: 'Cel', system: 'http://unitsofmeasure.org', code: 'Cel' },
  };
}

/** Shaped like a Synthea file: a transaction of POSTs whose resources have no ids and refer by urn:uuid. */
const handWritten: Bundle = {
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    post(PATIENT_ID, { resourceType: 'Patient', name: [{ family: 'Testperson', given: ['Alex'] }], birthDate: '1970-01-01' }),
    post(OTHER_PATIENT_ID, { resourceType: 'Patient', name: [{ family: 'Otherperson' }] }),
    post(LBP_ID, condition(PATIENT_ID, '279039007', 'Low back pain', '2021-03-01T10:00:00+01:00')),
    post(SCIATICA_ID, condition(PATIENT_ID, '23056005', 'Sciatica', '2021-03-10T10:00:00+01:00')),
    post(OTHER_CONDITION_ID, condition(OTHER_PATIENT_ID, '279039007', 'Low back pain', '2020-01-01')),
    post(TEMP_OLD_ID, observation('8310-5', '2021-03-01T09:00:00Z', 37.1)),
    post(TEMP_NEW_ID, observation('8310-5', '2021-03-20T09:00:00Z', 38.2)),
    post(PAIN_ID, observation('72514-3', '2021-03-25T09:00:00Z', 7)),
  ],
};

async function getJson<T>(url: string, init?: RequestInit): Promise<{ status: number; contentType: string; body: T }> {
  const response = await fetch(url, init);
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? '',
    body: (await response.json()) as T,
  };
}

const entryIds = (bundle: Bundle): string[] => (bundle.entry ?? []).map((e) => e.resource?.id ?? '');
const link = (bundle: Bundle, relation: string): string | undefined => bundle.link?.find((l) => l.relation === relation)?.url;

describe('FHIR test server over HTTP', () => {
  let server: RunningFhirServer;

  beforeAll(async () => {
    server = await startFhirServer({ port: 0 });
    const summary = await loadBundles(server.url, [handWritten]);
    expect(summary).toEqual({ bundles: 1, entries: 8 });
  });

  afterAll(async () => {
    await server.close();
  });

  it('reports the real port of a port-0 server in its url', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/fhir`);
  });

  it('serves a CapabilityStatement at /metadata', async () => {
    const { status, contentType, body } = await getJson<CapabilityStatement>(`${server.url}/metadata`);
    expect(status).toBe(200);
    expect(contentType).toMatch(/^application\/fhir\+json/);
    expect(body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1', status: 'active', kind: 'instance' });
    expect(body.format).toContain('json');
    expect(body.rest?.[0]?.resource?.map((r) => r.type)).toContain('Observation');
  });

  it('reads a Patient by the id it had in the loaded bundle', async () => {
    const { status, body } = await getJson<Patient>(`${server.url}/Patient/${PATIENT_ID}`);
    expect(status).toBe(200);
    expect(body.id).toBe(PATIENT_ID);
    expect(body.name?.[0]?.family).toBe('Testperson');
  });

  it('stores urn:uuid references rewritten to Type/id', async () => {
    const { body } = await getJson<Condition>(`${server.url}/Condition/${LBP_ID}`);
    expect(body.subject.reference).toBe(`Patient/${PATIENT_ID}`);
  });

  it('answers a missing resource with 404 and an OperationOutcome', async () => {
    const { status, contentType, body } = await getJson<OperationOutcome>(`${server.url}/Patient/does-not-exist`);
    expect(status).toBe(404);
    expect(contentType).toMatch(/^application\/fhir\+json/);
    expect(body.resourceType).toBe('OperationOutcome');
    expect(body.issue[0]?.code).toBe('not-found');
  });

  it('answers malformed JSON with 400 and an OperationOutcome, not an HTML page', async () => {
    const { status, contentType, body } = await getJson<OperationOutcome>(`${server.url}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: '{"resourceType": "Patient",',
    });
    expect(status).toBe(400);
    expect(contentType).toMatch(/^application\/fhir\+json/);
    expect(body.resourceType).toBe('OperationOutcome');
  });

  it('answers paths outside /fhir with a 404 OperationOutcome', async () => {
    const { status, body } = await getJson<OperationOutcome>(`http://127.0.0.1:${server.port}/nothing-here`);
    expect(status).toBe(404);
    expect(body.resourceType).toBe('OperationOutcome');
  });

  it('creates with POST: 201 and a Location header', async () => {
    const response = await fetch(`${server.url}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Created' }] }),
    });
    const body = (await response.json()) as Patient;
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toContain(`${server.url}/Patient/${body.id}`);
  });

  it('finds both Conditions by patient, with fullUrls and a self link', async () => {
    const { status, body } = await getJson<Bundle>(`${server.url}/Condition?patient=${PATIENT_ID}`);
    expect(status).toBe(200);
    expect(body.type).toBe('searchset');
    expect(entryIds(body).sort()).toEqual([LBP_ID, SCIATICA_ID].sort());
    expect(body.entry?.map((e) => e.fullUrl).sort()).toEqual(
      [`${server.url}/Condition/${LBP_ID}`, `${server.url}/Condition/${SCIATICA_ID}`].sort(),
    );
    expect(link(body, 'self')).toBe(`${server.url}/Condition?patient=${PATIENT_ID}`);
    expect(link(body, 'next')).toBeUndefined();
  });

  it('filters Observations by patient and code and sorts newest first', async () => {
    const code = encodeURIComponent('http://loinc.org|8310-5');
    const { body } = await getJson<Bundle>(`${server.url}/Observation?patient=${PATIENT_ID}&code=${code}&_sort=-date`);
    expect(entryIds(body)).toEqual([TEMP_NEW_ID, TEMP_OLD_ID]);
  });

  it('searches with POST _search and a form body', async () => {
    const { status, body } = await getJson<Bundle>(`${server.url}/Condition/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ patient: PATIENT_ID, code: 'http://snomed.info/sct|23056005' }).toString(),
    });
    expect(status).toBe(200);
    expect(entryIds(body)).toEqual([SCIATICA_ID]);
    const self = new URL(link(body, 'self') ?? '');
    expect(self.pathname).toBe('/fhir/Condition');
    expect(self.searchParams.get('patient')).toBe(PATIENT_ID);
  });

  it('pages with _count by following next links', async () => {
    const seen: string[] = [];
    let url: string | undefined = `${server.url}/Condition?patient=${PATIENT_ID}&_count=1`;
    let pages = 0;
    while (url && pages < 5) {
      const { body }: { body: Bundle } = await getJson<Bundle>(url);
      expect(body.total).toBe(2);
      expect(body.entry).toHaveLength(1);
      if (pages > 0) {
        expect(link(body, 'previous')).toBeDefined();
      }
      seen.push(...entryIds(body));
      url = link(body, 'next');
      pages += 1;
    }
    expect(pages).toBe(2);
    expect(seen.sort()).toEqual([LBP_ID, SCIATICA_ID].sort());
  });

  it('reports failed batch entries by Type/id and issue code', async () => {
    const bad: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      // An entry without a resource passes through toBatchBundle untouched and fails on the server.
      entry: [{ request: { method: 'GET', url: 'Patient/no-such-patient' } }],
    };
    const error: unknown = await loadBundles(server.url, [bad]).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(BundleLoadError);
    expect((error as BundleLoadError).failures).toEqual([
      { url: 'Patient/no-such-patient', status: expect.stringMatching(/^404/), issueCodes: ['not-found'] },
    ]);
    expect((error as Error).message).toContain('Patient/no-such-patient');
  });
});

describe('search parameter narrowing', () => {
  it('keeps only the Observation branches of the shared clinical-patient expression', () => {
    ensureFhirDefinitions();
    const expression = getSearchParameter('Observation', 'patient')?.expression ?? '';
    expect(expression).toContain('Observation.subject');
    expect(expression).not.toContain('Condition.');
    expect(getSearchParameter('Condition', 'patient')?.expression).toContain('Condition.subject');
  });
});

describe('toBatchBundle', () => {
  const batch = toBatchBundle(handWritten);

  it('turns every entry into a PUT Type/id with the urn uuid as id', () => {
    expect(batch.type).toBe('batch');
    expect(batch.entry?.[0]).toMatchObject({
      fullUrl: `Patient/${PATIENT_ID}`,
      request: { method: 'PUT', url: `Patient/${PATIENT_ID}` },
      resource: { resourceType: 'Patient', id: PATIENT_ID },
    });
    expect(batch.entry?.every((e) => e.request?.method === 'PUT')).toBe(true);
  });

  it('rewrites urn:uuid references to Type/id and leaves the input alone', () => {
    const sciatica = batch.entry?.find((e) => e.resource?.id === SCIATICA_ID)?.resource as Condition;
    expect(sciatica.subject.reference).toBe(`Patient/${PATIENT_ID}`);
    expect((handWritten.entry?.[3]?.resource as Condition).subject.reference).toBe(urn(PATIENT_ID));
  });

  it('keeps an existing resource id over the fullUrl uuid', () => {
    const out = toBatchBundle({
      resourceType: 'Bundle',
      type: 'collection',
      entry: [
        { fullUrl: urn('aaaa'), resource: { resourceType: 'Patient', id: 'p1' } },
        {
          fullUrl: urn('bbbb'),
          resource: { resourceType: 'Encounter', status: 'finished', class: { code: 'AMB' }, subject: { reference: urn('aaaa') } },
        },
      ],
    });
    expect(out.entry?.map((e) => e.request?.url)).toEqual(['Patient/p1', 'Encounter/bbbb']);
    expect(out.entry?.[1]?.resource).toMatchObject({ subject: { reference: 'Patient/p1' } });
  });

  it('rejects a urn:uuid reference to an entry that is not in the bundle', () => {
    expect(() =>
      toBatchBundle({
        resourceType: 'Bundle',
        type: 'transaction',
        entry: [{ fullUrl: urn('cccc'), resource: condition('missing', '1', 'x', '2020-01-01') }],
      }),
    ).toThrow(/urn:uuid:missing/);
  });
});

describe('shiftDates', () => {
  const observationWithDates = {
    resourceType: 'Observation',
    id: '2020-01-01',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '2020-01-01' }] },
    subject: { reference: 'Patient/2020-01-01' },
    effectiveDateTime: '2020-02-28T23:30:00-05:00',
    issued: '2020-12-31T23:59:59.123Z',
    effectivePeriod: { start: '2020-02-28', end: '2020' },
    note: [{ text: 'seen on 2020-02-28', time: '2020-03' }],
    component: [{ valueDateTime: '2020-02-28T10:00' }],
  };

  it('shifts dates, dateTimes and instants by whole days, keeping precision, time and offset', () => {
    const shifted = shiftDates(observationWithDates, 2);
    expect(shifted.effectiveDateTime).toBe('2020-03-01T23:30:00-05:00');
    expect(shifted.issued).toBe('2021-01-02T23:59:59.123Z');
    expect(shifted.effectivePeriod.start).toBe('2020-03-01');
    expect(shifted.component[0]?.valueDateTime).toBe('2020-03-01T10:00');
  });

  it('leaves year-only and year-month values, free text, ids, codes and references untouched', () => {
    const shifted = shiftDates(observationWithDates, 400);
    expect(shifted.effectivePeriod.end).toBe('2020');
    expect(shifted.note[0]).toEqual({ text: 'seen on 2020-02-28', time: '2020-03' });
    expect(shifted.id).toBe('2020-01-01');
    expect(shifted.code.coding[0]?.code).toBe('2020-01-01');
    expect(shifted.subject.reference).toBe('Patient/2020-01-01');
  });

  it('shifts backwards and returns a deep copy', () => {
    const shifted = shiftDates(observationWithDates, -60);
    expect(shifted.effectivePeriod.start).toBe('2019-12-30');
    expect(shifted).not.toBe(observationWithDates);
    expect(observationWithDates.effectivePeriod.start).toBe('2020-02-28');
  });

  it('rejects fractional days', () => {
    expect(() => shiftDates(observationWithDates, 1.5)).toThrow(RangeError);
  });
});

const archiveAvailable = existsSync(SYNTHEA_ARCHIVE);
const describeSynthea = archiveAvailable ? describe : describe.skip;
if (!archiveAvailable) {
  console.warn(`Skipping the Synthea load test: archive not found at ${SYNTHEA_ARCHIVE} (set SYNTHEA_ARCHIVE)`);
}

describeSynthea(`Synthea sample (${archiveAvailable ? 'archive found' : `skipped: no archive at ${SYNTHEA_ARCHIVE}`})`, () => {
  let server: RunningFhirServer;
  const bundles: Bundle[] = [];

  beforeAll(async () => {
    server = await startFhirServer({ port: 0 });
    for await (const bundle of readSyntheaArchive(SYNTHEA_ARCHIVE, { limit: 3 })) {
      bundles.push(bundle);
    }
    await server.load(bundles);
  });

  afterAll(async () => {
    await server?.close();
  });

  it('reads exactly the requested number of patient bundles', () => {
    expect(bundles).toHaveLength(3);
  });

  it('selects files by name, including pax-encoded accented names', async () => {
    const names: string[] = [];
    for await (const bundle of readSyntheaArchive(SYNTHEA_ARCHIVE, { filter: (name) => name.startsWith('Miguel_Ángel_') })) {
      names.push(bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource?.id ?? '');
    }
    expect(names).toEqual(['c92b99e8-0e77-4358-99bb-4b87d4f30bbe']); // file names carry another uuid than the Patient id
  });

  it("finds each patient's Conditions by patient id", async () => {
    let found = 0;
    for (const bundle of bundles) {
      const patientId = bundle.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource?.id;
      expect(patientId).toBeDefined();
      const expected = bundle.entry?.filter((e) => e.resource?.resourceType === 'Condition').map((e) => e.resource?.id ?? '') ?? [];
      const { body } = await getJson<Bundle>(`${server.url}/Condition?patient=${patientId}`);
      expect(entryIds(body).sort()).toEqual(expected.sort());
      found += expected.length;
    }
    expect(found).toBeGreaterThan(0);
  });

  it("finds a patient's latest pain score", async () => {
    const patientId = bundles[0]?.entry?.find((e) => e.resource?.resourceType === 'Patient')?.resource?.id;
    const code = encodeURIComponent('http://loinc.org|72514-3');
    const { body } = await getJson<Bundle>(`${server.url}/Observation?patient=${patientId}&code=${code}&_sort=-date&_count=1`);
    const painScores = bundles[0]?.entry?.filter(
      (e) => e.resource?.resourceType === 'Observation' && e.resource.code.coding?.some((c) => c.code === '72514-3'),
    );
    const latest = painScores
      ?.map((e) => e.resource as Observation)
      .sort((a, b) => Date.parse(b.effectiveDateTime ?? '') - Date.parse(a.effectiveDateTime ?? ''))[0];
    expect(body.total).toBe(painScores?.length);
    expect(entryIds(body)).toEqual([latest?.id]);
  });
});
