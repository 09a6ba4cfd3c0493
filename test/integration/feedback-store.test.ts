/**
 * The feedback store on both real databases: migrations (twice, concurrently, forward from v1),
 * idempotent writes, all-or-nothing batches under an injected crash, the card log queue, and the
 * analytics numbers for a hand-counted data set.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Card } from '../../src/cards/types.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import type { Database, Queryable } from '../../src/db/database.js';
import { migrate } from '../../src/db/migrate.js';
import { MIGRATIONS } from '../../src/db/migrations.js';
import { loadAnalytics } from '../../src/feedback/analytics.js';
import { analyticsLabels } from '../../src/feedback/analytics-route.js';
import { CardLog } from '../../src/feedback/card-log.js';
import { eventually } from '../support/eventually.js';
import { secretFromFile } from '../../src/feedback/hook-instance-hash.js';
import { startFeedback } from '../../src/feedback/index.js';
import { ROWS_PER_STATEMENT, purgeBefore, saveFeedback, writeCards, type CardLogRow } from '../../src/feedback/store.js';
import { SERVICES } from '../../src/hooks/services.js';
import { createLogger } from '../../src/log.js';
import { knowledge } from '../support/harness.js';
import { accepted, card, overridden, REASONS, seedKnownWeeks, SELECT, SIGN } from '../support/feedback-seed.js';
import { aDate } from '../support/matchers.js';
import { createTestStore, storeKinds, type TestStore } from '../support/stores.js';

function captureLogger(): { logs: string[]; logger: ReturnType<typeof createLogger> } {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(chunk.toString());
      done();
    },
  });
  return { logs, logger: createLogger('info', sink) };
}

async function count(db: Database, table: string): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
  return row?.n ?? -1;
}

function fakeCard(ruleId: string, suggestions = 1): Card {
  return {
    uuid: randomUUID(),
    summary: 'A card',
    indicator: 'warning',
    source: { label: 'test', topic: { system: 'urn:backpain-cds:rule', code: ruleId } },
    ...(suggestions
      ? {
          suggestions: Array.from({ length: suggestions }, () => ({ label: 'Do it', uuid: randomUUID(), actions: [] })),
          selectionBehavior: 'at-most-one' as const,
        }
      : {}),
  };
}

/** A database whose transactions run `crash` just before the nth statement matching `when`. */
function crashingBefore(db: Database, when: RegExp, nth: number, crash: (tx: Queryable) => Promise<void>): Database {
  return {
    ...db,
    query: db.query.bind(db),
    close: db.close.bind(db),
    transaction: (fn) =>
      db.transaction((tx) => {
        let seen = 0;
        return fn({
          async query(sql, params) {
            if (when.test(sql) && ++seen === nth) await crash(tx);
            return tx.query(sql, params);
          },
        });
      }),
  };
}

describe.each(storeKinds())('feedback store on %s', (kind) => {
  let store: TestStore;
  let db: Database;

  beforeAll(async () => {
    store = await createTestStore(kind);
    db = await store.open();
  }, 60_000);

  afterAll(async () => {
    await db?.close();
    await store?.cleanup();
  });

  describe('migrations', () => {
    test('apply once, then find nothing to do', async () => {
      expect(await migrate(db, MIGRATIONS)).toEqual({ applied: MIGRATIONS.map((m) => m.id), unknown: [] });
      expect(await migrate(db, MIGRATIONS)).toEqual({ applied: [], unknown: [] });
      const rows = await db.query<{ id: number; name: string }>('SELECT id, name FROM schema_migrations ORDER BY id');
      expect(rows.map((r) => [r.id, r.name])).toEqual(MIGRATIONS.map((m) => [m.id, m.name]));
    });

    test('a database from a newer version keeps its extra migration and is reported', async () => {
      await db.query("INSERT INTO schema_migrations (id, name) VALUES (99, 'from the future')");
      try {
        expect(await migrate(db, MIGRATIONS)).toEqual({ applied: [], unknown: [99] });
      } finally {
        await db.query('DELETE FROM schema_migrations WHERE id = 99');
      }
    });
  });

  test('replicas starting together migrate a new database exactly once', async () => {
    const fresh = await createTestStore(kind);
    // PGlite is one process's database, so its "replicas" share the instance; PostgreSQL gets three pools.
    const first = await fresh.open();
    const others = kind === 'postgres' ? [await fresh.open(), await fresh.open()] : [first, first];
    try {
      const reports = await Promise.all([first, ...others].map((d) => migrate(d, MIGRATIONS)));
      expect(reports.flatMap((r) => r.applied).sort()).toEqual(MIGRATIONS.map((m) => m.id));
      expect(await count(first, 'schema_migrations')).toBe(MIGRATIONS.length);
    } finally {
      for (const d of new Set([first, ...others])) await d.close();
      await fresh.cleanup();
    }
  }, 60_000);

  test('a database left by version 1 (card log only) migrates forward with its rows intact', async () => {
    const old = await createTestStore(kind);
    const v1 = await old.open();
    try {
      expect(await migrate(v1, MIGRATIONS.slice(0, 1))).toEqual({ applied: [1], unknown: [] });
      // Rows as version 1 wrote them, with its own SQL.
      const ids = [randomUUID(), randomUUID()];
      const suggestion = randomUUID();
      await v1.query(
        `INSERT INTO card_log (card_uuid, service_id, rule_id, rules_version, hook_instance_hash, suggestion_uuids, issued_at)
         VALUES ($1, $3, 'imaging-defer', 'v1-rules', 'hash', ARRAY[$4], '2026-11-10T10:00:00Z'),
                ($2, $3, 'imaging-repeat', 'v1-rules', 'hash', '{}', '2026-11-11T10:00:00Z')`,
        [ids[0], ids[1], SELECT, suggestion],
      );
      await expect(v1.query('SELECT 1 FROM feedback')).rejects.toThrow();

      expect(await migrate(v1, MIGRATIONS)).toEqual({ applied: MIGRATIONS.slice(1).map((m) => m.id), unknown: [] });
      const rows = await v1.query<{ card_uuid: string; suggestion_uuids: string[] }>(
        'SELECT card_uuid, suggestion_uuids FROM card_log ORDER BY issued_at',
      );
      expect(rows).toEqual([
        { card_uuid: ids[0], suggestion_uuids: [suggestion] },
        { card_uuid: ids[1], suggestion_uuids: [] },
      ]);
      // The old cards take feedback and count in analytics.
      await saveFeedback(
        v1,
        SELECT,
        [{ cardUuid: ids[0] as string, outcome: 'accepted', outcomeTimestamp: '2026-11-10T10:01:00Z', acceptedSuggestions: [suggestion] }],
        { storeComments: false },
      );
      const a = await loadAnalytics(v1, { from: '2026-11-09', to: '2026-11-15' }, analyticsLabels(knowledge, SERVICES));
      expect(a.totals).toMatchObject({ cardsShown: 2, accepted: 1, overridden: 0, noResponse: 1, acceptedSuggestions: 1 });
    } finally {
      await v1.close();
      await old.cleanup();
    }
  }, 60_000);

  describe('writes', () => {
    beforeAll(() => migrate(db, MIGRATIONS));
    beforeEach(async () => {
      await db.query('DELETE FROM feedback');
      await db.query('DELETE FROM card_log');
    });

    test('a card logged twice is stored once', async () => {
      const c = card(SELECT, 'imaging-defer', '2026-11-10T10:00:00Z', 2);
      await writeCards(db, [c, c]);
      await writeCards(db, [c]);
      expect(await count(db, 'card_log')).toBe(1);
    });

    test('the same feedback item, in one batch or resent, is stored once; a later answer is a new item', async () => {
      const c = card(SELECT, 'imaging-defer', '2026-11-10T10:00:00Z', 2);
      const item = accepted(c, [1], '2026-11-10T10:01:00.25Z');
      expect(await saveFeedback(db, SELECT, [item, item], { storeComments: false })).toEqual({ stored: 1 });
      // The same instant written another way is the same item.
      expect(
        await saveFeedback(db, SELECT, [{ ...item, outcomeTimestamp: '2026-11-10T11:01:00.250+01:00' }], { storeComments: false }),
      ).toEqual({ stored: 0 });
      expect(await saveFeedback(db, SELECT, [overridden(c.cardUuid, '2026-11-10T10:05:00Z')], { storeComments: false })).toEqual({
        stored: 1,
      });
      expect(await count(db, 'feedback')).toBe(2);
    });

    test('user comments are stored only when configured to', async () => {
      const item = {
        ...overridden(randomUUID(), '2026-11-10T10:01:00Z', { system: REASONS, code: 'decided-with-patient' }),
        userComment: 'talked it through',
      };
      await saveFeedback(db, SELECT, [item], { storeComments: false });
      await saveFeedback(db, SIGN, [item], { storeComments: true });
      const rows = await db.query<{ service_id: string; user_comment: string | null }>(
        'SELECT service_id, user_comment FROM feedback ORDER BY service_id',
      );
      expect(rows).toEqual([
        { service_id: SELECT, user_comment: null },
        { service_id: SIGN, user_comment: 'talked it through' },
      ]);
    });

    test('retention deletes cards issued and feedback received before the cutoff, nothing newer', async () => {
      const old = card(SELECT, 'imaging-defer', '2024-01-10T10:00:00Z', 1);
      const recent = card(SELECT, 'imaging-defer', '2026-11-10T10:00:00Z', 1);
      await writeCards(db, [old, recent]);
      await saveFeedback(
        db,
        SELECT,
        [overridden(old.cardUuid, '2024-01-10T10:01:00Z'), overridden(recent.cardUuid, '2026-11-10T10:01:00Z')],
        { storeComments: false },
      );
      await db.query("UPDATE feedback SET received_at = '2024-01-10T10:02:00Z' WHERE card_uuid = $1", [old.cardUuid]);
      expect(await purgeBefore(db, new Date('2025-01-01T00:00:00Z'))).toEqual({ cards: 1, feedback: 1 });
      expect((await db.query<{ card_uuid: string }>('SELECT card_uuid FROM card_log')).map((r) => r.card_uuid)).toEqual([recent.cardUuid]);
      expect((await db.query<{ card_uuid: string }>('SELECT card_uuid FROM feedback')).map((r) => r.card_uuid)).toEqual([recent.cardUuid]);
    });

    test('a crash in the middle of a batch leaves nothing of it', async () => {
      const items = Array.from({ length: ROWS_PER_STATEMENT * 3 + 10 }, (_, i) =>
        overridden(randomUUID(), new Date(Date.UTC(2026, 10, 10, 10, 0, i)).toISOString()),
      );
      // Kill the work after two statements of the batch have been written inside the transaction:
      // PostgreSQL loses the connection for real; PGlite, in process, gets an exception.
      let writtenBeforeCrash = -1;
      const crash = async (tx: Queryable): Promise<void> => {
        const [row] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM feedback');
        writtenBeforeCrash = row?.n ?? -1;
        if (kind === 'postgres') await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
        else throw new Error('injected crash');
      };
      const crashing = crashingBefore(db, /INSERT INTO feedback/, 3, crash);
      await expect(saveFeedback(crashing, SELECT, items, { storeComments: false })).rejects.toThrow();
      expect(writtenBeforeCrash).toBe(2 * ROWS_PER_STATEMENT);
      expect(await count(db, 'feedback')).toBe(0);
      // The store recovers: the whole batch goes in when resent.
      expect(await saveFeedback(db, SELECT, items, { storeComments: false })).toEqual({ stored: items.length });
    });
  });

  describe('card log queue', () => {
    beforeAll(() => migrate(db, MIGRATIONS));
    beforeEach(() => db.query('DELETE FROM card_log'));

    test('writes cards in batches in the background, ids and hash only', async () => {
      const { logger } = captureLogger();
      const batches: number[] = [];
      const log = new CardLog({
        write: async (rows) => {
          batches.push(rows.length);
          await writeCards(db, rows);
        },
        hashHookInstance: (h) => `hash-of-${h.length}`,
        logger,
        batchSize: 500,
      });
      const cards = Array.from({ length: 1200 }, (_, i) => fakeCard(i % 3 ? 'imaging-defer' : 'imaging-repeat', i % 2));
      for (const c of cards) log.record(SELECT, randomUUID(), [c], 'rules-v7');
      expect(log.stats()).toMatchObject({ queued: 1200, written: 0 });
      await log.flush();
      expect(batches).toEqual([500, 500, 200]);
      expect(log.stats()).toEqual({ queued: 0, written: 1200, dropped: 0, writeFailures: 0 });
      const [row] = await db.query<CardLogRow & Record<string, unknown>>('SELECT * FROM card_log WHERE card_uuid = $1', [cards[1]?.uuid]);
      expect(row).toEqual({
        card_uuid: cards[1]?.uuid,
        service_id: SELECT,
        rule_id: 'imaging-defer',
        rules_version: 'rules-v7',
        hook_instance_hash: 'hash-of-36',
        suggestion_uuids: [cards[1]?.suggestions?.[0]?.uuid],
        issued_at: aDate,
        silent: false,
      });
      await log.close();
    });

    test('keeps cards while the store is down, retries, and writes them when it is back', async () => {
      const { logs, logger } = captureLogger();
      let down = true;
      const log = new CardLog({
        write: async (rows) => {
          if (down) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
          await writeCards(db, rows);
        },
        hashHookInstance: () => 'h',
        logger,
        flushDelayMs: 1,
        retryDelayMs: 20,
      });
      log.record(SIGN, randomUUID(), [fakeCard('imaging-defer'), fakeCard('imaging-defer')], 'v');
      await expect(log.flush()).rejects.toThrow('2 cards could not be written');
      await eventually(() => log.stats().writeFailures >= 2);
      expect(log.stats().queued).toBe(2);
      expect(logs.join('')).toContain('card log: write failed, will retry');
      down = false;
      await log.flush();
      expect(log.stats()).toMatchObject({ queued: 0, written: 2, dropped: 0 });
      expect(await count(db, 'card_log')).toBe(2);
      await log.close();
    });

    test('a full queue drops new cards, counts them and says so once, not once per card', async () => {
      const { logs, logger } = captureLogger();
      const log = new CardLog({
        write: (rows) => writeCards(db, rows),
        hashHookInstance: () => 'h',
        logger,
        capacity: 10,
        flushDelayMs: 60_000,
      });
      for (let i = 0; i < 15; i++) log.record(SELECT, randomUUID(), [fakeCard('imaging-defer')], 'v');
      expect(log.stats()).toMatchObject({ queued: 10, dropped: 5 });
      expect(logs.filter((l) => l.includes('card log: cards dropped'))).toHaveLength(1);
      await log.close();
      expect(await count(db, 'card_log')).toBe(10);
    });

    test('never throws into the service call, and cards left at shutdown are counted as lost', async () => {
      const { logs, logger } = captureLogger();
      const log = new CardLog({
        write: () => Promise.reject(new Error('down')),
        hashHookInstance: (h) => {
          if (h === 'bad') throw new Error('no key');
          return 'h';
        },
        logger,
        flushDelayMs: 60_000,
      });
      expect(() => log.record(SELECT, 'bad', [fakeCard('imaging-defer')], 'v')).not.toThrow();
      log.record(SELECT, 'good', [fakeCard('imaging-defer'), fakeCard('imaging-repeat')], 'v');
      await log.close();
      expect(log.stats()).toMatchObject({ queued: 0, written: 0, dropped: 3 });
      expect(logs.join('')).toContain('card log: cards lost at shutdown');
      expect(() => log.record(SELECT, 'late', [fakeCard('imaging-defer')], 'v')).not.toThrow();
    });
  });

  describe('analytics', () => {
    beforeAll(async () => {
      await migrate(db, MIGRATIONS);
      await db.query('DELETE FROM feedback');
      await db.query('DELETE FROM card_log');
      await seedKnownWeeks(db);
    });

    const labels = analyticsLabels(knowledge, SERVICES);

    test('per rule, per service and per week, counted by hand', async () => {
      const a = await loadAnalytics(db, { from: '2026-11-02', to: '2026-11-22' }, labels, new Date('2026-11-23T12:00:00Z'));
      expect(a.filter).toEqual({ from: '2026-11-02', to: '2026-11-22' });
      expect(a.totals).toMatchObject({
        cardsShown: 7,
        accepted: 2,
        overridden: 3,
        noResponse: 2,
        acceptanceRate: 0.4,
        acceptedSuggestions: 2,
      });
      const few = { tooFewToJudge: true, silentCards: 0 };
      expect(a.totals.weekly).toEqual([
        { weekStart: '2026-11-02', cardsShown: 2, accepted: 2, overridden: 0, noResponse: 0, acceptanceRate: 1, responses: 2, ...few },
        { weekStart: '2026-11-09', cardsShown: 2, accepted: 0, overridden: 1, noResponse: 1, acceptanceRate: 0, responses: 1, ...few },
        { weekStart: '2026-11-16', cardsShown: 3, accepted: 0, overridden: 2, noResponse: 1, acceptanceRate: 0, responses: 2, ...few },
      ]);
      // Rules with cards come first, by cards shown; every other live rule follows with zeros.
      expect(a.rules.slice(0, 3).map((r) => r.ruleId)).toEqual(['imaging-defer', 'cauda-equina-emergency', 'imaging-repeat']);
      expect(a.rules.slice(3).every((r) => r.cardsShown === 0 && r.acceptanceRate === null)).toBe(true);
      const [defer, cauda, repeat] = a.rules;
      expect(defer).toMatchObject({
        cardsShown: 5,
        accepted: 2,
        overridden: 2,
        noResponse: 1,
        acceptanceRate: 0.5,
        acceptedSuggestions: 2,
      });
      expect(defer?.suggestions).toEqual([
        { position: 1, label: 'Remove the lumbar imaging order', accepted: 1 },
        { position: 2, label: 'Remove the order and refer to physiotherapy', accepted: 1 },
      ]);
      // The card file's own wording wins over what the EHR sent; a foreign code shows as itself.
      expect(defer?.topOverrideReasons).toEqual([
        { system: 'http://ehr.example.org/override', code: 'clinical-judgement', display: 'clinical-judgement', count: 1 },
        { system: REASONS, code: 'red-flag-on-examination', display: 'Red flag found on examination', count: 1 },
      ]);
      expect(defer?.weekly.map((w) => [w.cardsShown, w.accepted, w.overridden])).toEqual([
        [2, 2, 0],
        [2, 0, 1],
        [1, 0, 1],
      ]);
      expect(cauda).toMatchObject({
        cardsShown: 1,
        accepted: 0,
        overridden: 0,
        noResponse: 1,
        acceptanceRate: null,
        topOverrideReasons: [],
      });
      expect(repeat).toMatchObject({
        cardsShown: 1,
        overridden: 1,
        acceptanceRate: 0,
        suggestions: [],
        topOverrideReasons: [{ display: 'No reason given', count: 1 }],
      });
      expect(
        a.services
          .filter((s) => s.cardsShown > 0)
          .map((s) => [s.serviceId, s.cardsShown, s.accepted, s.overridden, s.noResponse, s.acceptanceRate, s.acceptedSuggestions]),
      ).toEqual([
        [SELECT, 5, 2, 2, 1, 0.5, 2],
        [SIGN, 2, 0, 1, 1, 0, 0],
      ]);
      expect(a.unknownFeedback).toEqual({ items: 2, cards: 2 });
    });

    test('filtered by service and by a narrower period', async () => {
      const sign = await loadAnalytics(db, { from: '2026-11-02', to: '2026-11-22', serviceId: SIGN }, labels);
      expect(sign.totals).toMatchObject({ cardsShown: 2, accepted: 0, overridden: 1, noResponse: 1 });
      expect(sign.services.map((s) => s.serviceId)).toEqual([SIGN]);
      expect(sign.unknownFeedback).toEqual({ items: 1, cards: 1 });
      const oneWeek = await loadAnalytics(db, { from: '2026-11-09', to: '2026-11-15' }, labels);
      expect(oneWeek.totals).toMatchObject({ cardsShown: 2, accepted: 0, overridden: 1, noResponse: 1 });
      expect(oneWeek.totals.weekly.map((w) => w.weekStart)).toEqual(['2026-11-09']);
      // Rules of the service with no cards yet are listed with zeros, so silence is visible.
      expect(oneWeek.rules.find((r) => r.ruleId === 'cauda-equina-emergency')).toMatchObject({ cardsShown: 0, acceptanceRate: null });
    });

    test('silent cards are counted apart, per rule, per week and per version, and never as shown', async () => {
      const silentDefer = { ...card(SELECT, 'imaging-defer', '2026-11-05T09:00:00Z', 2), silent: true };
      const silentRepeat = { ...card(SIGN, 'imaging-repeat', '2026-11-12T09:00:00Z', 1), silent: true };
      await writeCards(db, [silentDefer, silentRepeat]);
      try {
        const a = await loadAnalytics(db, { from: '2026-11-02', to: '2026-11-22' }, labels);
        // The live numbers are those of the test above.
        expect(a.totals).toMatchObject({ cardsShown: 7, accepted: 2, overridden: 3, noResponse: 2, silentCards: 2 });
        expect(a.rules.find((r) => r.ruleId === 'imaging-defer')).toMatchObject({
          cardsShown: 5,
          silentCards: 1,
          mode: 'live',
          cardsPerWeek: 1.7,
          silentCardsPerWeek: 0.3,
        });
        expect(a.rules.find((r) => r.ruleId === 'imaging-repeat')).toMatchObject({ cardsShown: 1, silentCards: 1 });
        expect(a.totals.weekly.map((w) => [w.weekStart, w.cardsShown, w.silentCards])).toEqual([
          ['2026-11-02', 2, 1],
          ['2026-11-09', 2, 1],
          ['2026-11-16', 3, 0],
        ]);
        expect(a.services.find((s) => s.serviceId === SIGN)).toMatchObject({ cardsShown: 2, silentCards: 1 });
      } finally {
        await db.query('DELETE FROM card_log WHERE card_uuid = ANY ($1)', [[silentDefer.cardUuid, silentRepeat.cardUuid]]);
      }
    });

    test(
      'by rules version: a filter, a comparison newest first, and ' + 'rates from fewer than 10 responses marked too few to judge',
      async () => {
        // Version "v2" from 2026-11-16: 12 imaging-defer cards, 9 accepted, 3 overridden (12 responses: enough to judge).
        const v2 = Array.from({ length: 12 }, (_, i) => ({
          ...card(SELECT, 'imaging-defer', `2026-11-${String(16 + (i % 5)).padStart(2, '0')}T10:00:00Z`, 1),
          rulesVersion: 'v2',
        }));
        await writeCards(db, v2);
        await saveFeedback(
          db,
          SELECT,
          v2.map((c, i) => (i < 9 ? accepted(c, [1], '2026-11-21T10:00:00Z') : overridden(c.cardUuid, '2026-11-21T10:00:00Z'))),
          { storeComments: false },
        );
        try {
          const all = await loadAnalytics(db, { from: '2026-11-02', to: '2026-11-22' }, labels);
          expect(all.versionsInPeriod).toEqual(['v2', 'test-rules']);
          expect(
            all.versions.map((v) => [
              v.rulesVersion,
              v.cardsShown,
              v.accepted,
              v.overridden,
              v.acceptanceRate,
              v.responses,
              v.tooFewToJudge,
            ]),
          ).toEqual([
            ['v2', 12, 9, 3, 0.75, 12, false],
            ['test-rules', 7, 2, 3, 0.4, 5, true],
          ]);
          expect(all.versions[0]).toMatchObject({ firstIssued: '2026-11-16T10:00:00.000Z', lastIssued: '2026-11-20T10:00:00.000Z' });
          expect(all.versions[0]?.rules.map((r) => [r.ruleId, r.cardsShown, r.tooFewToJudge])).toEqual([['imaging-defer', 12, false]]);
          expect(all.versions[1]?.rules.map((r) => r.ruleId)).toEqual(['cauda-equina-emergency', 'imaging-defer', 'imaging-repeat']);

          const onlyV2 = await loadAnalytics(db, { from: '2026-11-02', to: '2026-11-22', rulesVersion: 'v2' }, labels);
          expect(onlyV2.filter).toEqual({ from: '2026-11-02', to: '2026-11-22', rulesVersion: 'v2' });
          expect(onlyV2.totals).toMatchObject({ cardsShown: 12, accepted: 9, overridden: 3, acceptanceRate: 0.75, tooFewToJudge: false });
          expect(onlyV2.versions.map((v) => v.rulesVersion)).toEqual(['v2']);
          // The choices stay: the filter's menu still offers every version in the period.
          expect(onlyV2.versionsInPeriod).toEqual(['v2', 'test-rules']);
          expect(onlyV2.rules.find((r) => r.ruleId === 'imaging-repeat')).toMatchObject({ cardsShown: 0, tooFewToJudge: true });
        } finally {
          await db.query('DELETE FROM feedback WHERE card_uuid = ANY ($1)', [v2.map((c) => c.cardUuid)]);
          await db.query('DELETE FROM card_log WHERE card_uuid = ANY ($1)', [v2.map((c) => c.cardUuid)]);
        }
      },
    );
  });
});

describe('configuration of the store', () => {
  test('the embedded store keeps its hookInstance key in a private file, made once and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'backpain-key-'));
    try {
      const file = join(dir, 'sub', 'hook-instance-hmac.key');
      const first = secretFromFile(file);
      expect(first).toMatch(/^[0-9a-f]{64}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(secretFromFile(file)).toBe(first);
      writeFileSync(file, 'short');
      expect(() => secretFromFile(file)).toThrow('shorter than 32 characters');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL without FEEDBACK_HMAC_SECRET stops start-up with a message naming it, before connecting', async () => {
    const config = loadConfig({ DATABASE_URL: 'postgres://user:secret-password@127.0.0.1:1/none' });
    const { logger } = captureLogger();
    await expect(startFeedback({ config, logger, knowledge: () => knowledge })).rejects.toThrow(ConfigError);
    await expect(startFeedback({ config, logger, knowledge: () => knowledge })).rejects.toThrow(
      /FEEDBACK_HMAC_SECRET: is required with DATABASE_URL/,
    );
  });

  test('a wrong DATABASE_URL or short secret is refused by name, without echoing the value', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:pw-1234@db/x' })).toThrow(/DATABASE_URL: must start with postgres:\/\//);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://user:pw-1234@db/x' })).not.toThrow(/pw-1234/);
    expect(() => loadConfig({ FEEDBACK_HMAC_SECRET: 'too-short-1234' })).toThrow(/FEEDBACK_HMAC_SECRET: must be at least 32 characters/);
    expect(loadConfig({ DATABASE_URL: '' }).DATABASE_URL).toBeUndefined();
    expect(loadConfig({}).FEEDBACK_STORE_COMMENTS).toBe(false);
  });
});
