/**
 * Silent mode over HTTP on the real store: a silent rule's card never reaches the EHR, is logged
 * marked silent, and analytics counts it apart from the cards shown, beside the live rules' rates.
 */
import { loadKnowledge, type KnowledgeBase } from '../../src/knowledge/load.js';
import { SERVICES } from '../../src/hooks/services.js';
import { readScenarios } from '../../src/demo/scenarios/load.js';
import { scenarioRequest } from '../../src/demo/scenarios/requests.js';
import { post } from '../support/harness.js';
import { startFeedbackService, type FeedbackService } from '../support/feedback-service.js';
import { copyKnowledge, type KnowledgeCopy } from '../support/knowledge-copy.js';
import { createTestStore, storeKinds, type TestStore } from '../support/stores.js';

const scenario = readScenarios().find((s) => s.id === 'chronic-pain-and-back-pain-both-services');

describe.each(storeKinds())('silent mode on %s', (kind) => {
  let store: TestStore;
  let svc: FeedbackService;
  let copy: KnowledgeCopy;
  let kb: KnowledgeBase;

  beforeAll(async () => {
    copy = copyKnowledge();
    // The whole stratified care file goes silent; the chronic pain file stays live.
    copy.editJson<{ mode?: string }>('rules/back-pain-stratified-care.json', (f) => {
      f.mode = 'silent';
    });
    kb = loadKnowledge({ rulesDir: copy.rulesDir, cardsDir: copy.cardsDir });
    store = await createTestStore(kind);
    svc = await startFeedbackService(store, { knowledge: () => kb });
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await store?.cleanup();
    copy?.remove();
  });

  test(
    'the EHR gets nothing from a silent service; the card log has ' + 'its would-be card marked silent; analytics shows it apart',
    async () => {
      if (!scenario) throw new Error('scenario chronic-pain-and-back-pain-both-services is missing');
      svc.setNow(new Date(scenario.now));
      const expected = scenario.expect['back-pain-stratified-care'] ?? [];
      expect(expected.length).toBeGreaterThan(0);
      const stratified = SERVICES.find((s) => s.id === 'back-pain-stratified-care');
      const chronic = SERVICES.find((s) => s.id === 'chronic-pain-therapy-referral');
      if (!stratified || !chronic) throw new Error('services missing');

      const silentAnswer = await post(
        `${svc.url}/cds-services/${stratified.id}`,
        scenarioRequest(scenario, stratified, { prefetch: 'all' }),
      );
      expect(silentAnswer.status).toBe(200);
      expect(silentAnswer.body).toEqual({ cards: [] });
      const liveAnswer = await post(`${svc.url}/cds-services/${chronic.id}`, scenarioRequest(scenario, chronic, { prefetch: 'all' }));
      const liveRules = (liveAnswer.body as { cards: { source: { topic: { code: string } } }[] }).cards.map((c) => c.source.topic.code);
      expect(liveRules).toEqual(scenario.expect['chronic-pain-therapy-referral']);

      await svc.feedback.cardLog.flush();
      const rows = await svc.feedback.db.query<{ service_id: string; rule_id: string; silent: boolean }>(
        'SELECT service_id, rule_id, silent FROM card_log ORDER BY service_id, rule_id',
      );
      expect(rows).toEqual([
        ...[...expected].sort().map((rule_id) => ({ service_id: stratified.id, rule_id, silent: true })),
        ...[...liveRules].sort().map((rule_id) => ({ service_id: chronic.id, rule_id, silent: false })),
      ]);

      // The card log stamps cards with the wall clock, so the period is read off the log itself.
      const [stamp] = await svc.feedback.db.query<{ first: string; last: string }>(
        "SELECT to_char(min(issued_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS first, " +
          "to_char(max(issued_at) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS last FROM card_log",
      );
      const period = `from=${stamp?.first ?? ''}&to=${stamp?.last ?? ''}`;
      const res = await fetch(`${svc.url}/analytics.json?${period}`);
      const a = (await res.json()) as {
        totals: { cardsShown: number; silentCards: number };
        rules: { ruleId: string; mode: string; cardsShown: number; silentCards: number }[];
      };
      expect(a.totals).toMatchObject({ cardsShown: liveRules.length, silentCards: expected.length });
      for (const id of expected)
        expect(a.rules.find((r) => r.ruleId === id)).toMatchObject({ mode: 'silent', cardsShown: 0, silentCards: 1 });
      const page = await (await fetch(`${svc.url}/analytics?${period}`)).text();
      expect(page).toContain('Firing rates: live and silent rules');
      expect(page).toMatch(new RegExp(`<tr data-firing="${expected[0]}">.*?<td data-field="mode">silent</td>`));
    },
    60_000,
  );
});
