/** /analytics.csv: the same numbers as /analytics.json, one row per rule, service and week, and the total. */
import type { Analytics, Counts, OverrideReasonCount } from './analytics.js';

const COLUMNS = ['level', 'id', 'title', 'cards_shown', 'accepted', 'overridden', 'no_response', 'acceptance_rate', 'accepted_suggestions', 'top_override_reasons'];

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

function row(level: string, id: string, title: string, c: Omit<Counts, 'acceptedSuggestions'> & { acceptedSuggestions?: number }, top?: readonly OverrideReasonCount[]): string {
  return [level, id, title, c.cardsShown, c.accepted, c.overridden, c.noResponse, c.acceptanceRate, c.acceptedSuggestions ?? null, top ? reasons(top) : null]
    .map(csvCell)
    .join(',');
}

export function renderAnalyticsCsv(a: Analytics): string {
  const lines = [
    COLUMNS.join(','),
    ...a.rules.map((r) => row('rule', r.ruleId, r.title, r, r.topOverrideReasons)),
    ...a.services.map((s) => row('service', s.serviceId, s.title, s, s.topOverrideReasons)),
    ...a.totals.weekly.map((w) => row('week', w.weekStart, `week starting ${w.weekStart}`, w)),
    row('total', 'all', `${a.filter.from} to ${a.filter.to}${a.filter.service ? `, ${a.filter.service}` : ''}`, a.totals),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
