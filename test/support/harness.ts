/** Starts the real service (and, when asked, the real FHIR server) on loopback ports for a test file. */
import type { Server } from 'node:http';
import type { Express } from 'express';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { createApp, protectionOf, type AppDeps } from '../../src/http/app.js';
import type { Protection } from '../../src/http/protect.js';
import { loadKnowledge } from '../../src/knowledge/load.js';
import { createLogger } from '../../src/log.js';
import { cardsDir, rulesDir } from '../../src/paths.js';

export const knowledge = loadKnowledge({ rulesDir, cardsDir });

export interface RunningService {
  url: string;
  logs: string[];
  setNow(now: Date): void;
  /** The express app itself, for in-process injection (light-my-request) without sockets. */
  app: Express;
  /** The app's limits and shutdown controls. */
  protection: Protection;
  close(): Promise<void>;
}

/**
 * The demo profile, allowing FHIR servers on loopback at any port (tests start them on port 0).
 * Event-loop-lag shedding is off: a busy test machine must not turn a test about cards into a 503;
 * the tests about shedding (lag-shedding.test.ts) turn it on and drive the lag with a sampler.
 */
export const TEST_ENV: Record<string, string> = { FHIR_SERVER_ALLOWLIST: 'http://127.0.0.1:*/fhir', MAX_EVENT_LOOP_LAG_MS: '0' };

export async function startService(
  env: Record<string, string> = {},
  deps: Partial<Pick<AppDeps, 'replayStore' | 'readinessChecks' | 'lagSampler'>> = {},
): Promise<RunningService> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  let now = new Date('2026-11-23T10:00:00Z');
  const config = loadConfig({ ...TEST_ENV, ...env });
  const app = createApp({ config, knowledge: () => knowledge, logger: createLogger('info', sink), now: () => now, ...deps });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    logs,
    setNow: (n) => {
      now = n;
    },
    app,
    protection: protectionOf(app),
    close: () =>
      new Promise<void>((resolve) => {
        protectionOf(app).close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function post(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return readResponse(res);
}

/** Status, headers and body; a body that is not JSON stays text so the assertion shows it. */
export async function readResponse(res: Response): Promise<{ status: number; body: unknown; headers: Headers }> {
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: keep the text.
  }
  return { status: res.status, body: parsed, headers: res.headers };
}
