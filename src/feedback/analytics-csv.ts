/**
 * /analytics.csv: the same numbers as /analytics.json, one row per rule, service, week, rules
 * version and rule within a version, and the total. Columns after top_override_reasons were added
 * later, so a spreadsheet built on the first ten still reads them in place.
 */
import type { Analytics, Counts, OverrideReasonCount } from './analytics.js';

const COLUMNS = [
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
];

/** RFC 4180 quoting, and a leading ' on text a spreadsheet would run as a formula (=, +, -, @). */
export function csvCell(value: string | number | null): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

function reasons(list: readonly OverrideReasonCount[]): string {
  return list.map((r) => `${r.display} (${r.count})`).join('; ');
}

type RowCounts = Omit<Counts, 'acceptedSuggestions'> & { acceptedSuggestions?: number };

interface Extra {
  top?: readonly OverrideReasonCount[];
  mode?: string;
  rulesVersion?: string;
}

function row(level: string, id: string, title: string, c: RowCounts, extra: Extra = {}): string {
  return [
    level,
    id,
    title,
    c.cardsShown,
    c.accepted,
    c.overridden,
    c.noResponse,
    c.acceptanceRate,
    c.acceptedSuggestions ?? null,
    extra.top ? reasons(extra.top) : null,
    c.responses,
    c.tooFewToJudge ? 'yes' : 'no',
    c.silentCards,
    extra.mode ?? null,
    extra.rulesVersion ?? null,
  ]
    .map(csvCell)
    .join(',');
}

export function renderAnalyticsCsv(a: Analytics): string {
  const version = a.filter.rulesVersion;
  const title = (ruleId: string): string => a.rules.find((r) => r.ruleId === ruleId)?.title ?? ruleId;
  const lines = [
    COLUMNS.join(','),
    ...a.rules.map((r) =>
      row('rule', r.ruleId, r.title, r, { top: r.topOverrideReasons, mode: r.mode, ...(version ? { rulesVersion: version } : {}) }),
    ),
    ...a.services.map((s) =>
      row('service', s.serviceId, s.title, s, { top: s.topOverrideReasons, ...(version ? { rulesVersion: version } : {}) }),
    ),
    ...a.totals.weekly.map((w) => row('week', w.weekStart, `week starting ${w.weekStart}`, w, version ? { rulesVersion: version } : {})),
    ...a.versions.flatMap((v) => [
      row('version', v.rulesVersion, `cards issued ${v.firstIssued} to ${v.lastIssued}`, v, { rulesVersion: v.rulesVersion }),
      ...v.rules.map((r) => row('version-rule', r.ruleId, title(r.ruleId), r, { rulesVersion: v.rulesVersion })),
    ]),
    row(
      'total',
      'all',
      `${a.filter.from} to ${a.filter.to}${a.filter.service ? `, ${a.filter.service}` : ''}${version ? `, rules version ${version}` : ''}`,
      a.totals,
      version ? { rulesVersion: version } : {},
    ),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
