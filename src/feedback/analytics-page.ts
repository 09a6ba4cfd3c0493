/**
 * The analytics page a clinical lead reads: one server-rendered HTML page, no script, plain SVG
 * charts. Every number on it comes from the same `Analytics` object that /analytics.json returns,
 * and each number carries a data-field attribute so a test can check the two agree.
 */
import type { Analytics, Counts, OverrideReasonCount, RuleAnalytics, VersionAnalytics, WeekCounts } from './analytics.js';

const COLOURS = { accepted: '#2166ac', overridden: '#e08214', noResponse: '#bfc5cc' } as const;
const LEGEND: readonly [keyof typeof COLOURS, string][] = [
  ['accepted', 'Accepted'],
  ['overridden', 'Overridden'],
  ['noResponse', 'No response'],
];

export function esc(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function percent(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 100)}%`;
}

function shortDate(day: string, withYear = false): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'short',
    ...(withYear ? { year: 'numeric' } : {}),
    timeZone: 'UTC',
  });
}

function legend(): string {
  return `<p class="legend">${LEGEND.map(([k, label]) => `<span><i style="background:${COLOURS[k]}"></i>${label}</span>`).join('')}</p>`;
}

function svgSize(width: number, height: number): string {
  return `viewBox="0 0 ${width} ${height}" width="${width}" height="${height}"`;
}

/** Horizontal bars, one per rule, split into accepted / overridden / no response, length = cards shown. */
function ruleChart(rules: readonly RuleAnalytics[]): string {
  const shown = rules.filter((r) => r.cardsShown > 0);
  if (shown.length === 0) return '<p class="empty">No cards were issued in this period.</p>';
  const labelW = 250;
  const barW = 420;
  const rateW = 110;
  const rowH = 30;
  const max = Math.max(...shown.map((r) => r.cardsShown));
  const rows = shown.map((r, i) => {
    const y = i * rowH + 24;
    let x = labelW;
    const segments = LEGEND.map(([k, label]) => {
      const n = r[k];
      const w = (n / max) * barW;
      const title = `<title>${esc(r.ruleId)}: ${n} ${label.toLowerCase()}</title>`;
      const rect =
        n > 0
          ? `<rect x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${rowH - 10}" fill="${COLOURS[k]}">${title}</rect>`
          : '';
      x += w;
      return rect;
    });
    return [
      `<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(r.ruleId)}</text>`,
      ...segments,
      `<text x="${(x + 6).toFixed(1)}" y="${y + 15}" class="n">${r.cardsShown}</text>`,
      `<text x="${labelW + barW + rateW - 4}" y="${y + 15}" text-anchor="end" class="rate">${percent(r.acceptanceRate)}</text>`,
    ].join('');
  });
  const height = shown.length * rowH + 30;
  const width = labelW + barW + rateW;
  return [
    `<svg class="chart" role="img" aria-label="Response to each rule's cards" ${svgSize(width, height)}>\n`,
    `<text x="${labelW}" y="14" class="axis">cards shown, by response</text>`,
    `<text x="${width - 4}" y="14" text-anchor="end" class="axis">acceptance rate</text>\n`,
    `${rows.join('\n')}</svg>`,
  ].join('');
}

/** Columns per week: cards shown, split by response, with the week's acceptance rate above. */
function weeklyChart(weeks: readonly WeekCounts[]): string {
  if (weeks.every((w) => w.cardsShown === 0)) return '<p class="empty">No cards were issued in this period.</p>';
  const plotH = 160;
  const colW = Math.max(14, Math.min(48, Math.floor(760 / weeks.length)));
  const left = 36;
  const top = 22;
  const width = left + weeks.length * colW + 10;
  const max = Math.max(...weeks.map((w) => w.cardsShown));
  const labelEvery = Math.ceil(weeks.length / 12);
  const cols = weeks.map((w, i) => {
    const x = left + i * colW + 2;
    let y = top + plotH;
    const segments = LEGEND.map(([k, label]) => {
      const n = w[k];
      const h = (n / max) * plotH;
      y -= h;
      const title = `<title>Week of ${w.weekStart}: ${n} ${label.toLowerCase()}</title>`;
      return n > 0
        ? `<rect x="${x}" y="${y.toFixed(1)}" width="${colW - 4}" height="${h.toFixed(1)}" fill="${COLOURS[k]}">${title}</rect>`
        : '';
    });
    const middle = x + (colW - 4) / 2;
    const rate =
      w.acceptanceRate === null
        ? ''
        : `<text x="${middle}" y="${(y - 4).toFixed(1)}" text-anchor="middle" class="small">${percent(w.acceptanceRate)}</text>`;
    const label =
      i % labelEvery === 0
        ? `<text x="${middle}" y="${top + plotH + 16}" text-anchor="middle" class="small">${shortDate(w.weekStart)}</text>`
        : '';
    return segments.join('') + rate + label;
  });
  const height = top + plotH + 24;
  return [
    `<svg class="chart" role="img" aria-label="Cards shown each week, by response" ${svgSize(width, height)}>\n`,
    `<line x1="${left - 2}" y1="${top + plotH}" x2="${width - 8}" y2="${top + plotH}" class="base"/>\n`,
    `<text x="${left - 6}" y="${top + 4}" text-anchor="end" class="small">${max}</text>`,
    `<text x="${left - 6}" y="${top + plotH}" text-anchor="end" class="small">0</text>\n`,
    `${cols.join('\n')}</svg>`,
  ].join('');
}

/** A rate from fewer than the minimum responses is greyed and says so, so nobody acts on 2 of 3. */
function rateCell(c: Pick<Counts, 'acceptanceRate' | 'responses' | 'tooFewToJudge'>): string {
  if (!c.tooFewToJudge || c.acceptanceRate === null) return `<td data-field="acceptanceRate">${percent(c.acceptanceRate)}</td>`;
  const title = `From ${c.responses} responses: too few to judge`;
  return `<td data-field="acceptanceRate" class="too-few" data-too-few title="${title}">${percent(c.acceptanceRate)}</td>`;
}

function responsesCell(c: Pick<Counts, 'responses' | 'tooFewToJudge'>): string {
  const note = c.tooFewToJudge && c.responses > 0 ? '<br><small class="too-few-note">too few to judge</small>' : '';
  return `<td data-field="responses">${c.responses}${note}</td>`;
}

function cells(c: Counts): string {
  return [
    `<td data-field="cardsShown">${c.cardsShown}</td>`,
    `<td data-field="accepted">${c.accepted}</td>`,
    `<td data-field="overridden">${c.overridden}</td>`,
    `<td data-field="noResponse">${c.noResponse}</td>`,
    rateCell(c),
    responsesCell(c),
    `<td data-field="acceptedSuggestions">${c.acceptedSuggestions}</td>`,
    `<td data-field="silentCards">${c.silentCards}</td>`,
  ].join('');
}

function reasons(list: readonly OverrideReasonCount[]): string {
  if (list.length === 0) return '<td class="reasons">–</td>';
  const items = list.map(
    (r) => `<li data-reason="${esc(r.code ?? '')}"><span>${esc(r.display)}</span> <b data-field="count">${r.count}</b></li>`,
  );
  return `<td class="reasons"><ol>${items.join('')}</ol></td>`;
}

/** A table's header row, one `<th scope="col">` a heading. */
function headRow(headings: readonly string[]): string {
  return `<tr>${headings.map((h) => `<th scope="col">${h}</th>`).join('')}</tr>`;
}

const COUNT_HEADINGS = [
  'Cards shown',
  'Accepted',
  'Overridden',
  'No response',
  'Acceptance rate',
  'Responses',
  'Accepted suggestions',
  'Silent (not shown)',
] as const;

function ruleTable(a: Analytics): string {
  const rows = a.rules.map((r) => {
    const items = r.suggestions.map(
      (s) => `<li data-suggestion="${s.position}">${esc(s.label)}: <b data-field="accepted">${s.accepted}</b></li>`,
    );
    const suggestions = items.length ? `<ul class="suggestions">${items.join('')}</ul>` : '';
    const mode = r.mode === 'silent' ? ' <span class="mode" data-mode="silent">silent mode</span>' : '';
    const heading = `<code>${esc(r.ruleId)}</code>${mode}<br><span class="title">${esc(r.title)}</span>${suggestions}`;
    return `<tr data-rule="${esc(r.ruleId)}"><th scope="row">${heading}</th>${cells(r)}${reasons(r.topOverrideReasons)}</tr>`;
  });
  return `<table>${headRow(['Rule', ...COUNT_HEADINGS, 'Top override reasons'])}${rows.join('\n')}
<tr data-total class="total"><th scope="row">All rules</th>${cells(a.totals)}<td></td></tr></table>`;
}

function serviceTable(a: Analytics): string {
  const rows = a.services.map((s) => {
    const heading = `<code>${esc(s.serviceId)}</code><br><span class="title">${esc(s.title)}</span>`;
    return `<tr data-service="${esc(s.serviceId)}"><th scope="row">${heading}</th>${cells(s)}${reasons(s.topOverrideReasons)}</tr>`;
  });
  return `<table>${headRow(['Service', ...COUNT_HEADINGS, 'Top override reasons'])}${rows.join('\n')}</table>`;
}

/**
 * Firing rates side by side: how often each live rule's cards are shown and how often each silent
 * rule would have shown one, on the same traffic. This is what decides when a silent rule goes live.
 */
function firingTable(a: Analytics): string {
  const rows = a.rules.filter((r) => r.mode === 'silent' || r.silentCards > 0 || r.cardsShown > 0);
  if (rows.length === 0) return '<p class="empty">No rule fired in this period.</p>';
  const body = rows.map((r) => {
    const fields = {
      mode: r.mode,
      cardsShown: r.cardsShown,
      cardsPerWeek: r.cardsPerWeek,
      silentCards: r.silentCards,
      silentCardsPerWeek: r.silentCardsPerWeek,
    };
    const cells = Object.entries(fields).map(([field, value]) => `<td data-field="${field}">${value}</td>`);
    return `<tr data-firing="${esc(r.ruleId)}"><th scope="row"><code>${esc(r.ruleId)}</code></th>${cells.join('')}</tr>`;
  });
  const head = headRow(['Rule', 'Mode now', 'Cards shown', 'Shown per week', 'Silent cards (logged, not shown)', 'Silent per week']);
  return `<table>${head}${body.join('')}</table>`;
}

function versionLink(a: Analytics, version: string): string {
  const q = new URLSearchParams({
    from: a.filter.from,
    to: a.filter.to,
    ...(a.filter.service ? { service: a.filter.service } : {}),
    version,
  });
  return `/analytics?${q.toString()}`;
}

function versionTable(a: Analytics): string {
  if (a.versions.length === 0) return '<p class="empty">No cards were issued in this period.</p>';
  const rows = a.versions.map((v: VersionAnalytics) => {
    const rules = v.rules.map((r) => {
      const key = `${esc(v.rulesVersion)} ${esc(r.ruleId)}`;
      return `<tr data-version-rule="${key}" class="sub"><th scope="row"><code>${esc(r.ruleId)}</code></th>${cells(r)}<td></td></tr>`;
    });
    const when = `${esc(v.firstIssued.slice(0, 10))} to ${esc(v.lastIssued.slice(0, 10))}`;
    const link = `<a href="${esc(versionLink(a, v.rulesVersion))}"><code>${esc(v.rulesVersion)}</code></a>`;
    const heading = `${link}<br><span class="title">cards ${when}</span>`;
    const row = `<tr data-version="${esc(v.rulesVersion)}" class="version"><th scope="row">${heading}</th>${cells(v)}<td></td></tr>`;
    return row + rules.join('');
  });
  const head = headRow(['Rules version', ...COUNT_HEADINGS]).replace('</tr>', '<th></th></tr>');
  return `<table>${head}${rows.join('\n')}</table>`;
}

function weekTable(weeks: readonly WeekCounts[]): string {
  const rows = weeks.map((w) => {
    const fields = {
      cardsShown: w.cardsShown,
      accepted: w.accepted,
      overridden: w.overridden,
      noResponse: w.noResponse,
      acceptanceRate: percent(w.acceptanceRate),
    };
    const cells = Object.entries(fields).map(([field, value]) => `<td data-field="${field}">${value}</td>`);
    return `<tr data-week="${w.weekStart}"><th scope="row">${w.weekStart}</th>${cells.join('')}</tr>`;
  });
  const head = headRow(['Week starting', 'Cards shown', 'Accepted', 'Overridden', 'No response', 'Acceptance rate']);
  return `<details><summary>Weekly numbers</summary><table>${head}${rows.join('')}</table></details>`;
}

function query(a: Analytics): string {
  const q = new URLSearchParams({
    from: a.filter.from,
    to: a.filter.to,
    ...(a.filter.service ? { service: a.filter.service } : {}),
    ...(a.filter.rulesVersion ? { version: a.filter.rulesVersion } : {}),
  });
  return q.toString();
}

function versionOptions(a: Analytics): string {
  const versions = [...new Set([...a.versionsInPeriod, ...(a.filter.rulesVersion ? [a.filter.rulesVersion] : [])])];
  return [
    `<option value="">All versions</option>`,
    ...versions.map((v) => `<option value="${esc(v)}"${v === a.filter.rulesVersion ? ' selected' : ''}>${esc(v)}</option>`),
  ].join('');
}

function form(a: Analytics, services: readonly { id: string; title: string }[]): string {
  const json = `<a href="/analytics.json?${esc(query(a))}">JSON</a>`;
  const options = [
    `<option value="">All services</option>`,
    ...services.map((s) => `<option value="${esc(s.id)}"${s.id === a.filter.service ? ' selected' : ''}>${esc(s.id)}</option>`),
  ];
  return `<form method="get" action="/analytics">
<label>From <input type="date" name="from" value="${a.filter.from}" required></label>
<label>To <input type="date" name="to" value="${a.filter.to}" required></label>
<label>Service <select name="service">${options.join('')}</select></label>
<label>Rules version <select name="version">${versionOptions(a)}</select></label>
<button type="submit">Show</button>
<span class="downloads"><a href="/analytics.csv?${esc(query(a))}" download>Download CSV</a> · ${json}</span>
</form>`;
}

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2329;margin:0 auto;max-width:1100px;padding:16px 24px}
h1{font-size:1.5em;margin:.2em 0}h2{font-size:1.15em;margin:1.6em 0 .4em}
form{display:flex;flex-wrap:wrap;gap:12px;align-items:end;background:#f3f5f7;padding:10px 12px;border-radius:6px}
label{display:flex;flex-direction:column;font-size:.85em;color:#4a5560}input,select,button{font:inherit;padding:3px 6px}
.downloads{margin-left:auto}.period{color:#4a5560}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin:14px 0}.tile{border:1px solid #d5dbe1;border-radius:6px;padding:8px 14px;min-width:110px}
.tile b{display:block;font-size:1.6em}.tile span{font-size:.85em;color:#4a5560}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border-bottom:1px solid #e2e6ea;padding:6px 8px;text-align:right;vertical-align:top}
th[scope=row],th:first-child{text-align:left}td.reasons{text-align:left;font-size:.9em}.reasons ol{margin:0;padding-left:1.2em}
.title{font-weight:normal;color:#4a5560;font-size:.9em}.suggestions{font-weight:normal;font-size:.85em;margin:4px 0 0;padding-left:1.1em}
tr.total th,tr.total td{font-weight:bold;border-top:2px solid #9aa4ae}
.legend span{margin-right:14px;font-size:.9em}.legend i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}
svg.chart{max-width:100%;height:auto;font-size:12px}svg .n{fill:#1d2329}svg .rate{font-weight:bold}
svg .axis,svg .small{fill:#4a5560;font-size:11px}svg .base{stroke:#9aa4ae}
.empty,.note{color:#4a5560}td.too-few{color:#8a949e;font-style:italic}.too-few-note{color:#8a949e;font-weight:normal}
.mode{font-size:.75em;background:#ece6f5;color:#4b2a7a;border-radius:4px;padding:1px 5px;font-weight:normal}
tr.sub th{padding-left:24px;font-weight:normal}tr.version th,tr.version td{border-top:2px solid #d5dbe1}
.error{background:#fde8e8;border:1px solid #e0a0a0;padding:8px 12px;border-radius:6px}
`;

const SILENT_NOTE = 'Compare how often it would fire with the live rules before switching it on.';

export function renderAnalyticsPage(a: Analytics, services: readonly { id: string; title: string }[]): string {
  const t = a.totals;
  const tile = (field: keyof Counts, label: string, value: string): string =>
    `<div class="tile" data-total-field="${field}"><b>${value}</b><span>${label}</span></div>`;
  const tiles = [
    tile('cardsShown', 'cards shown', String(t.cardsShown)),
    tile('accepted', 'accepted', String(t.accepted)),
    tile('overridden', 'overridden', String(t.overridden)),
    tile('noResponse', 'no response', String(t.noResponse)),
    tile('acceptanceRate', 'acceptance rate', percent(t.acceptanceRate)),
    tile('acceptedSuggestions', 'suggestions accepted', String(t.acceptedSuggestions)),
    tile('silentCards', 'silent cards (not shown)', String(t.silentCards)),
  ];
  const unknown = a.unknownFeedback.items
    ? `<p class="note" data-unknown><b data-field="items">${a.unknownFeedback.items}</b> feedback items, ` +
      `for <b data-field="cards">${a.unknownFeedback.cards}</b> card ids this service has no record of issuing, ` +
      'arrived in this period. They are kept, but not counted above.</p>'
    : '<p class="note" data-unknown>No feedback arrived for unknown cards in this period.</p>';
  const period = [
    `Cards issued ${esc(shortDate(a.filter.from, true))} to ${esc(shortDate(a.filter.to, true))} (UTC days), `,
    a.filter.service ? `service <code>${esc(a.filter.service)}</code>` : 'all services',
    a.filter.rulesVersion ? `, rules version <code>${esc(a.filter.rulesVersion)}</code>` : ', all rules versions',
    '. Acceptance rate = accepted ÷ (accepted + overridden); each card counts once, by its latest response. ',
    `A rate from fewer than ${a.minResponsesToJudge} responses is greyed: too few to judge.`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Card feedback: backpain-cds</title><style>${STYLE}</style></head>
<body>
<h1>How clinicians respond to the cards</h1>
${form(a, services)}
<p class="period">${period.join('')}</p>
<div class="tiles">${tiles.join('')}</div>
<h2>By rule</h2>
${legend()}
${ruleChart(a.rules)}
${ruleTable(a)}
<h2>Week by week</h2>
${legend()}
${weeklyChart(t.weekly)}
${weekTable(t.weekly)}
<h2>By service</h2>
${serviceTable(a)}
<h2>Firing rates: live and silent rules</h2>
<p class="note">A rule in silent mode runs on every request; its cards are logged but never shown. ${SILENT_NOTE}</p>
${firingTable(a)}
<h2>By rules version</h2>
<p class="note">Each edit of the rule, value set or card files makes a new rules version. Pick one to see only its cards.</p>
${versionTable(a)}
${unknown}
<p class="note">Generated ${esc(a.generatedAt)}. The card log holds ids only: no patient, clinician or token.</p>
</body></html>`;
}

export function renderAnalyticsError(message: string): string {
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Card feedback: backpain-cds</title>',
    `<style>${STYLE}</style></head>\n`,
    `<body><h1>How clinicians respond to the cards</h1><p class="error">${esc(message)}</p>`,
    '<p><a href="/analytics">Show the last 12 weeks</a></p></body></html>',
  ].join('');
}
