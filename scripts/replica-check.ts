/**
 * Several replicas, one PostgreSQL, on one machine: starts `count` service processes on a fresh
 * schema of the given database, all reading one rule folder, with JWT on, and records what a load
 * balancer's clients would see when it sends them requests round robin:
 *  1. every hook request answered the same by every replica (uuids aside);
 *  2. feedback posted to a replica other than the one that issued the card, and the analytics of
 *     every replica counting all of it;
 *  3. a token used on one replica refused by the others (the replay store is the database);
 *  4. a card file edited once, and every replica answering with the edit (hot reload).
 * `npm run replicas` prints the checks; test/integration/replicas.test.ts asserts them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { SERVICES } from '../src/hooks/services.js';
import { cardsDir, rulesDir } from '../src/paths.js';
import { shiftScenario, shiftToToday } from '../src/demo/scenarios/bundle.js';
import { readScenario, scenariosDir } from '../src/demo/scenarios/load.js';
import { scenarioRequest } from '../src/demo/scenarios/requests.js';
import { temporarySchema } from './pg-schema.js';
import { startReplicas, type ReplicaSet } from './replica-set.js';
import { WORKLOADS } from './workloads.js';

export interface ReplicaCheckOptions {
  /** A PostgreSQL database the role may create a schema in; a fresh schema is used and dropped. */
  databaseUrl: string;
  /** The service's entry point (dist/src/main.js). */
  main: string;
  count?: number;
  nodeArgs?: string[];
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface Counted {
  cardsShown: number;
  accepted: number;
  overridden: number;
}

export interface ReplicaReport {
  replicas: { index: number; url: string; pid: number }[];
  /** Each replica's rule set version at start (GET /healthz). */
  rulesVersions: string[];
  /** Per service: each replica's answer, uuids replaced, as JSON. */
  answers: { service: string; statuses: number[]; bodies: string[] }[];
  feedback: {
    /** [issuing replica, replica the feedback went to, status] per card. */
    posts: [number, number, number][];
    sent: Counted;
    /** GET /analytics.json totals, per replica. */
    analytics: Counted[];
  };
  /** One token, sent to replica 0, 1, 2…: statuses, and each replica's count of refused replays after. */
  replay: { statuses: number[]; replayedCounted: number[] };
  reload: { expectedSummary: string; versionsBefore: string[]; versionsAfter: string[]; msUntilLive: number[]; summaries: string[] };
  exitCodes: (number | null)[];
}

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const ISS = 'https://ehr.replicas.example';
const PUBLIC = 'https://cds.replicas.example';
const HMAC = `replica-check-${randomBytes(16).toString('hex')}`;

interface Card {
  uuid: string;
  summary: string;
  source: { topic: { code: string } };
  suggestions?: { uuid: string }[];
  overrideReasons?: { system: string; code: string }[];
}

async function until<T>(read: () => Promise<T>, done: (v: T) => boolean, limitMs: number): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > limitMs) return { value, ms: Date.now() - started };
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function runReplicaCheck(options: ReplicaCheckOptions): Promise<ReplicaReport> {
  const count = options.count ?? 3;
  const log = options.log ?? (() => undefined);
  const knowledge = mkdtempSync(join(tmpdir(), 'backpain-replicas-'));
  cpSync(rulesDir, join(knowledge, 'rules'), { recursive: true });
  cpSync(cardsDir, join(knowledge, 'cards'), { recursive: true });
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid: 'replicas-1', alg: 'ES384', use: 'sig' };
  const token = (path: string): Promise<string> => mint(privateKey, `${PUBLIC}${path}`);

  const schema = await temporarySchema(options.databaseUrl, 'replicas');
  let set: ReplicaSet | undefined;
  try {
    log(`starting ${count} replicas on schema ${schema.name}`);
    set = await startReplicas({
      count,
      main: options.main,
      ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
      env: () => ({
        BACKPAIN_PROFILE: 'demo',
        DEMO_FHIR: 'false',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATABASE_URL: schema.url,
        FEEDBACK_HMAC_SECRET: HMAC,
        DATA_DIR: join(knowledge, 'data'),
        JWT_REQUIRED: 'true',
        PUBLIC_BASE_URL: PUBLIC,
        JWT_ISSUERS: JSON.stringify([{ iss: ISS, jwks: { keys: [jwk] } }]),
        RULES_DIR: join(knowledge, 'rules'),
        CARDS_DIR: join(knowledge, 'cards'),
        // A check of agreement between replicas, not of load shedding: a busy machine must not fail it.
        MAX_EVENT_LOOP_LAG_MS: '0',
      }),
    });
    const replicas = set.replicas;
    const call = async (i: number, path: string, body: unknown, jwt?: string): Promise<{ status: number; json: unknown }> => {
      const res = await fetch(`${replicas[i]?.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${jwt ?? (await token(path))}` },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json().catch(() => undefined) };
    };
    const get = async <T>(i: number, path: string): Promise<T> => (await (await fetch(`${replicas[i]?.url}${path}`)).json()) as T;
    const rulesVersions = await Promise.all(replicas.map((_, i) => get<{ rules: string }>(i, '/healthz').then((h) => h.rules)));

    // 1. The same requests to every replica, round robin.
    log('hook requests round robin');
    const requests = SERVICES.map((service) => {
      const raw = readScenario(join(scenariosDir, `${WORKLOADS[service.id]}.json`));
      return { service, body: scenarioRequest(shiftScenario(raw, shiftToToday(raw, new Date())), service, { prefetch: 'all' }) };
    });
    const issued: { card: Card; service: string; replica: number }[] = [];
    const answers: ReplicaReport['answers'] = [];
    for (const { service, body } of requests) {
      const statuses: number[] = [];
      const bodies: string[] = [];
      for (let i = 0; i < count; i++) {
        const { status, json } = await call(i, `/cds-services/${service.id}`, body);
        statuses.push(status);
        bodies.push(JSON.stringify(json).replace(UUID, '<uuid>'));
        for (const card of (json as { cards?: Card[] } | undefined)?.cards ?? []) issued.push({ card, service: service.id, replica: i });
      }
      answers.push({ service: service.id, statuses, bodies });
    }

    // 2. Feedback for each card to the next replica, not the one that issued it.
    log('feedback round robin');
    const sent: Counted = { cardsShown: issued.length, accepted: 0, overridden: 0 };
    const posts: [number, number, number][] = [];
    for (const [n, { card, service, replica }] of issued.entries()) {
      const to = (replica + 1) % count;
      const suggestion = card.suggestions?.[0];
      const reason = card.overrideReasons?.[0];
      const accept = n % 2 === 0 && suggestion !== undefined;
      const item = accept
        ? {
            card: card.uuid,
            outcome: 'accepted',
            acceptedSuggestions: [{ id: suggestion.uuid }],
            outcomeTimestamp: new Date().toISOString(),
          }
        : {
            card: card.uuid,
            outcome: 'overridden',
            ...(reason ? { overrideReason: { reason: { system: reason.system, code: reason.code } } } : {}),
            outcomeTimestamp: new Date().toISOString(),
          };
      if (accept) sent.accepted++;
      else sent.overridden++;
      const { status } = await call(to, `/cds-services/${service}/feedback`, { feedback: [item] });
      posts.push([replica, to, status]);
    }
    // The card log writes in the background: wait until every replica's analytics has caught up (or 10 s).
    const totals = (i: number): Promise<Counted> =>
      get<{ totals: Counted }>(i, '/analytics.json').then(({ totals: t }) => ({
        cardsShown: t.cardsShown,
        accepted: t.accepted,
        overridden: t.overridden,
      }));
    const same = (a: Counted, b: Counted): boolean =>
      a.cardsShown === b.cardsShown && a.accepted === b.accepted && a.overridden === b.overridden;
    const analytics = (
      await until(
        () => Promise.all(replicas.map((_, i) => totals(i))),
        (all) => all.every((t) => same(t, sent)),
        10_000,
      )
    ).value;

    // 3. One token, every replica in turn.
    log('one token replayed to every replica');
    const path = `/cds-services/${requests[0]?.service.id}`;
    const once = await token(path);
    const statuses: number[] = [];
    for (let i = 0; i < count; i++) statuses.push((await call(i, path, requests[0]?.body, once)).status);
    const replayedCounted = await Promise.all(
      replicas.map(async (r) => {
        const metrics = await (await fetch(`${r.url}/metrics`)).text();
        return Number(/backpain_cds_auth_failures_total\{reason="replayed"\} (\d+)/.exec(metrics)?.[1] ?? 0);
      }),
    );

    // 4. One edit to the shared card folder.
    log('one card edit, picked up by every replica');
    const cardFile = join(knowledge, 'cards', 'imaging-defer.json');
    const card = JSON.parse(readFileSync(cardFile, 'utf8')) as { summary: string };
    // Plain text (no placeholders), so the answer must carry exactly this.
    const expectedSummary = 'Imaging is unlikely to help yet (edited for the replica check). Consider deferring.';
    writeFileSync(cardFile, `${JSON.stringify({ ...card, summary: expectedSummary }, null, 2)}\n`);
    const status = (i: number): Promise<string> => get<{ rules: { version: string } }>(i, '/status').then((s) => s.rules.version);
    const reloads = await Promise.all(
      replicas.map((_, i) =>
        until(
          () => status(i),
          (v) => v !== rulesVersions[i],
          10_000,
        ),
      ),
    );
    const select = requests.find((r) => r.service.id === 'back-pain-imaging-select');
    const summaries: string[] = [];
    for (let i = 0; i < count; i++) {
      const { json } = await call(i, '/cds-services/back-pain-imaging-select', select?.body);
      summaries.push((json as { cards?: Card[] }).cards?.[0]?.summary ?? '(no card)');
    }

    log('stopping the replicas');
    const exitCodes = await set.stop();
    set = undefined;
    return {
      replicas: replicas.map((r) => ({ index: r.index, url: r.url, pid: r.pid })),
      rulesVersions,
      answers,
      feedback: { posts, sent, analytics },
      replay: { statuses, replayedCounted },
      reload: {
        expectedSummary,
        versionsBefore: rulesVersions,
        versionsAfter: reloads.map((r) => r.value),
        msUntilLive: reloads.map((r) => r.ms),
        summaries,
      },
      exitCodes,
    };
  } finally {
    set?.kill();
    await schema.drop().catch(() => undefined);
    rmSync(knowledge, { recursive: true, force: true });
  }
}

async function mint(key: CryptoKey, aud: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: 'ES384', kid: 'replicas-1', typ: 'JWT' })
    .setIssuer(ISS)
    .setAudience(aud)
    .setIssuedAt(now)
    .setExpirationTime(now + 300)
    .setJti(randomUUID())
    .sign(key);
}

/** What the report shows, as pass/fail lines. */
export function checks(r: ReplicaReport): Check[] {
  const n = r.replicas.length;
  const unique = (xs: unknown[]): number => new Set(xs.map((x) => JSON.stringify(x))).size;
  const served = r.answers.every((a) => a.statuses.every((s) => s === 200));
  return [
    { name: `${n} replicas started on one database, same rule set`, ok: unique(r.rulesVersions) === 1, detail: r.rulesVersions.join(', ') },
    {
      name: 'every service answered the same by every replica',
      ok: served && r.answers.every((a) => unique(a.bodies) === 1 && a.bodies[0]?.includes('"cards":[{')),
      detail: r.answers.map((a) => `${a.service}: ${a.statuses.join('/')}${unique(a.bodies) === 1 ? '' : ' DIFFERENT'}`).join('; '),
    },
    {
      name: 'feedback taken by a replica that did not issue the card',
      ok: r.feedback.posts.length > 0 && r.feedback.posts.every(([from, to, s]) => from !== to && s === 200),
      detail: `${r.feedback.posts.length} items, statuses ${[...new Set(r.feedback.posts.map((p) => p[2]))].join(',')}`,
    },
    {
      name: 'all feedback visible in the analytics of every replica',
      ok: r.feedback.analytics.every(
        (a) =>
          a.cardsShown === r.feedback.sent.cardsShown &&
          a.accepted === r.feedback.sent.accepted &&
          a.overridden === r.feedback.sent.overridden,
      ),
      detail: `sent ${JSON.stringify(r.feedback.sent)}; seen ${r.feedback.analytics.map((a) => JSON.stringify(a)).join(' ')}`,
    },
    {
      name: 'a token used on one replica is refused by the others',
      ok:
        r.replay.statuses[0] === 200 &&
        r.replay.statuses.slice(1).every((s) => s === 401) &&
        r.replay.replayedCounted.slice(1).every((c) => c >= 1),
      detail: `statuses ${r.replay.statuses.join(', ')}; replays counted per replica ${r.replay.replayedCounted.join(', ')}`,
    },
    {
      name: 'one card edit live on every replica',
      ok:
        r.reload.versionsAfter.every((v, i) => v !== r.reload.versionsBefore[i]) &&
        unique(r.reload.versionsAfter) === 1 &&
        r.reload.summaries.every((s) => s === r.reload.expectedSummary),
      detail: `within ${Math.max(...r.reload.msUntilLive)} ms; version ${r.reload.versionsAfter[0]}`,
    },
    { name: 'every replica shut down cleanly (exit 0)', ok: r.exitCodes.every((c) => c === 0), detail: r.exitCodes.join(', ') },
  ];
}
