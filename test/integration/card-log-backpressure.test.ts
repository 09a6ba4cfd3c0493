/**
 * Nothing an EHR was shown may go unrecorded: while the database is down the card log queues
 * cards, and once its queue is full the service answers 503 (Retry-After) instead of cards it could
 * not record. When the database is back, every card that was answered is stored.
 */
import type { Database, Queryable } from '../../src/db/database.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenario, scenariosDir } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { startFeedbackService, type FeedbackService } from '../support/feedback-service.js';
import { post } from '../support/harness.js';
import { createTestStore, type TestStore } from '../support/stores.js';

const select = SERVICES.find((s) => s.id === 'back-pain-imaging-select')!;
const scenario = readScenario(`${scenariosDir}/imaging-defer-acute-41-days.json`);
const CAPACITY = 5;
let store: TestStore;
let db: Database;
let svc: FeedbackService;
let down = false;

/** The store's database, with writes to card_log failing while `down` (an outage for the card log). */
function outage(real: Database): Database {
  const guard = (q: Queryable): Queryable => ({
    query: (sql, params) =>
      down && /card_log/i.test(sql) && /insert/i.test(sql) ? Promise.reject(new Error('connection refused')) : q.query(sql, params),
  });
  return {
    kind: real.kind,
    query: (sql, params) => guard(real).query(sql, params),
    transaction: (fn) => real.transaction((tx) => fn(guard(tx))),
    close: () => real.close(),
  };
}

beforeAll(async () => {
  store = await createTestStore('pglite');
  db = await store.open();
  svc = await startFeedbackService(store, {
    db: outage(db),
    env: { MAX_EVENT_LOOP_LAG_MS: '0', RATE_LIMIT_PER_MINUTE: '0' },
    cardLog: { capacity: CAPACITY, flushDelayMs: 10, retryDelayMs: 50, maxRetryDelayMs: 100 },
  });
  svc.setNow(new Date(scenario.now));
}, 60_000);
afterAll(async () => {
  await svc.close();
  await db.close();
  await store.cleanup();
});

test('past the queue during an outage: 503 before the answer, and every card answered is stored once the database is back', async () => {
  down = true;
  const statuses: number[] = [];
  const shown: string[] = [];
  for (let i = 0; i < CAPACITY + 3; i++) {
    const res = await post(`${svc.url}/cds-services/${select.id}`, scenarioRequest(scenario, select, { prefetch: 'all' }));
    statuses.push(res.status);
    if (res.status === 200) shown.push(...(res.body as { cards: { uuid: string }[] }).cards.map((c) => c.uuid));
    else expect(res.headers.get('retry-after')).toBeTruthy();
  }
  // One card per call: the first CAPACITY fill the queue, the rest are refused rather than shown unrecorded.
  expect(statuses).toEqual([...Array<number>(CAPACITY).fill(200), 503, 503, 503]);
  expect(svc.feedback.cardLog.stats().dropped).toBe(0);

  down = false;
  await svc.feedback.cardLog.flush();
  const stored = await db.query<{ card_uuid: string }>('SELECT card_uuid FROM card_log');
  expect(stored.map((r) => r.card_uuid).sort()).toEqual([...shown].sort());
  // With room again, calls are answered.
  expect((await post(`${svc.url}/cds-services/${select.id}`, scenarioRequest(scenario, select, { prefetch: 'all' }))).status).toBe(200);
});
