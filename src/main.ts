/**
 * `npm start`: the CDS service with its embedded defaults, plus the demo FHIR server seeded with
 * the scenario patients (dates moved to today) and, in the background, the Synthea sample, and the
 * feedback store (PGlite under ./data unless DATABASE_URL names a PostgreSQL server).
 */
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig } from './config.js';
import { startFhirServer, type RunningFhirServer } from './fhir-server/server.js';
import { readSyntheaArchive } from './fhir-server/load.js';
import { createApp, protectionOf } from './http/app.js';
import { shutDown } from './http/shutdown.js';
import { KnowledgeError } from './knowledge/load.js';
import { watchKnowledge } from './knowledge/watch.js';
import { startFeedback } from './feedback/index.js';
import { createLogger } from './log.js';
import { scenarioBundle, shiftScenario, shiftToToday } from './scenarios/bundle.js';
import { readScenarios } from './scenarios/load.js';
import { scenarioRequest } from './scenarios/requests.js';
import { SERVICES } from './hooks/services.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  // Hot reload: edits to rules/ and cards/ go live without a restart; a broken edit is rejected and logged.
  const live = watchKnowledge({ rulesDir: config.RULES_DIR, cardsDir: config.CARDS_DIR }, logger);

  let fhir: RunningFhirServer | undefined;
  let example: string | undefined;
  let patientViewExample: string | undefined;
  if (config.DEMO_FHIR) {
    fhir = await startFhirServer({ port: config.FHIR_PORT, host: config.HOST });
    const today = new Date();
    const scenarios = readScenarios();
    await fhir.load(scenarios.map((s) => scenarioBundle(s, shiftToToday(s, today))));
    logger.info('demo FHIR server seeded', { scenarios: scenarios.length });
    const sample = scenarios.find((s) => s.id === 'imaging-defer-acute-41-days');
    const service = SERVICES.find((s) => s.id === 'back-pain-imaging-select');
    if (sample && service) {
      const request = scenarioRequest(shiftScenario(sample, shiftToToday(sample, today)), service, { prefetch: 'none', fhirServer: fhir.url });
      example = JSON.stringify(request);
    }
    const fastTrack = scenarios.find((s) => s.id === 'sciatica-fast-track-medium-4-items-42-days');
    const stratified = SERVICES.find((s) => s.id === 'back-pain-stratified-care');
    if (fastTrack && stratified) {
      patientViewExample = JSON.stringify(scenarioRequest(shiftScenario(fastTrack, shiftToToday(fastTrack, today)), stratified, { prefetch: 'none', fhirServer: fhir.url }));
    }
    if (config.DEMO_SYNTHEA && existsSync(config.SYNTHEA_ARCHIVE)) {
      const running = fhir;
      // Synthea's 69,000 resources take seconds to load; the service is useful before that.
      void running
        .load(readSyntheaArchive(config.SYNTHEA_ARCHIVE))
        .then((s) => logger.info('demo FHIR server loaded the Synthea sample', { bundles: s.bundles, entries: s.entries }))
        .catch((err: Error) => logger.error('Synthea sample not loaded', { error: err.name, message: err.message }));
    }
  }

  const feedback = await startFeedback({ config, logger, knowledge: live.current });
  const app = createApp({ config, knowledge: live.current, knowledgeStatus: live.status, logger, onCards: feedback.onCards, routes: feedback.routes });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.PORT, config.HOST, () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`;
  const lines = [
    '',
    'backpain-cds is running',
    `  CDS Hooks discovery: ${base}/cds-services`,
    `  FHIR artefacts:      ${base}/fhir-artifacts  (STarT Back and SCOPiC Questionnaires, finding CodeSystem, ValueSets)`,
    ...(fhir ? [`  demo FHIR R4 server: ${fhir.url}  (load your own patients: POST a batch or transaction Bundle to ${fhir.url})`] : []),
    `  card feedback:       POST ${base}/cds-services/{id}/feedback`,
    `  feedback analytics:  ${base}/analytics  (also .json and .csv)`,
    `  feedback store:      ${feedback.location}`,
    `  rules version:       ${live.current().version} (watching ${config.RULES_DIR} and ${config.CARDS_DIR}; GET ${base}/status)`,
    ...(config.PREVIEW ? [`  card preview:        ${base}/preview/`] : []),
    ...(config.EXPLAIN ? [`  explain:             add ?explain=true to a service URL for the decision trace`] : []),
    ...(example
      ? ['', 'Try it (returns an imaging-defer card):', `  curl -s -X POST ${base}/cds-services/back-pain-imaging-select -H 'Content-Type: application/json' -d '${example}'`]
      : []),
    ...(patientViewExample
      ? ['', 'Try a patient-view service (returns a sciatica-fast-track card):', `  curl -s -X POST ${base}/cds-services/back-pain-stratified-care -H 'Content-Type: application/json' -d '${patientViewExample}'`]
      : []),
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');

  // SIGTERM (Kubernetes, docker stop): answer what is in flight, then exit.
  const protection = protectionOf(app);
  const stop = (): void => {
    live.close();
    // In-flight requests finish first, then the card log is written out and the store closed.
    void shutDown({ server, drain: protection.drain, inFlight: protection.inFlight, timeoutMs: config.SHUTDOWN_TIMEOUT_MS, logger })
      .then(() => feedback.close())
      .catch((err: Error) => logger.error('shutdown did not finish cleanly', { error: err.name, message: err.message }))
      .then(() => fhir?.close())
      .finally(() => {
        protection.close();
        process.exit(0);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof KnowledgeError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`backpain-cds failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
