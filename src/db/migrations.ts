/**
 * The schema, as the ordered list of migrations that builds it (see docs/feedback.md for what each
 * table holds and why). Append a new migration to change it; never edit one that has shipped, since
 * databases in the field have already run it.
 */
import type { Migration } from './migrate.js';

export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'card log',
    statements: [
      // One row per card returned. Ids and versions only: no patient, user, token or card text.
      `CREATE TABLE card_log (
        card_uuid text PRIMARY KEY,
        service_id text NOT NULL,
        rule_id text NOT NULL,
        rules_version text NOT NULL,
        hook_instance_hash text NOT NULL,
        suggestion_uuids text[] NOT NULL DEFAULT '{}',
        issued_at timestamptz NOT NULL
      )`,
      'CREATE INDEX card_log_issued_at ON card_log (issued_at)',
    ],
  },
  {
    id: 2,
    name: 'feedback',
    statements: [
      // One row per feedback item; a resent item hits the unique key and is stored once.
      `CREATE TABLE feedback (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        service_id text NOT NULL,
        card_uuid text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
        outcome_at timestamptz NOT NULL,
        accepted_suggestions text[] NOT NULL DEFAULT '{}',
        override_system text,
        override_code text,
        override_display text,
        user_comment text,
        received_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT feedback_once UNIQUE (service_id, card_uuid, outcome, outcome_at)
      )`,
      'CREATE INDEX feedback_card ON feedback (card_uuid)',
      'CREATE INDEX feedback_received_at ON feedback (received_at)',
    ],
  },
  {
    id: 3,
    name: 'jwt replay',
    statements: [
      // Used JWT ids, shared by every replica (src/http/auth/database-replay-store.ts); rows of expired tokens are deleted.
      `CREATE TABLE jwt_replay (
        iss text NOT NULL,
        jti text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (iss, jti)
      )`,
      'CREATE INDEX jwt_replay_expires_at ON jwt_replay (expires_at)',
    ],
  },
  {
    id: 4,
    name: 'silent cards',
    statements: [
      // Would-be cards of rules in silent mode: logged so their firing rate can be judged, never sent to the EHR.
      'ALTER TABLE card_log ADD COLUMN silent boolean NOT NULL DEFAULT false',
    ],
  },
];
