/**
 * The demo FHIR server on its own (compose's `demo` profile, the benchmark, and `npm start`, which
 * runs it as a child process off the service's event loop): the scenario patients on FHIR_PORT.
 * Run with `node --experimental-websocket` on Node 20.
 */
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../log.js';
import { startDemoFhir } from './fhir.js';

try {
  const config = loadConfig({ ...process.env, BACKPAIN_PROFILE: 'demo' });
  const logger = createLogger(config.LOG_LEVEL);
  const fhir = await startDemoFhir(config, logger);
  process.stdout.write(`demo FHIR R4 server: ${fhir.url}\n`);
  const stop = (): void => void fhir.close().finally(() => process.exit(0));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, stop);
  // Started by the service (src/demo/start.ts): stop when it is gone, however it ended.
  if (process.connected) process.once('disconnect', stop);
} catch (err) {
  process.stderr.write(`${err instanceof ConfigError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
}
