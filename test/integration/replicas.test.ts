/**
 * Three service processes on one real PostgreSQL (TEST_DATABASE_URL; .ci/run starts one), driven
 * round robin as a load balancer would (scripts/replica-check.ts, also `npm run replicas`): the
 * same answers from each, feedback given to another replica than the card's visible in every
 * replica's analytics, a token replayed to another replica refused, one rule edit live on all.
 */
import { buildSrc } from '../support/build.js';
import { checks, runReplicaCheck, type ReplicaReport } from '../../scripts/replica-check.js';

const databaseUrl = process.env.TEST_DATABASE_URL;
if (!databaseUrl && process.env.CI) throw new Error('TEST_DATABASE_URL is not set: .ci/run must start PostgreSQL for the replica test');
if (!databaseUrl)
  console.warn('TEST_DATABASE_URL is not set: the replica test needs a real PostgreSQL and is skipped (see README, "Run every test")');
const maybe = databaseUrl ? describe : describe.skip;

maybe('three replicas, one PostgreSQL', () => {
  let report: ReplicaReport;

  beforeAll(async () => {
    report = await runReplicaCheck({ databaseUrl: databaseUrl as string, main: buildSrc('src/main'), count: 3 });
  }, 120_000);

  test('every service is answered the same by every replica', () => {
    expect(report.replicas).toHaveLength(3);
    expect(new Set(report.rulesVersions).size).toBe(1);
    expect(report.answers.map((a) => a.service).sort()).toEqual([
      'back-pain-imaging-select',
      'back-pain-imaging-sign',
      'back-pain-stratified-care',
      'chronic-pain-therapy-referral',
    ]);
    for (const a of report.answers) {
      expect(a.statuses).toEqual([200, 200, 200]);
      expect(a.bodies[0]).toContain('"cards":[{');
      expect(new Set(a.bodies).size).toBe(1);
    }
  });

  test('feedback sent to another replica than the card came from is counted by every replica', () => {
    expect(report.feedback.posts.length).toBe(12);
    for (const [from, to, status] of report.feedback.posts) {
      expect(to).not.toBe(from);
      expect(status).toBe(200);
    }
    expect(report.feedback.sent.accepted).toBeGreaterThan(0);
    expect(report.feedback.sent.overridden).toBeGreaterThan(0);
    for (const seen of report.feedback.analytics) expect(seen).toEqual(report.feedback.sent);
  });

  test('a token used on one replica is refused by the other two', () => {
    expect(report.replay.statuses).toEqual([200, 401, 401]);
    expect(report.replay.replayedCounted).toEqual([0, 1, 1]);
  });

  test('one card edit in the shared folder is live on every replica', () => {
    report.reload.versionsAfter.forEach((v, i) => expect(v).not.toBe(report.reload.versionsBefore[i]));
    expect(new Set(report.reload.versionsAfter).size).toBe(1);
    expect(report.reload.summaries).toEqual([report.reload.expectedSummary, report.reload.expectedSummary, report.reload.expectedSummary]);
  });

  test('every replica shuts down cleanly, and the script reports every check as passed', () => {
    expect(report.exitCodes).toEqual([0, 0, 0]);
    expect(checks(report).filter((c) => !c.ok)).toEqual([]);
  });
});
