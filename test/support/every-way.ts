/**
 * The scenario check both service families share: the same request three ways (full prefetch,
 * half the keys prefetched, nothing prefetched), each answered 200, spec-clean and with the
 * expected rule ids, and all three saying the same thing.
 */
import type { Card } from '../../src/cards/types.js';
import { startFhirServer, type RunningFhirServer } from '../../src/demo/fhir-server/server.js';
import { scenarioBundle } from '../../src/demo/scenarios/bundle.js';
import type { ServiceDefinition } from '../../src/hooks/services.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import type { Scenario } from '../../src/demo/scenarios/schema.js';
import { post, startService, type RunningService } from './harness.js';
import { assertCdsResponse, ruleIds } from './spec.js';

export type CardsBody = { cards: Card[] };

/** Cards with their per-response uuids blanked, to compare what two responses say. */
export function content(body: CardsBody): string {
  return JSON.stringify(body).replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'uuid');
}

export interface EveryWayOptions {
  service: RunningService;
  fhirUrl: string;
  token: string;
  /** Which half of the prefetch keys the partial request carries (0: even positions, 1: odd). */
  partialHalf: 0 | 1;
}

/** Returns the full-prefetch answer after checking all three ways agree. */
export async function expectSameCardsEveryWay(scenario: Scenario, svc: ServiceDefinition, o: EveryWayOptions): Promise<CardsBody> {
  o.service.setNow(new Date(scenario.now));
  const keys = Object.keys(svc.prefetch);
  const modes = {
    full: scenarioRequest(scenario, svc, { prefetch: 'all' }),
    partial: scenarioRequest(scenario, svc, {
      prefetch: keys.filter((_, i) => i % 2 === o.partialHalf),
      fhirServer: o.fhirUrl,
      accessToken: o.token,
    }),
    fetched: scenarioRequest(scenario, svc, { prefetch: 'none', fhirServer: o.fhirUrl, accessToken: o.token }),
  };
  const answers: Record<string, CardsBody> = {};
  for (const [mode, request] of Object.entries(modes)) {
    const res = await post(`${o.service.url}/cds-services/${svc.id}`, request);
    expect({ mode, status: res.status }).toEqual({ mode, status: 200 });
    assertCdsResponse(res.body);
    answers[mode] = res.body as CardsBody;
    expect({ mode, rules: ruleIds(res.body as CardsBody) }).toEqual({ mode, rules: [...(scenario.expect[svc.id] ?? [])].sort() });
  }
  const full = answers.full as CardsBody;
  expect(content(answers.partial as CardsBody)).toBe(content(full));
  expect(content(answers.fetched as CardsBody)).toBe(content(full));
  return full;
}

export interface ScenarioWorld {
  fhir: RunningFhirServer;
  service: RunningService;
  close(): Promise<void>;
}

/** The real FHIR server loaded with every scenario patient (dates as written), and the service beside it. */
export async function startScenarioWorld(scenarios: readonly Scenario[]): Promise<ScenarioWorld> {
  const fhir = await startFhirServer({ port: 0 });
  await fhir.load(scenarios.map((s) => scenarioBundle(s)));
  const service = await startService();
  return {
    fhir,
    service,
    async close() {
      await service.close();
      await fhir.close();
    },
  };
}
