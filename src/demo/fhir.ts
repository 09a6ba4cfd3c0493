/**
 * The demo FHIR server seeded with the scenario patients (dates moved to today) and, in the
 * background, the Synthea sample. Only the demo imports this: it needs @medplum/* and Node's
 * --experimental-websocket, which the production image leaves out.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config.js';
import { readSyntheaArchive } from './fhir-server/synthea-archive.js';
import { startFhirServer, type RunningFhirServer } from './fhir-server/server.js';
import type { Logger } from '../log.js';
import { scenarioBundle, shiftToToday } from './scenarios/bundle.js';
import { readScenarios } from './scenarios/load.js';

export type DemoFhirConfig = Pick<Config, 'FHIR_PORT' | 'HOST' | 'DEMO_SYNTHEA' | 'SYNTHEA_ARCHIVE'>;

export async function startDemoFhir(config: DemoFhirConfig, logger: Logger, today = new Date()): Promise<RunningFhirServer> {
  const fhir = await startFhirServer({ port: config.FHIR_PORT, host: config.HOST });
  const scenarios = readScenarios();
  await fhir.load(scenarios.map((s) => scenarioBundle(s, shiftToToday(s, today))));
  logger.info('demo FHIR server seeded', { scenarios: scenarios.length });
  if (config.DEMO_SYNTHEA && existsSync(config.SYNTHEA_ARCHIVE)) {
    // Synthea's 69,000 resources take seconds to load; the service is useful before that.
    void fhir
      .load(readSyntheaArchive(config.SYNTHEA_ARCHIVE))
      .then((s) => logger.info('demo FHIR server loaded the Synthea sample', { bundles: s.bundles, entries: s.entries }))
      .catch((err: Error) => logger.error('Synthea sample not loaded', { error: err.name, message: err.message }));
  }
  return fhir;
}
