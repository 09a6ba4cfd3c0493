/**
 * Realistic background: the Synthea sample (../shared/data) loaded into the real FHIR server, and
 * every service called for every patient, as an EHR that prefetches would; for every 8th patient,
 * and for every patient with chronic pain, also without prefetch, fetched from that server, which
 * must give the same cards. No 5xx, no crash, every answer spec-clean; the cards that fire are
 * counted per rule, printed, and checked against what the sample can plausibly support.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Condition, FhirResource, Patient } from 'fhir/r4.js';
import { toBatchBundle } from '../../src/demo/fhir-server/batch.js';
import { readSyntheaArchive } from '../../src/demo/fhir-server/synthea-archive.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { fillTemplate } from '../../src/context/tokens.js';
import { SERVICES, type ServiceDefinition } from '../../src/hooks/services.js';
import { searchInMemory } from '../../src/demo/scenarios/search.js';
import type { Scenario } from '../../src/demo/scenarios/schema.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse } from '../support/spec.js';

const ARCHIVE = process.env.SYNTHEA_ARCHIVE ?? resolve(process.cwd(), '../shared/data/synthea-r4-sample.tar.xz');
const available = existsSync(ARCHIVE);
if (!available) console.warn(`Skipping the Synthea background test: archive not found at ${ARCHIVE} (set SYNTHEA_ARCHIVE)`);
const describeSynthea = available ? describe : describe.skip;

/** Just after the newest clinical date in the sample (see ../shared/data/README.md). */
const NOW = new Date('2021-04-01T12:00:00Z');
const USER = 'Practitioner/synthea-background';
const CHRONIC_PAIN = new Set(['82423001', '95417003']);

type CardsBody = { cards: { source: { topic?: { code: string } } }[] };

function request(
  svc: ServiceDefinition,
  patientId: string,
  prefetch: Record<string, FhirResource | null> | undefined,
  fhirServer: string,
): Record<string, unknown> {
  const context: Record<string, unknown> = { userId: USER, patientId };
  if (svc.hook !== 'patient-view') {
    // A lumbar MRI order, so the imaging services read the record rather than stop at "nothing in scope".
    const mri = {
      resourceType: 'ServiceRequest',
      id: `mri-${patientId}`,
      status: 'draft',
      intent: 'order',
      subject: { reference: `Patient/${patientId}` },
      code: { coding: [{ system: 'http://www.ama-assn.org/go/cpt', code: '72148' }] },
    };
    context.draftOrders = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: mri }] };
    if (svc.hook === 'order-select') context.selections = [`ServiceRequest/${mri.id}`];
  }
  return { hook: svc.hook, hookInstance: crypto.randomUUID(), fhirServer, context, ...(prefetch ? { prefetch } : {}) };
}

/** What an EHR would prefetch: each template run over the patient's own resources. */
function prefetchFor(svc: ServiceDefinition, patientId: string, resources: Scenario['resources']): Record<string, FhirResource | null> {
  const out: Record<string, FhirResource | null> = {};
  for (const [key, template] of Object.entries(svc.prefetch)) {
    out[key] = searchInMemory(resources, decodeURIComponent(fillTemplate(template, { patientId, userId: USER }) ?? ''));
  }
  return out;
}

const stripUuids = (body: unknown): string =>
  JSON.stringify(body).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'uuid');

describeSynthea('Synthea sample: every service for every patient', () => {
  let fhir: RunningFhirServer;
  let service: RunningService;

  beforeAll(async () => {
    fhir = await startFhirServer({ port: 0 });
    // A generous deadline: this test is about correctness on real-looking data; speed is the benchmark's job.
    service = await startService({ FETCH_DEADLINE_MS: '20000' });
    service.setNow(NOW);
  });

  afterAll(async () => {
    await service?.close();
    await fhir?.close();
  });

  test('no 5xx, spec-clean, the same with and without prefetch; cards per rule printed and plausible', async () => {
    const fired = new Map<string, Set<string>>();
    const statuses = new Map<string, number>();
    const askedForMood: string[] = [];
    let patients = 0;
    let alive = 0;
    let fetchedCalls = 0;
    const started = Date.now();

    const call = async (svc: ServiceDefinition, patientId: string, body: Record<string, unknown>, mode: string): Promise<CardsBody> => {
      const res = await post(`${service.url}/cds-services/${svc.id}`, body);
      statuses.set(`${mode} ${res.status}`, (statuses.get(`${mode} ${res.status}`) ?? 0) + 1);
      expect({ patientId, service: svc.id, mode, status: res.status }).toEqual({ patientId, service: svc.id, mode, status: 200 });
      assertCdsResponse(res.body);
      return res.body as CardsBody;
    };

    for await (const bundle of readSyntheaArchive(ARCHIVE)) {
      await fhir.load([bundle]);
      const resources = (toBatchBundle(bundle).entry ?? []).flatMap((e) => (e.resource ? [e.resource] : [])) as Scenario['resources'];
      const patient = resources.find((r) => r.resourceType === 'Patient') as Patient | undefined;
      if (!patient?.id) continue;
      patients += 1;
      const living = !patient.deceasedDateTime && !patient.deceasedBoolean;
      if (living) alive += 1;
      const conditions = resources.filter((r) => r.resourceType === 'Condition') as unknown as Condition[];
      const chronicPain = conditions.some(
        (c) => !c.abatementDateTime && (c.code?.coding ?? []).some((coding) => CHRONIC_PAIN.has(coding.code ?? '')),
      );
      if (living && chronicPain) askedForMood.push(patient.id);

      for (const svc of SERVICES) {
        const prefetched = await call(
          svc,
          patient.id,
          request(svc, patient.id, prefetchFor(svc, patient.id, resources), fhir.url),
          'prefetch',
        );
        for (const card of prefetched.cards) {
          const rule = `${svc.id} / ${card.source.topic?.code ?? '?'}`;
          if (!fired.has(rule)) fired.set(rule, new Set());
          fired.get(rule)?.add(patient.id);
        }
        if (patients % 20 === 1 || (chronicPain && svc.id === 'chronic-pain-therapy-referral')) {
          fetchedCalls += 1;
          const fetched = await call(svc, patient.id, request(svc, patient.id, undefined, fhir.url), 'fetched');
          expect(stripUuids(fetched)).toBe(stripUuids(prefetched));
        }
      }
    }

    const lines = [...fired.entries()].sort().map(([rule, ids]) => `  ${rule}: ${ids.size} patients`);
    console.log(
      [
        `Synthea background: ${patients} patients (${alive} alive), ${patients * SERVICES.length} calls with prefetch ` +
          `and ${fetchedCalls} without, ${Date.now() - started} ms including loading`,
        `statuses: ${JSON.stringify(Object.fromEntries(statuses))}`,
        'cards per rule:',
        ...(lines.length ? lines : ['  (none)']),
      ].join('\n'),
    );

    expect(patients).toBeGreaterThan(100);
    // The sample has no back pain or sciatica, so the back pain services have nothing to say.
    for (const rule of fired.keys()) expect(rule).toMatch(/^chronic-pain-therapy-referral \//);
    // It has no PHQ-9 or GAD-7 either: every living adult with active chronic pain is asked for them, and nobody else.
    expect([...(fired.get('chronic-pain-therapy-referral / chronic-pain-mood-screen') ?? [])].sort()).toEqual(askedForMood.sort());
    expect(askedForMood.length).toBeGreaterThan(5);
  }, 600_000);
});
