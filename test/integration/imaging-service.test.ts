/**
 * The lumbar imaging services end to end: the real service over HTTP, the real FHIR server over
 * HTTP, every scenario patient through full, partial and no prefetch.
 */
import { startFhirServer, type RunningFhirServer } from '../../src/fhir-server/server.js';
import { SERVICES } from '../../src/hooks/services.js';
import { scenarioBundle } from '../../src/scenarios/bundle.js';
import { readScenarios } from '../../src/scenarios/load.js';
import { scenarioRequest } from '../../src/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { assertCdsResponse, assertOperationOutcome, ruleIds } from '../support/spec.js';

const scenarios = readScenarios();
const imagingServices = SERVICES.filter((s) => s.hook === 'order-select' || s.hook === 'order-sign');
const TOKEN = 'test-bearer-token-9f2c';

let fhir: RunningFhirServer;
let service: RunningService;

beforeAll(async () => {
  fhir = await startFhirServer({ port: 0 });
  await fhir.load(scenarios.map((s) => scenarioBundle(s)));
  service = await startService();
});

afterAll(async () => {
  await service?.close();
  await fhir?.close();
});

type CardsBody = { cards: { uuid: string; source: { topic?: { code: string } }; suggestions?: { uuid: string }[] }[] };

/** Cards with their per-response uuids blanked, to compare what two responses say. */
function content(body: CardsBody): string {
  return JSON.stringify(body).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'uuid');
}

describe('discovery', () => {
  test('lists the imaging services with 2.0 prefetch tokens only', async () => {
    const res = await fetch(`${service.url}/cds-services`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { services: { id: string; hook: string; description: string; prefetch: Record<string, string>; usageRequirements: string }[] };
    const ids = body.services.map((s) => s.id);
    expect(ids).toEqual(expect.arrayContaining(['back-pain-imaging-select', 'back-pain-imaging-sign']));
    for (const s of body.services) {
      expect(s.description.length).toBeGreaterThan(20);
      expect(s.usageRequirements.length).toBeGreaterThan(20);
      for (const template of Object.values(s.prefetch)) {
        for (const [, token] of template.matchAll(/\{\{\s*([^}]*)\s*\}\}/g)) {
          expect(token).toMatch(/^(context\.[A-Za-z]+|userPractitionerId|userPractitionerRoleId|userPatientId|userRelatedPersonId)$/);
        }
      }
    }
    expect(body.services.find((s) => s.id === 'back-pain-imaging-select')?.hook).toBe('order-select');
    expect(body.services.find((s) => s.id === 'back-pain-imaging-sign')?.hook).toBe('order-sign');
  });
});

describe.each(scenarios.filter((s) => imagingServices.some((i) => s.expect[i.id] !== undefined)).map((s) => [s.id, s] as const))('scenario %s', (_id, scenario) => {
  const cases = imagingServices.filter((s) => scenario.expect[s.id] !== undefined);
  test.each(cases.map((s) => [s.id, s] as const))('%s: same cards with full, partial and no prefetch', async (_sid, svc) => {
    service.setNow(new Date(scenario.now));
    const keys = Object.keys(svc.prefetch);
    const modes = {
      full: scenarioRequest(scenario, svc, { prefetch: 'all' }),
      partial: scenarioRequest(scenario, svc, { prefetch: keys.filter((_, i) => i % 2 === 0), fhirServer: fhir.url, accessToken: TOKEN }),
      fetched: scenarioRequest(scenario, svc, { prefetch: 'none', fhirServer: fhir.url, accessToken: TOKEN }),
    };
    const answers: Record<string, CardsBody> = {};
    for (const [mode, request] of Object.entries(modes)) {
      const res = await post(`${service.url}/cds-services/${svc.id}`, request);
      expect({ mode, status: res.status }).toEqual({ mode, status: 200 });
      assertCdsResponse(res.body);
      answers[mode] = res.body as CardsBody;
      expect({ mode, rules: ruleIds(res.body as CardsBody) }).toEqual({ mode, rules: [...(scenario.expect[svc.id] ?? [])].sort() });
    }
    expect(content(answers.partial as CardsBody)).toBe(content(answers.full as CardsBody));
    expect(content(answers.fetched as CardsBody)).toBe(content(answers.full as CardsBody));
  });
});

describe('the scenario library', () => {
  test('covers every imaging rule firing and not firing', () => {
    const fired = new Set(scenarios.flatMap((s) => Object.values(s.expect).flat()));
    for (const rule of ['imaging-defer', 'imaging-repeat', 'cauda-equina-emergency']) expect(fired).toContain(rule);
    expect(scenarios.some((s) => Object.values(s.expect).some((ids) => ids.length === 0))).toBe(true);
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
  });
});
