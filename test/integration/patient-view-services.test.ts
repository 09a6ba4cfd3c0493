/**
 * The patient-view services end to end: the real service over HTTP, the real FHIR server over
 * HTTP, every scenario patient through full, partial and no prefetch; and the ServiceRequests the
 * cards suggest checked as complete R4 referrals.
 */
import type { ServiceRequest } from 'fhir/r4.js';
import type { RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenarios } from '../../src/demo/scenarios/load.js';
import { DEMO_USER } from '../../src/demo/scenarios/requests.js';
import type { Scenario } from '../../src/demo/scenarios/schema.js';
import { expectSameCardsEveryWay, startScenarioWorld, type CardsBody, type ScenarioWorld } from '../support/every-way.js';
import { knowledge, type RunningService } from '../support/harness.js';
import { r4Errors } from '../support/r4.js';

const scenarios = readScenarios();
const patientView = SERVICES.filter((s) => s.hook === 'patient-view');
const TOKEN = 'test-bearer-token-5d1e';
const DAY_MS = 86_400_000;

let world: ScenarioWorld;
let fhir: RunningFhirServer;
let service: RunningService;

beforeAll(async () => {
  world = await startScenarioWorld(scenarios);
  ({ fhir, service } = world);
});

afterAll(() => world?.close());

/** A suggested referral must be one the patient does not already have: same code, open, or authored in the last year. */
function alreadyHas(scenario: Scenario, suggested: ServiceRequest): string | undefined {
  const codes = new Set((suggested.code?.coding ?? []).map((c) => `${c.system}|${c.code}`));
  const now = Date.parse(scenario.now);
  for (const r of scenario.resources) {
    if (r.resourceType !== 'ServiceRequest') continue;
    const sr = r as unknown as ServiceRequest;
    if (!['active', 'on-hold', 'completed'].includes(sr.status)) continue;
    if (!(sr.code?.coding ?? []).some((c) => codes.has(`${c.system}|${c.code}`))) continue;
    const recent = sr.authoredOn !== undefined && now - Date.parse(sr.authoredOn) <= 365 * DAY_MS;
    if (sr.status !== 'completed' || recent) return `ServiceRequest/${sr.id}`;
  }
  return undefined;
}

function checkSuggestions(scenario: Scenario, body: CardsBody): void {
  for (const card of body.cards) {
    for (const suggestion of card.suggestions ?? []) {
      for (const action of suggestion.actions) {
        expect(action.type).toBe('create');
        const sr = action.resource as ServiceRequest;
        const where = `${card.source.topic?.code}: ${suggestion.label}`;
        expect({ where, errors: r4Errors(sr) }).toEqual({ where, errors: [] });
        expect({ where, sr }).toMatchObject({
          where,
          sr: {
            resourceType: 'ServiceRequest',
            status: 'draft',
            intent: 'order',
            subject: { reference: `Patient/${scenario.patient.id}` },
            requester: { reference: DEMO_USER },
          },
        });
        expect(sr.code?.coding?.length).toBeGreaterThan(0);
        expect(sr.reasonReference?.length).toBeGreaterThan(0);
        expect(sr.supportingInfo?.length).toBeGreaterThan(0);
        const letter = sr.note?.[0]?.text ?? '';
        // Every reference the letter rests on is one of the patient's own resources.
        const own = new Set(scenario.resources.map((x) => `${x.resourceType}/${x.id}`));
        for (const ref of [...(sr.reasonReference ?? []), ...(sr.supportingInfo ?? [])]) expect(own).toContain(ref.reference);
        // The letter carries the dates of what it cites and asks to hear back.
        expect(letter).toMatch(/\d{4}-\d{2}-\d{2}/);
        expect(letter).toContain(DEMO_USER);
        expect({ where, already: alreadyHas(scenario, sr) }).toEqual({ where, already: undefined });
      }
    }
  }
}

describe('discovery', () => {
  test('lists both patient-view services with prefetch templates for what their facts read', async () => {
    const res = await fetch(`${service.url}/cds-services`);
    const body = (await res.json()) as { services: { id: string; hook: string; prefetch: Record<string, string> }[] };
    const byId = new Map(body.services.map((s) => [s.id, s]));
    expect(byId.get('back-pain-stratified-care')?.hook).toBe('patient-view');
    expect(byId.get('chronic-pain-therapy-referral')?.hook).toBe('patient-view');
    expect(Object.keys(byId.get('back-pain-stratified-care')?.prefetch ?? {}).sort()).toEqual(
      [
        'conditions',
        'diagnosticReports',
        'imagingStudies',
        'medicationStatements',
        'medications',
        'observations',
        'patient',
        'procedures',
        'questionnaireResponses',
        'serviceRequests',
      ].sort(),
    );
  });

  test('the Observation prefetch asks for every code the facts read, or for every Observation but laboratory results', () => {
    // Red flags and cauda equina signs come from Observations of any code (or text only), so stratified care reads them all.
    const stratified = new URLSearchParams(
      patientView.find((s) => s.id === 'back-pain-stratified-care')?.prefetch.observations?.split('?')[1],
    );
    expect({ code: stratified.get('code'), notCategory: stratified.get('category:not') }).toEqual({
      code: null,
      notCategory: 'laboratory',
    });
    const chronic = patientView.find((s) => s.id === 'chronic-pain-therapy-referral');
    const listed = new Set(new URLSearchParams(chronic?.prefetch.observations?.split('?')[1]).get('code')?.split(',') ?? []);
    const codes = ['phq9-total', 'phq9-item9', 'gad7-total'].flatMap((id) =>
      (knowledge.valueSet(id).file.expansion.contains ?? []).map((c) => `${c.system}|${c.code}`),
    );
    for (const code of codes) expect({ code, listed: listed.has(code) }).toEqual({ code, listed: true });
  });
});

describe.each(scenarios.filter((s) => patientView.some((p) => s.expect[p.id] !== undefined)).map((s) => [s.id, s] as const))(
  'scenario %s',
  (_id, scenario) => {
    const cases = patientView.filter((s) => scenario.expect[s.id] !== undefined);
    test.each(cases.map((s) => [s.id, s] as const))('%s: same cards with full, partial and no prefetch', async (_sid, svc) => {
      checkSuggestions(
        scenario,
        await expectSameCardsEveryWay(scenario, svc, { service, fhirUrl: fhir.url, token: TOKEN, partialHalf: 1 }),
      );
    });
  },
);

describe('the scenario library', () => {
  const rules = ['back-pain-stratified-care', 'chronic-pain-therapy-referral'].flatMap(
    (id) => knowledge.ruleSetFor(id)?.rules.map((r) => [id, r.id] as const) ?? [],
  );

  test('at least 40 patient-view patients, each rule firing in one and silent in another', () => {
    const pv = scenarios.filter((s) => patientView.some((p) => s.expect[p.id] !== undefined));
    expect(pv.length).toBeGreaterThanOrEqual(40);
    for (const [serviceId, rule] of rules) {
      const fired = pv.filter((s) => s.expect[serviceId]?.includes(rule));
      const silent = pv.filter((s) => s.expect[serviceId] !== undefined && !s.expect[serviceId]?.includes(rule));
      expect({ rule, fired: fired.length > 0, silent: silent.length > 0 }).toEqual({ rule, fired: true, silent: true });
    }
    expect(pv.some((s) => patientView.every((p) => s.expect[p.id]?.length === 0))).toBe(true);
  });
});
