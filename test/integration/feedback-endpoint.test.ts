/**
 * The feedback loop over HTTP on both real stores: cards logged from real hook calls, the feedback
 * endpoint (validation, idempotency, unknown cards, comments), the store going down for real, and
 * 1,000 concurrent items surviving a restart exactly once.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from '../../src/db/database.js';
import { writeCards } from '../../src/feedback/store.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenarios } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post } from '../support/harness.js';
import { card, SELECT, SIGN } from '../support/feedback-seed.js';
import { startFeedbackService, type FeedbackService } from '../support/feedback-service.js';
import { assertCdsResponse, assertOperationOutcome } from '../support/spec.js';
import { aDate } from '../support/matchers.js';
import { createTestStore, storeKinds, TEST_HMAC_SECRET, type TestStore } from '../support/stores.js';
import { eventually } from '../support/eventually.js';
import { startTcpProxy } from '../support/tcp-proxy.js';
import { inParallel } from '../support/in-parallel.js';

type CardsBody = { cards: { uuid: string; source: { topic?: { code: string } }; suggestions?: { uuid: string }[] }[] };
type Analytics = {
  totals: { cardsShown: number; accepted: number; overridden: number; noResponse: number; acceptedSuggestions: number };
  rules: {
    ruleId: string;
    title: string;
    cardsShown: number;
    accepted: number;
    overridden: number;
    topOverrideReasons: { code?: string; display: string; count: number }[];
  }[];
  unknownFeedback: { items: number; cards: number };
  versions: { rulesVersion: string; cardsShown: number; accepted: number; overridden: number; tooFewToJudge: boolean }[];
};

const scenarios = readScenarios();
const byId = (id: string) => {
  const s = scenarios.find((x) => x.id === id);
  if (!s) throw new Error(`no scenario ${id}`);
  return s;
};
const selectService = SERVICES.find((s) => s.id === SELECT);
if (!selectService) throw new Error('no select service');

const UNLIMITED = {
  RATE_LIMIT_PER_MINUTE: '0',
  AUTH_FAILURES_PER_MINUTE: '0',
  MAX_IN_FLIGHT: '0',
  MAX_EVENT_LOOP_LAG_MS: '0',
  MAX_CONNECTIONS_PER_ADDRESS: '0',
};
const nowIso = (offsetMs = 0): string => new Date(Date.now() + offsetMs).toISOString();

/** Calls order-select for a scenario with full prefetch; returns the cards and the hookInstance used. */
async function cardsFor(svc: FeedbackService, scenarioId: string): Promise<{ body: CardsBody; hookInstance: string }> {
  const scenario = byId(scenarioId);
  svc.setNow(new Date(scenario.now));
  const hookInstance = randomUUID();
  const res = await post(`${svc.url}/cds-services/${SELECT}`, scenarioRequest(scenario, selectService!, { prefetch: 'all', hookInstance }));
  expect(res.status).toBe(200);
  assertCdsResponse(res.body);
  return { body: res.body as CardsBody, hookInstance };
}

async function feedback(svc: FeedbackService, items: unknown[], service = SELECT) {
  return post(`${svc.url}/cds-services/${service}/feedback`, { feedback: items });
}

async function analytics(svc: FeedbackService, query = ''): Promise<Analytics> {
  const res = await fetch(`${svc.url}/analytics.json${query}`);
  expect(res.status).toBe(200);
  return (await res.json()) as Analytics;
}

/** RFC 4180: quoted cells may hold commas, quotes (doubled) and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

async function count(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return row?.n ?? -1;
}

describe.each(storeKinds())('feedback over HTTP on %s', (kind) => {
  let store: TestStore;
  let svc: FeedbackService;

  beforeAll(async () => {
    store = await createTestStore(kind);
    svc = await startFeedbackService(store);
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await store?.cleanup();
  });

  test('every card returned is logged: ids, versions and a keyed hash of hookInstance', async () => {
    const { body, hookInstance } = await cardsFor(svc, 'imaging-defer-two-lumbar-orders');
    expect(body.cards).toHaveLength(2);
    await svc.feedback.cardLog.flush();
    const rows = await svc.feedback.db.query('SELECT * FROM card_log WHERE card_uuid = ANY ($1) ORDER BY card_uuid', [
      body.cards.map((c) => c.uuid),
    ]);
    const secret =
      kind === 'postgres' ? TEST_HMAC_SECRET : readFileSync(join(store.env.DATA_DIR as string, 'hook-instance-hmac.key'), 'utf8').trim();
    const hash = createHmac('sha256', secret).update(hookInstance).digest('hex');
    expect(rows).toEqual(
      [...body.cards]
        .sort((a, b) => a.uuid.localeCompare(b.uuid))
        .map((c) => ({
          card_uuid: c.uuid,
          service_id: SELECT,
          rule_id: 'imaging-defer',
          rules_version: expect.stringMatching(/^[0-9a-f]{16}$/),
          hook_instance_hash: hash,
          suggestion_uuids: c.suggestions?.map((s) => s.uuid),
          issued_at: aDate,
          silent: false,
        })),
    );
  });

  test('accepted and overridden feedback is stored once, however often it is sent', async () => {
    const before = await analytics(svc);
    const { body } = await cardsFor(svc, 'imaging-defer-two-lumbar-orders');
    const [a, b] = body.cards;
    await svc.feedback.cardLog.flush();
    const items = [
      { card: a!.uuid, outcome: 'accepted', acceptedSuggestions: [{ id: a!.suggestions![1]!.uuid }], outcomeTimestamp: nowIso() },
      // The sandbox's override: a reason Coding with no display, and an extension we ignore.
      {
        card: b!.uuid.toUpperCase(),
        outcome: 'overridden',
        overrideReason: { reason: { system: 'urn:backpain-cds:override-reason', code: 'decided-with-patient' } },
        outcomeTimestamp: nowIso(),
        extension: { 'org.example.x': 1 },
      },
    ];
    expect(await feedback(svc, items)).toMatchObject({ status: 200, body: { received: 2, stored: 2 } });
    expect(await feedback(svc, items)).toMatchObject({ status: 200, body: { received: 2, stored: 0 } });
    expect(await feedback(svc, [items[1], items[1]])).toMatchObject({ status: 200, body: { received: 2, stored: 0 } });
    expect(await count(svc.feedback.db, 'feedback WHERE card_uuid = ANY ($1)', [[a!.uuid, b!.uuid]])).toBe(2);

    const after = await analytics(svc);
    expect(after.totals.cardsShown - before.totals.cardsShown).toBe(2);
    expect(after.totals.accepted - before.totals.accepted).toBe(1);
    expect(after.totals.overridden - before.totals.overridden).toBe(1);
    expect(after.totals.acceptedSuggestions - before.totals.acceptedSuggestions).toBe(1);
    const reasons = after.rules.find((r) => r.ruleId === 'imaging-defer')?.topOverrideReasons;
    expect(reasons).toContainEqual(
      expect.objectContaining({ code: 'decided-with-patient', display: 'Decided with the patient after discussion' }),
    );
  });

  test('a batch with bad items is refused whole, with an OperationOutcome naming each bad item', async () => {
    const good = { card: randomUUID(), outcome: 'overridden', outcomeTimestamp: nowIso() };
    const res = await feedback(svc, [
      good,
      { card: randomUUID(), outcome: 'ignored', outcomeTimestamp: nowIso() },
      { card: randomUUID(), outcome: 'accepted', outcomeTimestamp: nowIso() },
      { card: randomUUID(), outcome: 'overridden', outcomeTimestamp: '23/11/2026 10:00' },
      { outcome: 'overridden', outcomeTimestamp: nowIso(), overrideReason: { reason: { code: 'x' } } },
      { card: randomUUID(), outcome: 'overridden', outcomeTimestamp: nowIso(), acceptedSuggestions: [{ id: randomUUID() }] },
      'not an item',
    ]);
    expect(res.status).toBe(400);
    assertOperationOutcome(res.body);
    const expressions = (res.body as { issue: { expression?: string[] }[] }).issue.flatMap((i) => i.expression ?? []);
    expect(expressions).toEqual([
      'feedback[1].outcome',
      'feedback[2].acceptedSuggestions',
      'feedback[3].outcomeTimestamp',
      'feedback[4].card',
      'feedback[4].overrideReason.reason.system',
      'feedback[5].acceptedSuggestions',
      'feedback[6]',
    ]);
    expect(await count(svc.feedback.db, 'feedback WHERE card_uuid = $1', [good.card])).toBe(0);
  });

  test('malformed requests: 400, 404, 415, each an OperationOutcome', async () => {
    for (const [body, status] of [
      [{}, 400],
      [{ feedback: [] }, 400],
      ['{"feedback": [', 400],
    ] as const) {
      const res = await post(`${svc.url}/cds-services/${SELECT}/feedback`, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      assertOperationOutcome(res.body);
    }
    const unknown = await feedback(svc, [{ card: randomUUID(), outcome: 'overridden', outcomeTimestamp: nowIso() }], 'no-such-service');
    expect(unknown.status).toBe(404);
    assertOperationOutcome(unknown.body);
    const text = await fetch(`${svc.url}/cds-services/${SELECT}/feedback`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(text.status).toBe(415);
  });

  test('feedback for a card this service never issued is kept and reported as unknown', async () => {
    const before = await analytics(svc);
    const stray = randomUUID();
    expect(await feedback(svc, [{ card: stray, outcome: 'overridden', outcomeTimestamp: nowIso() }], SIGN)).toMatchObject({
      status: 200,
      body: { stored: 1 },
    });
    expect(await count(svc.feedback.db, 'feedback WHERE card_uuid = $1', [stray])).toBe(1);
    const after = await analytics(svc);
    expect(after.unknownFeedback.items - before.unknownFeedback.items).toBe(1);
    expect(after.totals.cardsShown).toBe(before.totals.cardsShown);
  });

  test('user comments are dropped unless configured, and never logged', async () => {
    const comment = 'Patient Daniela Reyes prefers a scan, see letter';
    const item = (c: string) => ({ card: c, outcome: 'overridden', overrideReason: { userComment: comment }, outcomeTimestamp: nowIso() });
    const off = randomUUID();
    expect((await feedback(svc, [item(off)])).status).toBe(200);
    const keeping = await startFeedbackService(store, { db: svc.feedback.db, env: { FEEDBACK_STORE_COMMENTS: 'true' }, logs: svc.logs });
    const on = randomUUID();
    try {
      expect((await feedback(keeping, [item(on)])).status).toBe(200);
      // A bad item next to a comment: the error names the item, never quotes the comment.
      const bad = await feedback(keeping, [{ ...item(randomUUID()), outcomeTimestamp: 'now' }]);
      expect(bad.status).toBe(400);
      expect(JSON.stringify(bad.body)).not.toContain('Reyes');
    } finally {
      await keeping.close();
    }
    const rows = await svc.feedback.db.query<{ card_uuid: string; user_comment: string | null }>(
      'SELECT card_uuid, user_comment FROM feedback WHERE card_uuid = ANY ($1)',
      [[off, on]],
    );
    expect(Object.fromEntries(rows.map((r) => [r.card_uuid, r.user_comment]))).toEqual({ [off]: null, [on]: comment });
    expect(svc.logs.join('')).not.toContain('Reyes');
    await svc.feedback.db.query('DELETE FROM feedback WHERE card_uuid = $1', [on]);
  });

  test('analytics filters are checked, and the CSV carries the same numbers as the JSON', async () => {
    const bad = await fetch(`${svc.url}/analytics.json?from=2026-13-01`);
    expect(bad.status).toBe(400);
    assertOperationOutcome(await bad.json());
    expect((await fetch(`${svc.url}/analytics.json?service=nope`)).status).toBe(400);
    expect((await fetch(`${svc.url}/analytics.json?from=2026-11-20&to=2026-11-01`)).status).toBe(400);
    const page = await fetch(`${svc.url}/analytics?from=yesterday`);
    expect(page.status).toBe(400);
    expect(await page.text()).toContain('from: must be a date like 2026-01-31');

    const json = await analytics(svc);
    const csv = await fetch(`${svc.url}/analytics.csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/attachment; filename="card-feedback-.*\.csv"/);
    const rows = parseCsv(await csv.text());
    expect(rows[0]).toEqual([
      'level',
      'id',
      'title',
      'cards_shown',
      'accepted',
      'overridden',
      'no_response',
      'acceptance_rate',
      'accepted_suggestions',
      'top_override_reasons',
      'responses',
      'too_few_to_judge',
      'silent_cards',
      'mode',
      'rules_version',
    ]);
    expect(new Set(rows.map((r) => r.length))).toEqual(new Set([15]));
    for (const v of json.versions) {
      const row = rows.find((r) => r[0] === 'version' && r[1] === v.rulesVersion);
      expect({ version: v.rulesVersion, numbers: row?.slice(3, 6).map(Number), judge: row?.[11] }).toEqual({
        version: v.rulesVersion,
        numbers: [v.cardsShown, v.accepted, v.overridden],
        judge: v.tooFewToJudge ? 'yes' : 'no',
      });
    }
    expect((await fetch(`${svc.url}/analytics.json?version=${encodeURIComponent('<script>')}`)).status).toBe(400);
    const total = rows.find((r) => r[0] === 'total');
    expect(total?.slice(3, 7).map(Number)).toEqual([
      json.totals.cardsShown,
      json.totals.accepted,
      json.totals.overridden,
      json.totals.noResponse,
    ]);
    for (const rule of json.rules) {
      const row = rows.find((r) => r[0] === 'rule' && r[1] === rule.ruleId);
      expect({ rule: rule.ruleId, title: row?.[2], numbers: row?.slice(3, 6).map(Number) }).toEqual({
        rule: rule.ruleId,
        title: rule.title,
        numbers: [rule.cardsShown, rule.accepted, rule.overridden],
      });
    }
  });

  test('1,000 items posted concurrently (64 at a time), then a restart: every item stored exactly once', async () => {
    const cards = Array.from({ length: 1000 }, (_, i) =>
      card(i % 2 ? SELECT : SIGN, i % 3 ? 'imaging-defer' : 'imaging-repeat', nowIso(-60_000), 1),
    );
    await writeCards(svc.feedback.db, cards);
    const items = cards.map((c, i) => ({
      service: c.serviceId,
      item:
        i % 4 === 0
          ? {
              card: c.cardUuid,
              outcome: 'overridden',
              overrideReason: { reason: { system: 'urn:backpain-cds:override-reason', code: 'decided-with-patient' } },
              outcomeTimestamp: nowIso(),
            }
          : { card: c.cardUuid, outcome: 'accepted', acceptedSuggestions: [{ id: c.suggestionUuids[0] }], outcomeTimestamp: nowIso() },
    }));
    // Every item once, and one in ten sent a second time at the same moment, as a retrying EHR would.
    const sends = [...items, ...items.filter((_, i) => i % 10 === 0)];
    // Load shedding and rate limits (tested on their own) are off here: every item must reach the store.
    await svc.close();
    svc = await startFeedbackService(store, { logs: svc.logs, env: UNLIMITED });
    // 64 connections at a time, as a busy EHR's pool would: 1,100 sockets opened at once overflow the
    // listen backlog of a loaded machine, and a reset connection tests the kernel, not the store.
    const answers = await inParallel(sends, 64, ({ service, item }) => feedback(svc, [item], service));
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.reduce((n, a) => n + (a.body as { stored: number }).stored, 0)).toBe(1000);

    await svc.close();
    svc = await startFeedbackService(store, { logs: svc.logs });
    const ids = cards.map((c) => c.cardUuid);
    expect(await count(svc.feedback.db, 'feedback WHERE card_uuid = ANY ($1)', [ids])).toBe(1000);
    expect(
      await count(svc.feedback.db, '(SELECT card_uuid FROM feedback WHERE card_uuid = ANY ($1) GROUP BY card_uuid HAVING count(*) > 1) d', [
        ids,
      ]),
    ).toBe(0);
    const rows = await svc.feedback.db.query<{ outcome: string; n: number }>(
      'SELECT outcome, count(*)::int AS n FROM feedback WHERE card_uuid = ANY ($1) GROUP BY outcome ORDER BY outcome',
      [ids],
    );
    expect(rows).toEqual([
      { outcome: 'accepted', n: 750 },
      { outcome: 'overridden', n: 250 },
    ]);
  }, 180_000);

  test('the store goes down: hooks still answer, feedback gets 503 with Retry-After, failures are logged and counted', async () => {
    let down: FeedbackService;
    let restore: () => Promise<void>;
    if (kind === 'postgres') {
      // A real network cut between the service and PostgreSQL.
      const target = new URL(store.url as string);
      const proxy = await startTcpProxy(target.hostname, Number(target.port || 5432));
      down = await startFeedbackService(store, {
        env: { DATABASE_URL: store.viaUrl!('127.0.0.1', proxy.port) },
        cardLog: { retryDelayMs: 50, flushDelayMs: 1 },
      });
      proxy.cut();
      restore = async () => {
        proxy.restore();
        await down.feedback.cardLog.flush();
        await down.close();
        await proxy.close();
      };
    } else {
      // PGlite lives in the process: the store "goes down" when its database is closed under it.
      await svc.close();
      down = await startFeedbackService(store, { cardLog: { retryDelayMs: 50, flushDelayMs: 1 } });
      await down.feedback.db.close();
      restore = async () => {
        await down.close();
        svc = await startFeedbackService(store, { logs: svc.logs });
      };
    }

    const { body } = await cardsFor(down, 'imaging-repeat-prior-365-days');
    expect(body.cards.length).toBeGreaterThan(0);
    const res = await feedback(down, [{ card: body.cards[0]!.uuid, outcome: 'overridden', outcomeTimestamp: nowIso() }]);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('30');
    assertOperationOutcome(res.body);
    expect((await fetch(`${down.url}/analytics.json`)).status).toBe(503);
    expect((await fetch(`${down.url}/analytics`)).status).toBe(503);

    await eventually(() => down.feedback.cardLog.stats().writeFailures > 0);
    expect(down.feedback.cardLog.stats().queued).toBe(body.cards.length);
    const logs = down.logs.join('');
    expect(logs).toContain('card log: write failed, will retry');
    expect(logs).toContain('feedback not stored: the store is unavailable');

    await restore();
    if (kind === 'postgres') {
      // Back up: the cards the service kept while it was down are written.
      expect(down.feedback.cardLog.stats()).toMatchObject({ queued: 0, written: body.cards.length, dropped: 0 });
      expect(await count(svc.feedback.db, 'card_log WHERE card_uuid = $1', [body.cards[0]!.uuid])).toBe(1);
    } else {
      expect(down.feedback.cardLog.stats()).toMatchObject({ queued: 0, dropped: body.cards.length });
    }
  }, 60_000);
});
