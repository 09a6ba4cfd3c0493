/**
 * The processes the benchmark measures, each started alone so the load generator does not share
 * their event loop: `service` (the real app), `bare` (express parsing the same body, the ceiling)
 * and `fhir` (the demo FHIR server with the scenario patients).
 */
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { startFhirServer } from '../../src/fhir-server/server.js';
import { startFeedback } from '../../src/feedback/index.js';
import { createApp } from '../../src/http/app.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { createLogger } from '../../src/log.js';
import { scenarioBundle, shiftToToday } from '../../src/scenarios/bundle.js';
import { readScenarios } from '../../src/scenarios/load.js';

const mode = process.argv[2];

function ready(port: number): void {
  process.stdout.write(`ready ${port}\n`);
}

if (mode === 'fhir') {
  const fhir = await startFhirServer({ port: 0 });
  const today = new Date();
  await fhir.load(readScenarios().map((s) => scenarioBundle(s, shiftToToday(s, today))));
  ready(fhir.port);
} else if (mode === 'service') {
  // The benchmark is one client at full speed on loopback: no rate limit, any loopback FHIR port.
  const config = loadConfig({ LOG_LEVEL: 'silent', RATE_LIMIT_PER_MINUTE: '0', FHIR_SERVER_ALLOWLIST: 'http://127.0.0.1:*/fhir' });
  const knowledge = loadKnowledge({ rulesDir: config.RULES_DIR, cardsDir: config.CARDS_DIR });
  const app = createApp({ config, knowledge: () => knowledge, logger: createLogger('warn') });
  const server = app.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (mode === 'service-card-log') {
  // The same app with the feedback loop wired as main.ts wires it, on a fresh PGlite store.
  const dataDir = mkdtempSync(join(tmpdir(), 'backpain-bench-'));
  process.once('exit', () => rmSync(dataDir, { recursive: true, force: true }));
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: dataDir });
  const knowledge = loadKnowledge({ rulesDir: config.RULES_DIR, cardsDir: config.CARDS_DIR });
  const logger = createLogger('warn');
  const feedback = await startFeedback({ config, logger, knowledge: () => knowledge });
  const app = createApp({ config, knowledge: () => knowledge, logger, onCards: feedback.onCards, routes: feedback.routes });
  const server = app.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else if (mode === 'bare') {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/cds-services/:id', (_req, res) => {
    res.json({ cards: [] });
  });
  const server = app.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
} else {
  process.stderr.write('usage: servers.js fhir|service|service-card-log|bare\n');
  process.exit(2);
}

// A clean exit lets `node --cpu-prof` write its profile when the benchmark stops a server.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
