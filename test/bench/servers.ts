/**
 * Processes the benchmark runs besides the service's own entry point (dist/src/main.js):
 *   bare               express parsing the same body and answering {"cards":[]}: the ceiling
 *   no-card-log        the service app as main.ts builds it, without the feedback store, to price the card log
 *   handler-alone      express, its JSON body parser and the service's own hook handler, nothing else: no
 *                      security headers, guards, logs, metrics or card log. The floor under the service.
 *   cluster <n> <main> node's cluster module sharing one port among n copies of the service
 * Each prints "ready <port>" when it listens.
 */
import cluster from 'node:cluster';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { loadConfig } from '../../src/config.js';
import { checkFhirServer, parseAllowlist } from '../../src/context/fhir-server-allowlist.js';
import { patientContextReader } from '../../src/context/patient-context.js';
import { SERVICES } from '../../src/hooks/services.js';
import { createApp } from '../../src/http/app.js';
import { serviceCallHandler } from '../../src/http/service-call.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { createLogger } from '../../src/log.js';

const [mode, arg, main] = process.argv.slice(2);

function ready(port: number): void {
  process.stdout.write(`ready ${port}\n`);
}

/** Listens on a free loopback port, says so, and exits on a signal. */
function serve(app: express.Express): void {
  const server = app.listen(0, '127.0.0.1', () => ready((server.address() as AddressInfo).port));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(0));
}

if (mode === 'bare') {
  const app = express();
  app.use(express.json({ limit: '1mb' }));
  app.post('/cds-services/:id', (_req, res) => {
    res.json({ cards: [] });
  });
  serve(app);
} else if (mode === 'no-card-log') {
  const config = loadConfig();
  const knowledge = loadKnowledge({ rulesDir: config.RULES_DIR, cardsDir: config.CARDS_DIR });
  const app = createApp({ config, knowledge: () => knowledge, logger: createLogger(config.LOG_LEVEL) });
  serve(app);
} else if (mode === 'handler-alone') {
  const config = loadConfig();
  const knowledge = loadKnowledge({ rulesDir: config.RULES_DIR, cardsDir: config.CARDS_DIR });
  const allowlist = parseAllowlist(config.FHIR_SERVER_ALLOWLIST);
  const app = express();
  app.use(express.json({ limit: config.BODY_LIMIT }));
  app.post(
    '/cds-services/:id',
    serviceCallHandler({
      findService: (id) => SERVICES.find((s) => s.id === id),
      knowledge: () => knowledge,
      deadlineMs: config.FETCH_DEADLINE_MS,
      now: () => new Date(),
      checkFhirServer: (url) => checkFhirServer(url, allowlist, config.FHIR_HTTPS_ONLY),
      pipeline: { readContext: patientContextReader() },
    }),
  );
  serve(app);
} else if (mode === 'cluster' && main) {
  // The primary only accepts connections and hands them to the workers in turn (round robin).
  const count = Number(arg);
  cluster.setupPrimary({ exec: main, args: [] });
  const listening = new Set<number>();
  let stopping = false;
  cluster.on('listening', (worker, address) => {
    listening.add(worker.id);
    if (listening.size === count) ready(address.port);
  });
  cluster.on('exit', (worker, code) => {
    if (!stopping) process.stderr.write(`worker ${worker.id} exited with ${code}\n`);
  });
  // One data folder each: the embedded store (PGlite) belongs to one process.
  for (let i = 0; i < count; i++) cluster.fork({ DATA_DIR: `${process.env.DATA_DIR ?? 'data'}/worker-${i}` });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stopping = true;
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
      cluster.disconnect(() => process.exit(0));
    });
  }
} else {
  process.stderr.write(
    'usage: servers.js bare | servers.js no-card-log | servers.js handler-alone | servers.js cluster <n> <path to dist/src/main.js>\n',
  );
  process.exit(2);
}
