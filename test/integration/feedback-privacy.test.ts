/**
 * Privacy check, on both stores: the whole feedback flow runs over every scenario patient (hooks
 * that fetch from the real FHIR server with bearer tokens, feedback whose comments name the
 * patient), then every table of the database and every log line is scanned for the patients' ids
 * and names and for the tokens. None may be there. The last test proves the scan can see them.
 */
import { randomUUID } from 'node:crypto';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { SERVICES } from '../../src/hooks/services.js';
import { scenarioBundle } from '../../src/demo/scenarios/bundle.js';
import { readScenarios } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post } from '../support/harness.js';
import { startFeedbackService, type FeedbackService } from '../support/feedback-service.js';
import { createTestStore, dumpTables, storeKinds, type TestStore } from '../support/stores.js';

const scenarios = readScenarios();
const imagingServices = SERVICES.filter((s) => s.hook === 'order-select' || s.hook === 'order-sign');

interface Secret {
  what: string;
  pattern: RegExp;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Patient ids and names (whole words, any case) of every scenario patient. */
const patientSecrets: Secret[] = scenarios.flatMap((s) => {
  const names = (s.patient.name as { family?: string; given?: string[] }[] | undefined) ?? [];
  const words = names.flatMap((n) => [n.family, ...(n.given ?? [])]).filter((w): w is string => !!w);
  return [
    { what: `patient id ${s.patient.id}`, pattern: new RegExp(escape(s.patient.id)) },
    ...words.map((w) => ({ what: `name ${w} (${s.patient.id})`, pattern: new RegExp(`\\b${escape(w)}\\b`, 'i') })),
  ];
});

function found(text: string, secrets: readonly Secret[]): string[] {
  return secrets.filter((s) => s.pattern.test(text)).map((s) => s.what);
}

function fullName(scenario: (typeof scenarios)[number]): string {
  const [n] = (scenario.patient.name as { family?: string; given?: string[] }[] | undefined) ?? [];
  return `${n?.given?.join(' ') ?? ''} ${n?.family ?? ''}`.trim();
}

describe.each(storeKinds())('privacy on %s', (kind) => {
  let fhir: RunningFhirServer;
  let store: TestStore;
  let svc: FeedbackService;
  const tokens: Secret[] = [];

  beforeAll(async () => {
    fhir = await startFhirServer({ port: 0 });
    await fhir.load(scenarios.map((s) => scenarioBundle(s)));
    store = await createTestStore(kind);
    // Every scenario patient in one burst, a few requests each: more than a client's per-minute limit, which is not what this tests.
    svc = await startFeedbackService(store, { env: { RATE_LIMIT_PER_MINUTE: '0' } });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await fhir?.close();
    await store?.cleanup();
  });

  test('no patient id, name or bearer token in the database or the logs after the whole flow', async () => {
    expect(patientSecrets.length).toBeGreaterThan(scenarios.length * 2);
    let cards = 0;
    for (const scenario of scenarios) {
      svc.setNow(new Date(scenario.now));
      for (const service of imagingServices.filter((s) => scenario.expect[s.id] !== undefined)) {
        const token = `bearer-${randomUUID()}`;
        tokens.push({ what: `token of ${scenario.id}`, pattern: new RegExp(escape(token)) });
        const request = scenarioRequest(scenario, service, { prefetch: 'none', fhirServer: fhir.url, accessToken: token });
        const res = await post(`${svc.url}/cds-services/${service.id}`, request, { authorization: `Bearer ${token}` });
        expect({ scenario: scenario.id, status: res.status }).toEqual({ scenario: scenario.id, status: 200 });
        const body = res.body as { cards: { uuid: string; suggestions?: { uuid: string }[] }[] };
        const comment = `Discussed with ${fullName(scenario)} (${scenario.patient.id}); token ${token}`;
        const items = body.cards.map((c, i) =>
          i % 2 === 0 && c.suggestions
            ? {
                card: c.uuid,
                outcome: 'accepted',
                acceptedSuggestions: [{ id: c.suggestions[0]!.uuid }],
                outcomeTimestamp: new Date().toISOString(),
              }
            : {
                card: c.uuid,
                outcome: 'overridden',
                overrideReason: {
                  reason: { system: 'urn:backpain-cds:override-reason', code: 'decided-with-patient' },
                  userComment: comment,
                },
                outcomeTimestamp: new Date().toISOString(),
              },
        );
        cards += items.length;
        if (items.length) expect((await post(`${svc.url}/cds-services/${service.id}/feedback`, { feedback: items })).status).toBe(200);
        // Refused batches and requests carry the same details and must not leak them either.
        const bad = await post(`${svc.url}/cds-services/${service.id}/feedback`, {
          feedback: [
            { card: scenario.patient.id, outcome: 'overridden', overrideReason: { userComment: comment }, outcomeTimestamp: 'today' },
          ],
        });
        expect(bad.status).toBe(400);
        const badHook = await post(`${svc.url}/cds-services/${service.id}`, {
          ...request,
          hookInstance: `${scenario.patient.id} ${fullName(scenario)}`,
        });
        expect(badHook.status).toBe(400);
      }
    }
    expect(cards).toBeGreaterThan(30);
    await svc.feedback.cardLog.flush();
    const dump = await dumpTables(svc.feedback.db);
    expect(dump).toContain('-- card_log');
    expect(dump).toContain('-- feedback');
    expect(dump.split('\n').length).toBeGreaterThan(cards * 2);

    expect(found(dump, [...patientSecrets, ...tokens])).toEqual([]);
    // The logs of the whole run, shutdown included.
    await svc.close();
    svc = await startFeedbackService(store, { logs: svc.logs });
    const logs = svc.logs.join('');
    expect(logs).toContain('"status":400');
    expect(found(logs, [...patientSecrets, ...tokens])).toEqual([]);
  }, 120_000);

  test('the scan sees a name when one is stored (comments switched on): the check above can fail', async () => {
    const scenario = scenarios[0]!;
    const keeping = await startFeedbackService(store, { db: svc.feedback.db, env: { FEEDBACK_STORE_COMMENTS: 'true' } });
    try {
      const res = await post(`${keeping.url}/cds-services/${SERVICES[0]!.id}/feedback`, {
        feedback: [
          {
            card: randomUUID(),
            outcome: 'overridden',
            overrideReason: { userComment: `Seen with ${fullName(scenario)}` },
            outcomeTimestamp: new Date().toISOString(),
          },
        ],
      });
      expect(res.status).toBe(200);
    } finally {
      await keeping.close();
    }
    expect(found(await dumpTables(svc.feedback.db), patientSecrets).length).toBeGreaterThan(0);
  });
});
