/**
 * How clinicians respond to each rule's cards: shown, accepted, overridden, no response, acceptance
 * rate, accepted suggestions, top override reasons and a weekly trend, per rule and per service.
 * A card counts once, by its latest feedback; the acceptance rate is accepted / (accepted +
 * overridden), so cards nobody answered do not dilute it (they are counted as "no response").
 * Feedback for a card uuid that is not in the card log is counted apart, as unknown.
 * Would-be cards of rules in silent mode are counted apart (never shown, so never answered), and every
 * number can be narrowed to one rules version and compared across versions.
 */
import { UTCDate } from '@date-fns/utc';
import { addDays, addWeeks, differenceInCalendarDays, startOfISOWeek } from 'date-fns';
import type { Database } from '../db/database.js';

export interface AnalyticsFilter {
  /** First and last day (UTC, YYYY-MM-DD) on which cards were issued, both included. */
  from: string;
  to: string;
  serviceId?: string;
  /** Only cards issued under this rules version (the fingerprint GET /status shows). */
  rulesVersion?: string;
}

/** An acceptance rate from fewer answered cards than this is marked too few to judge. */
export const MIN_RESPONSES_TO_JUDGE = 10;

export interface Counts {
  cardsShown: number;
  accepted: number;
  overridden: number;
  noResponse: number;
  /** accepted / (accepted + overridden), 0 to 1; null when no card was answered. */
  acceptanceRate: number | null;
  /** accepted + overridden: the cards the acceptance rate is computed from. */
  responses: number;
  /** Fewer than MIN_RESPONSES_TO_JUDGE responses: the rate is shown but too few to judge. */
  tooFewToJudge: boolean;
  /** Would-be cards of rules in silent mode: logged, never shown, so not in the other counts. */
  silentCards: number;
  /** Suggestions accepted, over all cards (a card may have more than one accepted). */
  acceptedSuggestions: number;
}

export interface WeekCounts extends Omit<Counts, 'acceptedSuggestions'> {
  /** Monday (UTC) that starts the week. */
  weekStart: string;
}

export interface OverrideReasonCount {
  /** Absent when the clinician overrode without picking a reason. */
  system?: string;
  code?: string;
  display: string;
  count: number;
}

export interface SuggestionCount {
  /** 1-based position of the suggestion on the card. */
  position: number;
  label: string;
  accepted: number;
}

export interface RuleAnalytics extends Counts {
  ruleId: string;
  title: string;
  /** The rule's mode in the live rule files now ("live" for a rule that is no longer there). */
  mode: 'live' | 'silent';
  /** Firing rate: cards shown, and silent would-be cards, per 7 days of the period. */
  cardsPerWeek: number;
  silentCardsPerWeek: number;
  suggestions: SuggestionCount[];
  topOverrideReasons: OverrideReasonCount[];
  weekly: WeekCounts[];
}

export interface ServiceAnalytics extends Counts {
  serviceId: string;
  title: string;
  topOverrideReasons: OverrideReasonCount[];
  weekly: WeekCounts[];
}

/** One rules version's numbers in the period, so a change can be compared with the one before. */
export interface VersionAnalytics extends Counts {
  rulesVersion: string;
  /** First and last card issued under this version in the period (ISO timestamps). */
  firstIssued: string;
  lastIssued: string;
  rules: (Counts & { ruleId: string })[];
}

export interface Analytics {
  filter: { from: string; to: string; service?: string; rulesVersion?: string };
  generatedAt: string;
  totals: Counts & { weekly: WeekCounts[] };
  rules: RuleAnalytics[];
  services: ServiceAnalytics[];
  /** Per rules version, newest first (the version filter narrows it to one). */
  versions: VersionAnalytics[];
  /** Every rules version with cards in the period and service, whatever the version filter: the filter's choices. */
  versionsInPeriod: string[];
  minResponsesToJudge: number;
  /** Feedback (outcome time in the range) for cards this service has no record of issuing. */
  unknownFeedback: { items: number; cards: number };
}

/** Names for ids, from the live rule and card files; an id that is no longer there shows as itself. */
export interface AnalyticsLabels {
  rules: readonly { id: string; title: string; services: readonly string[]; mode?: 'live' | 'silent' }[];
  services: readonly { id: string; title: string }[];
  suggestionLabel(ruleId: string, position: number): string | undefined;
  reasonDisplay(ruleId: string, system: string, code: string): string | undefined;
}

export const TOP_REASONS = 5;

/** The cards issued in the range (live and silent) and, for each, its latest feedback from the same service. */
const SCOPE = `
  WITH cards AS (
    SELECT card_uuid, service_id, rule_id, rules_version, issued_at, suggestion_uuids, silent
    FROM card_log
    WHERE issued_at >= $1 AND issued_at < $2 AND ($3::text IS NULL OR service_id = $3) AND ($4::text IS NULL OR rules_version = $4)
  ), latest AS (
    SELECT DISTINCT ON (f.service_id, f.card_uuid)
      f.service_id, f.card_uuid, f.outcome, f.accepted_suggestions, f.override_system, f.override_code, f.override_display
    FROM feedback f JOIN cards c ON c.card_uuid = f.card_uuid AND c.service_id = f.service_id
    ORDER BY f.service_id, f.card_uuid, f.outcome_at DESC, f.id DESC
  )`;

/** The one grouping every count is summed from: service, rule, week and rules version. */
const BY_WEEK = `${SCOPE}
  SELECT c.service_id, c.rule_id,
    to_char(date_trunc('week', c.issued_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS week,
    c.rules_version,
    (count(*) FILTER (WHERE NOT c.silent))::int AS shown,
    (count(*) FILTER (WHERE c.silent))::int AS silent,
    (count(*) FILTER (WHERE NOT c.silent AND l.outcome = 'accepted'))::int AS accepted,
    (count(*) FILTER (WHERE NOT c.silent AND l.outcome = 'overridden'))::int AS overridden,
    min(c.issued_at) AS first_issued,
    max(c.issued_at) AS last_issued
  FROM cards c LEFT JOIN latest l ON l.card_uuid = c.card_uuid AND l.service_id = c.service_id
  GROUP BY 1, 2, 3, 4`;

const VERSIONS = `
  SELECT rules_version, min(issued_at) AS first_issued
  FROM card_log
  WHERE issued_at >= $1 AND issued_at < $2 AND ($3::text IS NULL OR service_id = $3)
  GROUP BY 1 ORDER BY 2 DESC, 1`;

const SUGGESTIONS = `${SCOPE}
  SELECT c.service_id, c.rule_id, s.position::int AS position, count(*)::int AS accepted
  FROM cards c
  JOIN latest l ON l.card_uuid = c.card_uuid AND l.service_id = c.service_id AND l.outcome = 'accepted' AND NOT c.silent
  CROSS JOIN LATERAL unnest(c.suggestion_uuids) WITH ORDINALITY AS s(uuid, position)
  WHERE s.uuid = ANY (l.accepted_suggestions)
  GROUP BY 1, 2, 3`;

const REASONS = `${SCOPE}
  SELECT c.service_id, c.rule_id, l.override_system AS system, l.override_code AS code,
    max(l.override_display) AS display, count(*)::int AS count
  FROM cards c
  JOIN latest l ON l.card_uuid = c.card_uuid AND l.service_id = c.service_id AND l.outcome = 'overridden' AND NOT c.silent
  GROUP BY 1, 2, 3, 4`;

const UNKNOWN = `
  SELECT count(*)::int AS items, count(DISTINCT f.service_id || ' ' || f.card_uuid)::int AS cards
  FROM feedback f
  WHERE f.outcome_at >= $1 AND f.outcome_at < $2 AND ($3::text IS NULL OR f.service_id = $3)
    AND NOT EXISTS (SELECT 1 FROM card_log c WHERE c.card_uuid = f.card_uuid AND c.service_id = f.service_id)`;

interface WeekRow extends Record<string, unknown> {
  service_id: string;
  rule_id: string;
  week: string;
  rules_version: string;
  shown: number;
  silent: number;
  accepted: number;
  overridden: number;
  first_issued: Date | string;
  last_issued: Date | string;
}
interface SuggestionRow extends Record<string, unknown> {
  service_id: string;
  rule_id: string;
  position: number;
  accepted: number;
}
interface ReasonRow extends Record<string, unknown> {
  service_id: string;
  rule_id: string;
  system: string | null;
  code: string | null;
  display: string | null;
  count: number;
}

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** A YYYY-MM-DD day as its UTC midnight. */
function utcDay(day: string): UTCDate {
  return new UTCDate(Date.parse(`${day}T00:00:00Z`));
}

/** Mondays (UTC) of every week that overlaps the range. */
export function weeksOf(from: string, to: string): string[] {
  const end = utcDay(to);
  const weeks: string[] = [];
  for (let monday = startOfISOWeek(utcDay(from)); monday <= end; monday = addWeeks(monday, 1)) weeks.push(isoDay(monday));
  return weeks;
}

function rate(accepted: number, overridden: number): number | null {
  const answered = accepted + overridden;
  return answered === 0 ? null : Math.round((accepted / answered) * 1000) / 1000;
}

function counts(shown: number, accepted: number, overridden: number, acceptedSuggestions: number, silentCards = 0): Counts {
  const responses = accepted + overridden;
  return {
    cardsShown: shown,
    accepted,
    overridden,
    noResponse: shown - accepted - overridden,
    acceptanceRate: rate(accepted, overridden),
    responses,
    tooFewToJudge: responses < MIN_RESPONSES_TO_JUDGE,
    acceptedSuggestions,
    silentCards,
  };
}

/** Counts of week rows (suggestions come from their own query). */
function countsOf(rows: readonly WeekRow[], acceptedSuggestions = 0): Counts {
  return counts(
    sum(rows, (r) => r.shown),
    sum(rows, (r) => r.accepted),
    sum(rows, (r) => r.overridden),
    acceptedSuggestions,
    sum(rows, (r) => r.silent),
  );
}

function iso(value: Date | string): string {
  return new Date(value).toISOString();
}

/** Cards per 7 days of the period, to one decimal. */
function perWeek(n: number, filter: AnalyticsFilter): number {
  const days = differenceInCalendarDays(utcDay(filter.to), utcDay(filter.from)) + 1;
  return Math.round((n / days) * 7 * 10) / 10;
}

function versions(rows: readonly WeekRow[], order: readonly string[]): VersionAnalytics[] {
  return order
    .filter((v) => rows.some((r) => r.rules_version === v))
    .map((rulesVersion) => {
      const mine = rows.filter((r) => r.rules_version === rulesVersion);
      const ruleIds = [...new Set(mine.map((r) => r.rule_id))].sort();
      return {
        rulesVersion,
        firstIssued: mine.map((r) => iso(r.first_issued)).sort()[0] ?? '',
        lastIssued:
          mine
            .map((r) => iso(r.last_issued))
            .sort()
            .at(-1) ?? '',
        ...countsOf(mine),
        rules: ruleIds.map((ruleId) => ({ ruleId, ...countsOf(mine.filter((r) => r.rule_id === ruleId)) })),
      };
    });
}

function sum<T>(rows: readonly T[], value: (r: T) => number): number {
  return rows.reduce((n, r) => n + value(r), 0);
}

function weekly(rows: readonly WeekRow[], weeks: readonly string[]): WeekCounts[] {
  return weeks.map((weekStart) => {
    const inWeek = rows.filter((r) => r.week === weekStart);
    const { acceptedSuggestions: _unused, ...c } = countsOf(inWeek);
    return { weekStart, ...c };
  });
}

function topReasons(rows: readonly ReasonRow[], labels: AnalyticsLabels): OverrideReasonCount[] {
  const merged = new Map<string, OverrideReasonCount>();
  for (const r of rows) {
    const key = r.code === null ? '' : `${r.system ?? ''}|${r.code}`;
    const known = merged.get(key);
    if (known) {
      known.count += r.count;
      continue;
    }
    const display =
      r.code === null
        ? 'No reason given'
        : ((r.system !== null ? labels.reasonDisplay(r.rule_id, r.system, r.code) : undefined) ?? r.display ?? r.code);
    merged.set(key, {
      ...(r.system !== null ? { system: r.system } : {}),
      ...(r.code !== null ? { code: r.code } : {}),
      display,
      count: r.count,
    });
  }
  return [...merged.values()].sort((a, b) => b.count - a.count || a.display.localeCompare(b.display)).slice(0, TOP_REASONS);
}

/** Next day after `to`, as the exclusive end of the range. */
function rangeOf(filter: AnalyticsFilter): [string, string] {
  return [`${filter.from}T00:00:00Z`, `${isoDay(addDays(utcDay(filter.to), 1))}T00:00:00Z`];
}

export async function loadAnalytics(
  db: Database,
  filter: AnalyticsFilter,
  labels: AnalyticsLabels,
  now: Date = new Date(),
): Promise<Analytics> {
  const [start, end] = rangeOf(filter);
  const inPeriod = [start, end, filter.serviceId ?? null];
  const params = [...inPeriod, filter.rulesVersion ?? null];
  const [weekRows, suggestionRows, reasonRows, unknownRows, versionRows] = await Promise.all([
    db.query<WeekRow>(BY_WEEK, params),
    db.query<SuggestionRow>(SUGGESTIONS, params),
    db.query<ReasonRow>(REASONS, params),
    // Feedback for a card never logged has no rules version, so the version filter cannot narrow it.
    db.query<{ items: number; cards: number }>(UNKNOWN, inPeriod),
    db.query<{ rules_version: string }>(VERSIONS, inPeriod),
  ]);
  const weeks = weeksOf(filter.from, filter.to);
  const inService = (id: string): boolean => !filter.serviceId || id === filter.serviceId;

  const ruleIds = new Set(labels.rules.filter((r) => r.services.some(inService)).map((r) => r.id));
  for (const r of weekRows) ruleIds.add(r.rule_id);
  const rules: RuleAnalytics[] = [...ruleIds].map((ruleId) => {
    const w = weekRows.filter((r) => r.rule_id === ruleId);
    const s = suggestionRows.filter((r) => r.rule_id === ruleId);
    const positions = [...new Set(s.map((r) => r.position))].sort((a, b) => a - b);
    const label = labels.rules.find((r) => r.id === ruleId);
    const c = countsOf(
      w,
      sum(s, (r) => r.accepted),
    );
    return {
      ruleId,
      title: label?.title ?? ruleId,
      mode: label?.mode ?? 'live',
      ...c,
      cardsPerWeek: perWeek(c.cardsShown, filter),
      silentCardsPerWeek: perWeek(c.silentCards, filter),
      suggestions: positions.map((position) => ({
        position,
        label: labels.suggestionLabel(ruleId, position) ?? `Suggestion ${position}`,
        accepted: sum(
          s.filter((r) => r.position === position),
          (r) => r.accepted,
        ),
      })),
      topOverrideReasons: topReasons(
        reasonRows.filter((r) => r.rule_id === ruleId),
        labels,
      ),
      weekly: weekly(w, weeks),
    };
  });
  rules.sort((a, b) => b.cardsShown - a.cardsShown || b.silentCards - a.silentCards || a.ruleId.localeCompare(b.ruleId));

  const serviceIds = new Set(labels.services.map((s) => s.id).filter(inService));
  for (const r of weekRows) serviceIds.add(r.service_id);
  const services: ServiceAnalytics[] = [...serviceIds].map((serviceId) => {
    const w = weekRows.filter((r) => r.service_id === serviceId);
    const s = suggestionRows.filter((r) => r.service_id === serviceId);
    return {
      serviceId,
      title: labels.services.find((x) => x.id === serviceId)?.title ?? serviceId,
      ...countsOf(
        w,
        sum(s, (r) => r.accepted),
      ),
      topOverrideReasons: topReasons(
        reasonRows.filter((r) => r.service_id === serviceId),
        labels,
      ),
      weekly: weekly(w, weeks),
    };
  });

  const unknown = unknownRows[0] ?? { items: 0, cards: 0 };
  return {
    filter: {
      from: filter.from,
      to: filter.to,
      ...(filter.serviceId ? { service: filter.serviceId } : {}),
      ...(filter.rulesVersion ? { rulesVersion: filter.rulesVersion } : {}),
    },
    generatedAt: now.toISOString(),
    totals: {
      ...countsOf(
        weekRows,
        sum(suggestionRows, (r) => r.accepted),
      ),
      weekly: weekly(weekRows, weeks),
    },
    rules,
    services,
    versions: versions(
      weekRows,
      versionRows.map((r) => r.rules_version),
    ),
    versionsInPeriod: versionRows.map((r) => r.rules_version),
    minResponsesToJudge: MIN_RESPONSES_TO_JUDGE,
    unknownFeedback: { items: unknown.items, cards: unknown.cards },
  };
}
