/**
 * The feedback store's writes, in plain PostgreSQL that PGlite and a PostgreSQL server both run
 * (tables: src/db/migrations.ts; reads: analytics.ts).
 */
import type { Database } from '../db/database.js';

/** One card as the card log keeps it: ids, versions and time, nothing about the patient. */
export interface CardLogRow {
  cardUuid: string;
  serviceId: string;
  ruleId: string;
  rulesVersion: string;
  hookInstanceHash: string;
  suggestionUuids: string[];
  issuedAt: Date;
  /** A silent rule's would-be card: logged for its firing rate, never sent to the EHR. */
  silent?: boolean;
}

export interface OverrideReasonCoding {
  system: string;
  code: string;
  display?: string;
}

/** One validated feedback item (CDS Hooks 2.0 section "Feedback"). */
export interface FeedbackItem {
  cardUuid: string;
  outcome: 'accepted' | 'overridden';
  /** RFC 3339, as sent; PostgreSQL parses it with its offset. */
  outcomeTimestamp: string;
  acceptedSuggestions: string[];
  overrideReason?: OverrideReasonCoding;
  userComment?: string;
}

/** Feedback rows per INSERT: 9 parameters a row, 2,250 a statement, far below PostgreSQL's 65,535. */
export const ROWS_PER_STATEMENT = 250;

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** `($1, $2, …), ($n, …)` for rows of `width` parameters. */
function valuesList(rows: number, width: number): string {
  return Array.from({ length: rows }, (_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`).join(
    ', ',
  );
}

/**
 * One statement for the whole batch, a column an array: the same SQL text whatever the batch size,
 * eight parameters instead of eight a row, and atomic without a transaction. Half the CPU per card
 * of a VALUES list, which the card log pays on the request thread (docs/feedback.md).
 */
const INSERT_CARDS = `INSERT INTO card_log
    (card_uuid, service_id, rule_id, rules_version, hook_instance_hash, suggestion_uuids, issued_at, silent)
  SELECT card_uuid, service_id, rule_id, rules_version, hook_instance_hash, string_to_array(suggestion_uuids, ','), issued_at, silent
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[], $8::boolean[])
    AS batch (card_uuid, service_id, rule_id, rules_version, hook_instance_hash, suggestion_uuids, issued_at, silent)
  ON CONFLICT (card_uuid) DO NOTHING`;

/** Writes a batch of cards, all or none; a card already logged is left as it is. */
export async function writeCards(db: Database, rows: readonly CardLogRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.query(INSERT_CARDS, [
    rows.map((r) => r.cardUuid),
    rows.map((r) => r.serviceId),
    rows.map((r) => r.ruleId),
    rows.map((r) => r.rulesVersion),
    rows.map((r) => r.hookInstanceHash),
    // uuids hold no commas, so a comma-joined list splits back exactly (an empty one to '{}').
    rows.map((r) => r.suggestionUuids.join(',')),
    rows.map((r) => r.issuedAt.toISOString()),
    rows.map((r) => r.silent === true),
  ]);
}

/**
 * Stores a feedback batch all or nothing, in one transaction. An item already stored (same service,
 * card, outcome and outcome time) is skipped, so an EHR may resend freely. Returns how many were new.
 */
export async function saveFeedback(
  db: Database,
  serviceId: string,
  items: readonly FeedbackItem[],
  options: { storeComments: boolean },
): Promise<{ stored: number }> {
  return db.transaction(async (tx) => {
    let stored = 0;
    for (const part of chunks(items, ROWS_PER_STATEMENT)) {
      const params = part.flatMap((i) => [
        serviceId,
        i.cardUuid,
        i.outcome,
        i.outcomeTimestamp,
        i.acceptedSuggestions,
        i.overrideReason?.system ?? null,
        i.overrideReason?.code ?? null,
        i.overrideReason?.display ?? null,
        options.storeComments ? (i.userComment ?? null) : null,
      ]);
      const rows = await tx.query(
        `INSERT INTO feedback (service_id, card_uuid, outcome, outcome_at, accepted_suggestions,
           override_system, override_code, override_display, user_comment)
         VALUES ${valuesList(part.length, 9)} ON CONFLICT ON CONSTRAINT feedback_once DO NOTHING RETURNING id`,
        params,
      );
      stored += rows.length;
    }
    return { stored };
  });
}

/** Deletes cards issued, and feedback received, before `cutoff` (FEEDBACK_RETENTION_DAYS). */
export async function purgeBefore(db: Database, cutoff: Date): Promise<{ cards: number; feedback: number }> {
  return db.transaction(async (tx) => {
    const cards = await tx.query('DELETE FROM card_log WHERE issued_at < $1 RETURNING 1', [cutoff.toISOString()]);
    const feedback = await tx.query('DELETE FROM feedback WHERE received_at < $1 RETURNING 1', [cutoff.toISOString()]);
    return { cards: cards.length, feedback: feedback.length };
  });
}
