/**
 * Production serves the operational endpoints (/metrics, /status, /analytics*) only on the admin
 * listener (ADMIN_PORT, loopback by default), never on the EHR-facing port, where /metrics would
 * tell an attacker why each token failed. The demo keeps them on its one port.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.js';
import { startFeedback, type Feedback } from '../../src/feedback/index.js';
import { createAdminApp, createApp, protectionOf, type AppDeps } from '../../src/http/app.js';
import { listen } from '../../src/http/listen.js';
import { createLogger } from '../../src/log.js';
import { knowledge, startService } from '../support/harness.js';
import { testKey } from '../support/jwt.js';
import { createTestStore, type TestStore } from '../support/stores.js';

const OPERATIONAL = ['/metrics', '/status', '/analytics', '/analytics.json', '/analytics.csv'];
let store: TestStore;
let feedback: Feedback;
let main: Server;
let admin: Server;
const url = (s: Server): string => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  store = await createTestStore('pglite');
  const key = await testKey('admin-1', 'ES384');
  const config = loadConfig({
    ...store.env,
    BACKPAIN_PROFILE: 'production',
    PUBLIC_BASE_URL: 'https://cds.example.test',
    JWT_ISSUERS: JSON.stringify([{ iss: 'https://ehr.example.test', jwks: { keys: [key.publicJwk] } }]),
    FHIR_SERVER_ALLOWLIST: 'https://ehr.example.test/fhir',
    ADMIN_PORT: '0',
  });
  expect(config.ADMIN_HOST).toBe('127.0.0.1');
  const logger = createLogger('silent', new Writable({ write: (_c, _e, done) => done() }));
  feedback = await startFeedback({ config, logger, knowledge: () => knowledge });
  const deps: AppDeps = {
    config,
    knowledge: () => knowledge,
    logger,
    onCards: feedback.onCards,
    routes: feedback.routes,
    adminRoutes: feedback.adminRoutes,
  };
  const app = createApp(deps);
  main = await listen(app, 0, '127.0.0.1');
  admin = await listen(createAdminApp(deps), config.ADMIN_PORT ?? 0, config.ADMIN_HOST);
  protectionOf(app).close();
});
afterAll(async () => {
  for (const s of [main, admin]) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
  await feedback.close();
  await store.cleanup();
});

test('the production profile puts the admin listener on its own port, on loopback', () => {
  const c = loadConfig({
    BACKPAIN_PROFILE: 'production',
    PUBLIC_BASE_URL: 'https://cds.example.test',
    JWT_ISSUERS: JSON.stringify([{ iss: 'x', jwksUrl: 'https://x/jwks' }]),
  });
  expect(c.ADMIN_PORT).toBe(9464);
  expect(c.ADMIN_HOST).toBe('127.0.0.1');
  expect(() => loadConfig({ PORT: '4000', ADMIN_PORT: '4000' })).toThrow(/ADMIN_PORT: must differ from PORT/);
});

test.each(OPERATIONAL)('production: %s is not on the EHR-facing port, and is on the admin listener', async (path) => {
  expect((await fetch(`${url(main)}${path}`)).status).toBe(404);
  expect((await fetch(`${url(admin)}${path}`)).status).toBe(200);
});

test('the admin listener serves nothing else: no CDS Hooks, no health', async () => {
  for (const path of ['/cds-services', '/healthz']) expect((await fetch(`${url(admin)}${path}`)).status).toBe(404);
  expect((await fetch(`${url(main)}/healthz`)).status).toBe(200);
});

test('the demo profile keeps them on its one port', async () => {
  const demo = await startService();
  try {
    for (const path of ['/metrics', '/status']) expect((await fetch(`${demo.url}${path}`)).status).toBe(200);
  } finally {
    await demo.close();
  }
});
