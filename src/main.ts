/**
 * `npm start`: the CDS service with its embedded defaults, plus (demo profile) the demo FHIR server
 * seeded with the scenario patients and, in the background, the Synthea sample, and the feedback
 * store (PGlite under ./data unless DATABASE_URL names a PostgreSQL server). The production entry
 * point too (docker/Dockerfile): the demo modules are imported only when DEMO_FHIR is on.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError, loadConfig, type Config } from './config.js';
import type { Demo } from './demo/start.js';
import { createAdminApp, createApp, protectionOf } from './http/app.js';
import { listen } from './http/listen.js';
import { DatabaseReplayStore } from './http/auth/database-replay-store.js';
import { shutDown } from './http/shutdown.js';
import { KnowledgeError } from './knowledge/problems.js';
import { watchKnowledge } from './knowledge/watch.js';
import { startFeedback } from './feedback/index.js';
import { createLogger, type Logger } from './log.js';
import { setClinicalTimeZone } from './facts/dates.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL);
  setClinicalTimeZone(config.CLINICAL_TIMEZONE);
  // Hot reload: edits to rules/ and cards/ go live without a restart; a broken edit is rejected and logged.
  const live = watchKnowledge({ rulesDir: config.RULES_DIR, cardsDir: config.CARDS_DIR }, logger);

  const demo = config.DEMO_FHIR ? await startDemo(config, logger) : undefined;
  const fhir = demo?.fhir;
  const example = demo?.example;
  const patientViewExample = demo?.patientViewExample;

  const feedback = await startFeedback({ config, logger, knowledge: () => live.current() });
  // Used JWT ids live in the same database, so a token replayed to another replica is refused too.
  const replayStore = new DatabaseReplayStore(feedback.db);
  const appDeps = {
    config,
    knowledge: () => live.current(),
    knowledgeStatus: () => live.status(),
    logger,
    onCards: feedback.onCards,
    cardLogAccepts: feedback.cardLogAccepts,
    routes: feedback.routes,
    adminRoutes: feedback.adminRoutes,
    replayStore,
  };
  const app = createApp(appDeps);
  const server: Server = await listen(app, config.PORT, config.HOST);
  // Production: the operational endpoints on their own listener, loopback unless ADMIN_HOST says otherwise.
  const admin = config.ADMIN_PORT !== undefined ? await listen(createAdminApp(appDeps), config.ADMIN_PORT, config.ADMIN_HOST) : undefined;
  const port = (server.address() as AddressInfo).port;
  const base = `http://${config.HOST === '0.0.0.0' ? 'localhost' : config.HOST}:${port}`;
  const adminBase = admin
    ? `http://${config.ADMIN_HOST === '0.0.0.0' ? 'localhost' : config.ADMIN_HOST}:${(admin.address() as AddressInfo).port}`
    : base;
  const lines = [
    '',
    'backpain-cds is running',
    `  CDS Hooks discovery: ${base}/cds-services`,
    `  FHIR artefacts:      ${base}/fhir-artifacts  (STarT Back and SCOPiC Questionnaires, finding CodeSystem, ValueSets)`,
    ...(fhir ? [`  demo FHIR R4 server: ${fhir.url}  (load your own patients: POST a batch or transaction Bundle to ${fhir.url})`] : []),
    `  card feedback:       POST ${base}/cds-services/{id}/feedback`,
    `  feedback analytics:  ${adminBase}/analytics  (also .json and .csv)`,
    `  metrics, status:     ${adminBase}/metrics, ${adminBase}/status${admin ? '  (admin listener, ADMIN_PORT)' : ''}`,
    `  feedback store:      ${feedback.location}`,
    `  rules version:       ${live.current().version} (watching ${config.RULES_DIR} and ${config.CARDS_DIR}; GET ${adminBase}/status)`,
    ...(config.PREVIEW ? [`  card preview:        ${base}/preview/`] : []),
    ...(config.EXPLAIN ? [`  explain:             add ?explain=true to a service URL for the decision trace`] : []),
    ...(example
      ? [
          '',
          'Try it (returns an imaging-defer card):',
          `  curl -s -X POST ${base}/cds-services/back-pain-imaging-select -H 'Content-Type: application/json' -d '${example}'`,
        ]
      : []),
    ...(patientViewExample
      ? [
          '',
          'Try a patient-view service (returns a sciatica-fast-track card):',
          `  curl -s -X POST ${base}/cds-services/back-pain-stratified-care -H 'Content-Type: application/json' -d '${patientViewExample}'`,
        ]
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
      .then(() => replayStore.settled())
      .then(() => feedback.close())
      .catch((err: Error) => logger.error('shutdown did not finish cleanly', { error: err.name, message: err.message }))
      .then(() => fhir?.close())
      .then(() => new Promise<void>((resolve) => (admin ? admin.close(() => resolve()) : resolve())))
      .finally(() => {
        protection.close();
        process.exit(0);
      });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** The demo's packages (@medplum/*) are not in the production image, and need --experimental-websocket on Node 20. */
async function startDemo(config: Config, logger: Logger): Promise<Demo> {
  let demo: typeof import('./demo/start.js');
  try {
    demo = await import('./demo/start.js');
  } catch (err) {
    const message = err instanceof Error ? err.message : '';
    const why = /WebSocket is not defined/.test(message)
      ? 'run node with --experimental-websocket (npm start does)'
      : /@medplum\//.test(message) && (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND'
        ? 'its packages (@medplum/*) are not installed (the production image leaves them out)'
        : undefined;
    if (!why) throw err;
    throw new ConfigError(
      `Invalid configuration:\n  DEMO_FHIR: the demo FHIR server cannot start: ${why}. Set DEMO_FHIR=false to run without it.`,
    );
  }
  return demo.startDemo(config, logger);
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError || err instanceof KnowledgeError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(`backpain-cds failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exit(1);
});
