/**
 * What `npm start` adds in the demo profile: the seeded demo FHIR server and a ready-to-paste
 * request that returns a card. main.ts imports this module only when DEMO_FHIR is on.
 */
import type { Config } from '../config.js';
import type { RunningFhirServer } from '../fhir-server/server.js';
import { SERVICES } from '../hooks/services.js';
import type { Logger } from '../log.js';
import { shiftScenario, shiftToToday } from '../scenarios/bundle.js';
import { readScenario, scenariosDir } from '../scenarios/load.js';
import { scenarioRequest } from '../scenarios/requests.js';
import { startDemoFhir } from './fhir.js';

export interface Demo {
  fhir: RunningFhirServer;
  /** Hook requests (JSON) for the start-up banner's curl lines: order-select, and a patient-view one. */
  example?: string;
  patientViewExample?: string;
}

export async function startDemo(config: Config, logger: Logger): Promise<Demo> {
  const today = new Date();
  const fhir = await startDemoFhir(config, logger, today);
  const request = (scenarioId: string, serviceId: string): string | undefined => {
    const service = SERVICES.find((s) => s.id === serviceId);
    const sample = readScenario(`${scenariosDir}/${scenarioId}.json`);
    return service ? JSON.stringify(scenarioRequest(shiftScenario(sample, shiftToToday(sample, today)), service, { prefetch: 'none', fhirServer: fhir.url })) : undefined;
  };
  const example = request('imaging-defer-acute-41-days', 'back-pain-imaging-select');
  const patientViewExample = request('sciatica-fast-track-medium-4-items-42-days', 'back-pain-stratified-care');
  return { fhir, ...(example ? { example } : {}), ...(patientViewExample ? { patientViewExample } : {}) };
}
