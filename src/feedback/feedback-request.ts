/**
 * The feedback batch, validated per CDS Hooks 2.0 section "Feedback" (reference/cds-hooks.md 6).
 * Unknown fields and extensions pass; each problem is reported with the item it belongs to.
 * Messages never quote what was sent: a user comment may hold patient details.
 */
import { z } from 'zod';
import type { FeedbackItem } from './store.js';

/** PostgreSQL text cannot hold U+0000; refuse it here rather than fail the whole batch at the store. */
const text = (max: number) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((s) => !s.includes('\u0000'), 'must not contain the NUL character');

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Card and suggestion uuids are stored in lower case, as this service issues them. */
const uuidLike = (max: number) => text(max).transform((s) => (UUID.test(s) ? s.toLowerCase() : s));

export const MAX_ITEMS = 1000;
export const MAX_COMMENT = 4000;

const coding = z.looseObject({
  system: text(1024),
  code: text(256),
  display: text(1024).optional(),
});

const item = z
  .looseObject({
    card: uuidLike(128),
    outcome: z.enum(['accepted', 'overridden'], { error: 'outcome must be "accepted" or "overridden"' }),
    acceptedSuggestions: z
      .array(z.looseObject({ id: uuidLike(128) }))
      .min(1, 'must name at least one suggestion')
      .max(50)
      .optional(),
    overrideReason: z
      .looseObject({
        reason: coding.optional(),
        userComment: z
          .string()
          .max(MAX_COMMENT, `must be at most ${MAX_COMMENT} characters`)
          .refine((s) => !s.includes('\u0000'), 'must not contain the NUL character')
          .optional(),
      })
      .optional(),
    outcomeTimestamp: z.iso.datetime({ offset: true, error: 'outcomeTimestamp must be an RFC 3339 date-time, like 2026-01-12T09:30:00Z' }),
  })
  .superRefine((f, ctx) => {
    if (f.outcome === 'accepted' && !f.acceptedSuggestions) {
      ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: 'is required when outcome is "accepted"' });
    }
    if (f.outcome === 'overridden' && f.acceptedSuggestions) {
      ctx.addIssue({ code: 'custom', path: ['acceptedSuggestions'], message: 'only goes with outcome "accepted"' });
    }
    if (f.outcome === 'accepted' && f.overrideReason) {
      ctx.addIssue({ code: 'custom', path: ['overrideReason'], message: 'only goes with outcome "overridden"' });
    }
  });

const batch = z.looseObject({
  feedback: z
    .array(z.unknown())
    .min(1, 'must hold at least one item')
    .max(MAX_ITEMS, `at most ${MAX_ITEMS} items a request; send the rest in another`),
});

export interface FeedbackProblem {
  /** Like feedback[3].outcome */
  path: string;
  message: string;
}

export type FeedbackParse = { ok: true; items: FeedbackItem[] } | { ok: false; problems: FeedbackProblem[] };

function pathOf(parts: readonly PropertyKey[]): string {
  return parts
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
}

function message(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return 'is required';
  return issue.message;
}

/** Every item is checked, so one answer names every bad item of the batch. */
export function parseFeedback(body: unknown): FeedbackParse {
  const outer = batch.safeParse(body);
  if (!outer.success) {
    return { ok: false, problems: outer.error.issues.map((i) => ({ path: pathOf(i.path) || 'body', message: message(i) })) };
  }
  const problems: FeedbackProblem[] = [];
  const items: FeedbackItem[] = [];
  outer.data.feedback.forEach((raw, index) => {
    const parsed = item.safeParse(raw);
    if (!parsed.success) {
      for (const i of parsed.error.issues) problems.push({ path: pathOf(['feedback', index, ...i.path]), message: message(i) });
      return;
    }
    const f = parsed.data;
    const reason = f.overrideReason?.reason;
    const comment = f.overrideReason?.userComment;
    items.push({
      cardUuid: f.card,
      outcome: f.outcome,
      outcomeTimestamp: f.outcomeTimestamp,
      acceptedSuggestions: [...new Set((f.acceptedSuggestions ?? []).map((s) => s.id))],
      ...(reason
        ? { overrideReason: { system: reason.system, code: reason.code, ...(reason.display ? { display: reason.display } : {}) } }
        : {}),
      ...(comment ? { userComment: comment } : {}),
    });
  });
  return problems.length ? { ok: false, problems } : { ok: true, items };
}
