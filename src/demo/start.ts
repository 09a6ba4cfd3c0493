/**
 * What `npm start` adds in the demo profile: the seeded demo FHIR server and a ready-to-paste
 * request that returns a card. main.ts imports this module only when DEMO_FHIR is on.
 *
 * The demo FHIR server runs in a child process (fhir-main.js), not on the service's event loop:
 * loading Synthea and answering searches stalls a loop for hundreds of milliseconds, which in one
 * process would slow (and could shed) hook calls. The demo then behaves like production, where the
 * FHIR server is another machine.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config.js';
import { SERVICES } from '../hooks/services.js';
import type { Logger } from '../log.js';
import { shiftScenario, shiftToToday } from './scenarios/bundle.js';
import { readScenario, scenariosDir } from './scenarios/load.js';
import { scenarioRequest } from './scenarios/requests.js';

export interface DemoFhir {
  url: string;
  close(): Promise<void>;
}

export interface Demo {
  fhir: DemoFhir;
  /** Hook requests (JSON) for the start-up banner's curl lines: order-select, and a patient-view one. */
  example?: string;
  patientViewExample?: string;
}

/** Starts fhir-main.js in a child process and resolves with its URL once it listens; its log lines go to stdout. */
function startDemoFhirProcess(config: Config, logger: Logger): Promise<DemoFhir> {
  const entry = fileURLToPath(new URL('./fhir-main.js', import.meta.url));
  const child = spawn(process.execPath, ['--experimental-websocket', entry], {
    env: {
      ...process.env,
      FHIR_PORT: String(config.FHIR_PORT),
      HOST: config.HOST,
      DEMO_SYNTHEA: String(config.DEMO_SYNTHEA),
      SYNTHEA_ARCHIVE: config.SYNTHEA_ARCHIVE,
      LOG_LEVEL: config.LOG_LEVEL,
    },
    // The IPC channel lets the child notice when this process is gone, so it never outlives it.
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let buffered = '';
    const onData = (chunk: Buffer): void => {
      buffered += chunk.toString();
      const m = /demo FHIR R4 server: (http:\/\/\S+)/.exec(buffered);
      if (!m?.[1]) return;
      child.stdout?.off('data', onData);
      process.stdout.write(buffered.slice(0, m.index));
      child.stdout?.pipe(process.stdout);
      logger.info('demo FHIR server started in its own process', { pid: child.pid });
      resolve({
        url: m[1],
        close: () => {
          if (child.exitCode === null) child.kill('SIGTERM');
          return exited;
        },
      });
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the demo FHIR server exited with ${code} before it listened`)));
  });
}

export async function startDemo(config: Config, logger: Logger): Promise<Demo> {
  const today = new Date();
  const fhir = await startDemoFhirProcess(config, logger);
  const request = (scenarioId: string, serviceId: string): string | undefined => {
    const service = SERVICES.find((s) => s.id === serviceId);
    const sample = readScenario(`${scenariosDir}/${scenarioId}.json`);
    return service
      ? JSON.stringify(
          scenarioRequest(shiftScenario(sample, shiftToToday(sample, today)), service, { prefetch: 'none', fhirServer: fhir.url }),
        )
      : undefined;
  };
  const example = request('imaging-defer-acute-41-days', 'back-pain-imaging-select');
  const patientViewExample = request('sciatica-fast-track-medium-4-items-42-days', 'back-pain-stratified-care');
  return { fhir, ...(example ? { example } : {}), ...(patientViewExample ? { patientViewExample } : {}) };
}
