/**
 * Near misses: findings that are in the record but outside their look-back window (a fever 15 days
 * ago against a 14-day window), so the explain trace can say "outside the 14-day window" instead of
 * "none found". Found by running the facts' own matching with the windows opened, so the two agree.
 */
import { dayOf, dayRange } from '../facts/dates.js';
import { findingHits } from '../facts/findings.js';
import type { FindingHit, PatientRecord, ValueSetLookup } from '../facts/types.js';
import type { FindingDefinition, FindingWindow } from '../knowledge/schemas.js';

export interface NearMiss extends FindingHit {
  /** Why it does not count, e.g. "outside the 14-day window (15 days ago)". */
  why: string;
}

const ANY_TIME: FindingWindow = { kind: 'any-time' };

function windowWords(window: FindingWindow): string {
  if (window.kind === 'days') return `the ${window.days}-day window`;
  return window.kind === 'active' ? 'its window (it must be active)' : 'its window';
}

export function nearMisses(
  defs: readonly FindingDefinition[],
  found: readonly FindingHit[],
  record: PatientRecord,
  now: Date,
  lookup: ValueSetLookup,
): NearMiss[] {
  const today = dayOf(now);
  const counted = new Set(found.map((h) => `${h.findingId} ${h.reference}`));
  return defs.flatMap((def) => {
    // Medication coverage is a sum over courses, not one dated record: it has no single near miss to show.
    const { medication: _coverage, ...rest } = def;
    const opened: FindingDefinition = { ...rest, window: ANY_TIME };
    return findingHits(opened, record, today, lookup)
      .filter((h) => !counted.has(`${h.findingId} ${h.reference}`))
      .map((h): NearMiss => {
        const range = dayRange(h.date);
        const ago = range ? today - range.latest : undefined;
        const when = ago === undefined ? 'undated' : ago < 0 ? `dated ${-ago} days after the request time` : `${ago} days ago`;
        return { ...h, why: `outside ${windowWords(def.window)} (${when})` };
      });
  });
}
