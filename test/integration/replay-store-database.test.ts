/**
 * The JWT replay store in the service's database, on both real stores (PGlite and the PostgreSQL
 * named by TEST_DATABASE_URL): a jti is claimed once across every connection (replicas), an expired
 * one may be claimed again, expired rows are purged, a database error refuses the call with a 503
 * (never a silent pass), and over HTTP a token used on one replica is refused by another.
 */
import { migrate } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import type { Database } from '../../src/db/database.js';
import { SERVICES } from '../../src/hooks/services.js';
import { DatabaseReplayStore } from '../../src/http/auth/database-replay-store.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post, startService, type RunningService } from '../support/harness.js';
import { mintToken, testKey, type TestKey } from '../support/jwt.js';
import { createTestStore, storeKinds, type TestStore } from '../support/stores.js';

const ISS = 'https://ehr.replay.example';
const PUBLIC = 'https://cds.replay.example';
const SELECT = 'back-pain-imaging-select';
const select = SERVICES.find((s) => s.id === SELECT)!;
const request = scenarioRequest(readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`), select, { prefetch: 'all' });
const minutes = (n: number): Date => new Date(Date.now() + n * 60_000);

describe.each(storeKinds())('%s', (kind) => {
  let store: TestStore;
  let db: Database;
  let others: Database[];

  beforeAll(async () => {
    store = await createTestStore(kind);
    db = await store.open();
    await migrate(db, MIGRATIONS);
    // PostgreSQL: two more connection pools, as two more replicas would hold. PGlite belongs to one process.
    others = kind === 'postgres' ? [await store.open(), await store.open()] : [];
  }, 60_000);
  afterAll(async () => {
    for (const d of [db, ...others]) await d?.close();
    await store?.cleanup();
  });

  test('a jti is claimed once per issuer; another issuer may use the same jti', async () => {
    const replay = new DatabaseReplayStore(db);
    expect(await replay.claim('jti-1', ISS, minutes(5))).toBe(true);
    expect(await replay.claim('jti-1', ISS, minutes(5))).toBe(false);
    expect(await replay.claim('jti-1', 'https://other-ehr.example', minutes(5))).toBe(true);
    await replay.settled();
  });

  test('claims racing on several connections: exactly one wins', async () => {
    const pools = [db, ...others];
    const stores = pools.map((d) => new DatabaseReplayStore(d));
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) => (stores[i % stores.length] as DatabaseReplayStore).claim('race', ISS, minutes(5))),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    await Promise.all(stores.map((s) => s.settled()));
  });

  test('the row of an expired token may be claimed again, and purging deletes expired rows only', async () => {
    let now = Date.now();
    const replay = new DatabaseReplayStore(db, () => now);
    expect(await replay.claim('short', ISS, new Date(now + 1000))).toBe(true);
    expect(await replay.claim('long', ISS, new Date(now + 3_600_000))).toBe(true);
    now += 2000;
    expect(await replay.claim('short', ISS, new Date(now + 60_000))).toBe(true);
    expect(await replay.claim('long', ISS, new Date(now + 3_600_000))).toBe(false);
    await replay.settled();
    now += 120_000;
    expect(await replay.purge()).toBeGreaterThanOrEqual(1);
    const left = await db.query<{ jti: string }>('SELECT jti FROM jwt_replay WHERE iss = $1 ORDER BY jti', [ISS]);
    expect(left.map((r) => r.jti)).toContain('long');
    expect(left.map((r) => r.jti)).not.toContain('short');
  });

  test('claims purge expired rows by themselves, at most once a minute', async () => {
    let now = Date.now() + 10 * 86_400_000;
    const replay = new DatabaseReplayStore(db, () => now);
    await db.query('INSERT INTO jwt_replay (iss, jti, expires_at) VALUES ($1, $2, $3)', [
      'https://old.example',
      'stale',
      new Date(now - 1000).toISOString(),
    ]);
    await replay.claim('fresh-1', ISS, new Date(now + 60_000));
    await replay.settled();
    expect(await db.query('SELECT 1 FROM jwt_replay WHERE jti = $1', ['stale'])).toHaveLength(0);
    await db.query('INSERT INTO jwt_replay (iss, jti, expires_at) VALUES ($1, $2, $3)', [
      'https://old.example',
      'stale-2',
      new Date(now - 1000).toISOString(),
    ]);
    now += 30_000;
    await replay.claim('fresh-2', ISS, new Date(now + 60_000));
    await replay.settled();
    expect(await db.query('SELECT 1 FROM jwt_replay WHERE jti = $1', ['stale-2'])).toHaveLength(1);
    now += 31_000;
    await replay.claim('fresh-3', ISS, new Date(now + 60_000));
    await replay.settled();
    expect(await db.query('SELECT 1 FROM jwt_replay WHERE jti = $1', ['stale-2'])).toHaveLength(0);
  });

  describe('over HTTP, two service instances on one database', () => {
    let key: TestKey;
    let a: RunningService;
    let b: RunningService;
    const env = (): Record<string, string> => ({
      JWT_REQUIRED: 'true',
      PUBLIC_BASE_URL: PUBLIC,
      JWT_ISSUERS: JSON.stringify([{ iss: ISS, jwks: { keys: [key.publicJwk] } }]),
      AUTH_FAILURES_PER_MINUTE: '0',
    });
    beforeAll(async () => {
      key = await testKey('replay-1', 'ES384');
      a = await startService(env(), { replayStore: new DatabaseReplayStore(db) });
      b = await startService(env(), { replayStore: new DatabaseReplayStore(others[0] ?? db) });
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    test('a token answered by one instance is refused by the other, and by the first again', async () => {
      const token = await mintToken({ key, iss: ISS, aud: `${PUBLIC}/cds-services/${SELECT}` });
      const auth = { authorization: `Bearer ${token}` };
      expect((await post(`${a.url}/cds-services/${SELECT}`, request, auth)).status).toBe(200);
      expect((await post(`${b.url}/cds-services/${SELECT}`, request, auth)).status).toBe(401);
      expect((await post(`${a.url}/cds-services/${SELECT}`, request, auth)).status).toBe(401);
      expect(b.logs.join('')).toMatch(/"reason":"replayed"/);
      expect(b.logs.join('')).not.toContain(token);
    });

    test('a validly signed token whose jti holds a NUL (which PostgreSQL refuses) is a 401, not a 503', async () => {
      const token = await mintToken({ key, iss: ISS, aud: `${PUBLIC}/cds-services/${SELECT}`, jti: 'nul-\u0000-jti' });
      const res = await post(`${a.url}/cds-services/${SELECT}`, request, { authorization: `Bearer ${token}` });
      expect(res.status).toBe(401);
      expect(a.logs.join('')).toMatch(/"reason":"bad-claims"/);
    });

    test('when the database cannot answer, the call is refused with 503 and Retry-After, not let through', async () => {
      // A database of its own (a PGlite directory belongs to one instance), closed under the service.
      const brokenStore = await createTestStore(kind);
      const broken = await brokenStore.open();
      const c = await startService(env(), { replayStore: new DatabaseReplayStore(broken) });
      try {
        await broken.close();
        const token = await mintToken({ key, iss: ISS, aud: `${PUBLIC}/cds-services/${SELECT}` });
        const res = await post(`${c.url}/cds-services/${SELECT}`, request, { authorization: `Bearer ${token}` });
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(c.logs.join('')).toMatch(/replay store failed/);
      } finally {
        await c.close();
        await brokenStore.cleanup();
      }
    }, 60_000);
  });
});
