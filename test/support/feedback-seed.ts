/** Known cards and feedback, written through the store's own functions, for analytics tests. */
import { randomUUID } from 'node:crypto';
import type { Database } from '../../src/db/database.js';
import { saveFeedback, writeCards, type CardLogRow, type FeedbackItem } from '../../src/feedback/store.js';

export const SELECT = 'back-pain-imaging-select';
export const SIGN = 'back-pain-imaging-sign';
export const REASONS = 'urn:backpain-cds:override-reason';

export function card(serviceId: string, ruleId: string, issuedAt: string, suggestions = 0): CardLogRow {
  return {
    cardUuid: randomUUID(),
    serviceId,
    ruleId,
    rulesVersion: 'test-rules',
    hookInstanceHash: 'f'.repeat(64),
    suggestionUuids: Array.from({ length: suggestions }, () => randomUUID()),
    issuedAt: new Date(issuedAt),
  };
}

export function accepted(c: CardLogRow, positions: number[], at: string): FeedbackItem {
  return {
    cardUuid: c.cardUuid,
    outcome: 'accepted',
    outcomeTimestamp: at,
    acceptedSuggestions: positions.map((p) => c.suggestionUuids[p - 1] as string),
  };
}

export function overridden(cardUuid: string, at: string, reason?: { system: string; code: string; display?: string }): FeedbackItem {
  return { cardUuid, outcome: 'overridden', outcomeTimestamp: at, acceptedSuggestions: [], ...(reason ? { overrideReason: reason } : {}) };
}

/**
 * Three weeks, 2026-11-02 to 2026-11-22, with the answers the analytics must give worked out by
 * hand in the test that uses it.
 */
export async function seedKnownWeeks(db: Database): Promise<Record<string, CardLogRow>> {
  const c = {
    c1: card(SELECT, 'imaging-defer', '2026-11-03T09:00:00Z', 2),
    c2: card(SELECT, 'imaging-defer', '2026-11-04T09:00:00Z', 2),
    c3: card(SELECT, 'imaging-defer', '2026-11-10T09:00:00Z', 2),
    c4: card(SIGN, 'imaging-defer', '2026-11-11T09:00:00Z', 2),
    c5: card(SIGN, 'imaging-repeat', '2026-11-17T09:00:00Z', 1),
    c6: card(SELECT, 'cauda-equina-emergency', '2026-11-18T09:00:00Z'),
    c9: card(SELECT, 'imaging-defer', '2026-11-22T23:59:59Z', 2),
    before: card(SELECT, 'imaging-defer', '2026-11-01T23:59:59Z', 2),
    after: card(SIGN, 'imaging-repeat', '2026-11-23T00:00:00Z', 1),
  };
  await writeCards(db, Object.values(c));
  const keep = { storeComments: false };
  await saveFeedback(db, SELECT, [accepted(c.c1, [2], '2026-11-03T09:05:00Z')], keep);
  // Overridden first, accepted later: the latest answer counts.
  await saveFeedback(
    db,
    SELECT,
    [overridden(c.c2.cardUuid, '2026-11-04T09:01:00Z', { system: REASONS, code: 'decided-with-patient' })],
    keep,
  );
  await saveFeedback(db, SELECT, [accepted(c.c2, [1], '2026-11-04T10:03:00.5+01:00')], keep);
  const c3 = overridden(c.c3.cardUuid, '2026-11-10T09:02:00Z', { system: 'http://ehr.example.org/override', code: 'clinical-judgement' });
  await saveFeedback(db, SELECT, [c3, c3], keep);
  await saveFeedback(db, SELECT, [c3], keep);
  await saveFeedback(db, SIGN, [overridden(c.c5.cardUuid, '2026-11-17T09:02:00Z')], keep);
  await saveFeedback(
    db,
    SELECT,
    [overridden(c.c9.cardUuid, '2026-11-22T23:59:59Z', { system: REASONS, code: 'red-flag-on-examination', display: 'Sent by the EHR' })],
    keep,
  );
  await saveFeedback(db, SELECT, [accepted(c.before, [1], '2026-11-02T08:00:00Z')], keep);
  await saveFeedback(db, SIGN, [overridden(c.after.cardUuid, '2026-11-23T08:00:00Z')], keep);
  // Unknown: a card never issued, and a real card reported under the wrong service.
  await saveFeedback(db, SELECT, [overridden(randomUUID(), '2026-11-12T10:00:00Z')], keep);
  await saveFeedback(db, SIGN, [accepted(c.c1, [1], '2026-11-05T10:00:00Z')], keep);
  await saveFeedback(db, SELECT, [overridden(randomUUID(), '2026-11-25T10:00:00Z')], keep);
  return c;
}
