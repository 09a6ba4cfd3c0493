/**
 * The lumbar imaging services end to end: the real service over HTTP, the real FHIR server over
 * HTTP, every scenario patient through full, partial and no prefetch.
 */
import type { RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenarios } from '../../src/demo/scenarios/load.js';
import { expectSameCardsEveryWay, startScenarioWorld, type ScenarioWorld } from '../support/every-way.js';
import type { RunningService } from '../support/harness.js';

const scenarios = readScenarios();
const imagingServices = SERVICES.filter((s) => s.hook === 'order-select' || s.hook === 'order-sign');
const TOKEN = 'test-bearer-token-9f2c';

let world: ScenarioWorld;
let fhir: RunningFhirServer;
let service: RunningService;

beforeAll(async () => {
  world = await startScenarioWorld(scenarios);
  ({ fhir, service } = world);
});

afterAll(() => world?.close());

describe('discovery', () => {
  test('lists the imaging services with 2.0 prefetch tokens only', async () => {
    const res = await fetch(`${service.url}/cds-services`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      services: { id: string; hook: string; description: string; prefetch: Record<string, string>; usageRequirements: string }[];
    };
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

describe.each(scenarios.filter((s) => imagingServices.some((i) => s.expect[i.id] !== undefined)).map((s) => [s.id, s] as const))(
  'scenario %s',
  (_id, scenario) => {
    const cases = imagingServices.filter((s) => scenario.expect[s.id] !== undefined);
    test.each(cases.map((s) => [s.id, s] as const))('%s: same cards with full, partial and no prefetch', async (_sid, svc) => {
      await expectSameCardsEveryWay(scenario, svc, { service, fhirUrl: fhir.url, token: TOKEN, partialHalf: 0 });
    });
  },
);

describe('the scenario library', () => {
  test('covers every imaging rule firing and not firing', () => {
    const fired = new Set(scenarios.flatMap((s) => Object.values(s.expect).flat()));
    for (const rule of ['imaging-defer', 'imaging-repeat', 'cauda-equina-emergency']) expect(fired).toContain(rule);
    expect(scenarios.some((s) => Object.values(s.expect).some((ids) => ids.length === 0))).toBe(true);
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
  });
});
