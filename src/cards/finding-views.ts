/**
 * The card placeholders of each finding group of rules/findings.json (red flags, cauda equina
 * signs, prior lumbar imaging) and the back pain Condition behind it. Their names are declared in
 * src/knowledge/card-variables.ts, the placeholders that need the fact to hold in
 * src/knowledge/placeholder-guards.ts; their explanation for the trace is src/explain/evidence.ts.
 */
import { textCheckedSentence } from '../facts/findings.js';
import type { FindingHit } from '../facts/types.js';
import type { FindingVariableName } from '../knowledge/card-variables.js';
import { daysInWords } from '../knowledge/params.js';
import { escapeMarkdown, Markdown } from './markdown.js';
import type { CardScope, Variable } from './scope.js';

export interface FindingView {
  /** The engine fact (src/knowledge/fact-docs.ts) whose findings the placeholders show. */
  fact: string;
  variables: Partial<Record<FindingVariableName, Variable>>;
}

function evidenceList(hits: FindingHit[]): Markdown {
  return new Markdown(
    hits.map((h) => `- ${escapeMarkdown(h.display)} (${h.reference}${h.date ? `, ${h.date}` : ''}): ${escapeMarkdown(h.label)}`).join('\n'),
  );
}

/** How soon a red flag found needs assessing (rules/findings.json urgency), ranked by urgencyLevels. */
function urgencyOf(s: CardScope, hit: FindingHit): { rank: number; label: string; advice: string; source: string } | undefined {
  const def = s.findings?.redFlags.find((d) => d.id === hit.findingId);
  if (!def || !s.findings) return undefined;
  const rank = s.findings.urgencyLevels.findIndex((l) => l.id === def.urgency.level);
  const level = s.findings.urgencyLevels[rank];
  return level ? { rank, label: level.label, advice: def.urgency.advice, source: def.urgency.source } : undefined;
}

/** Each red flag with its own record and date, and how soon it needs assessing, most urgent first. */
function redFlagList(s: CardScope): Markdown | undefined {
  if (!s.facts.redFlags.length) return undefined;
  const rows = s.facts.redFlags.map((h) => ({ h, u: urgencyOf(s, h) }));
  rows.sort((a, b) => (a.u?.rank ?? Infinity) - (b.u?.rank ?? Infinity));
  return new Markdown(
    rows
      .map(({ h, u }) => {
        const when = h.date ? `recorded ${h.date}` : 'no date recorded';
        const head = `- **${escapeMarkdown(h.label)}**: ${escapeMarkdown(h.display)} (${h.reference}, ${when}).`;
        return u ? `${head} **Assess ${u.label}.** ${u.advice} (${u.source})` : head;
      })
      .join('\n'),
  );
}

const dated = (h: FindingHit): string => `${h.date ? `${h.date}, ` : ''}${h.reference}`;

export const FINDING_VIEWS: readonly FindingView[] = [
  {
    fact: 'redFlagCount',
    variables: {
      'redFlags.checked': (s) => s.facts.redFlagsChecked.join('; '),
      'redFlags.textChecked': (s) => textCheckedSentence(s.facts.textChecked),
      'redFlags.found': redFlagList,
      /** How soon the most urgent red flag found needs assessing, e.g. "the same day". */
      'redFlags.urgency': (s) => {
        const ranked = s.facts.redFlags.map((h) => urgencyOf(s, h)).filter((u) => u !== undefined);
        return ranked.sort((a, b) => a.rank - b.rank)[0]?.label;
      },
      'redFlags.screen': (s) =>
        s.facts.redFlags.length
          ? `Red flags recorded: ${s.facts.redFlags.map((h) => `${h.label}: ${h.display} (${dated(h)})`).join('; ')}.`
          : `No red flags recorded. Checked: ${s.facts.redFlagsChecked.join('; ')}. ${textCheckedSentence(s.facts.textChecked)}`,
    },
  },
  {
    fact: 'caudaEquinaSignCount',
    variables: {
      'caudaEquina.signs': (s) => (s.facts.caudaEquinaSigns.length ? evidenceList(s.facts.caudaEquinaSigns) : undefined),
      /** The signs as plain text, for a referral letter. */
      'caudaEquina.list': (s) =>
        s.facts.caudaEquinaSigns.length
          ? s.facts.caudaEquinaSigns.map((h) => `${h.display} (${h.reference}${h.date ? `, ${h.date}` : ''})`).join('; ')
          : undefined,
      /** The cauda equina look-back window of rules/findings.json, in words. */
      'caudaEquina.window': (s) => {
        const w = s.findings?.caudaEquina.window;
        return w?.kind === 'days' ? daysInWords(w.days) : undefined;
      },
    },
  },
  {
    fact: 'priorLumbarImagingDaysAgo',
    variables: {
      'priorImaging.display': (s) => s.facts.priorLumbarImaging?.display,
      'priorImaging.reference': (s) => s.facts.priorLumbarImaging?.reference,
      'priorImaging.date': (s) => s.facts.priorLumbarImaging?.date,
      'priorImaging.daysAgo': (s) => s.facts.priorLumbarImaging?.daysAgo.toString(),
    },
  },
  {
    fact: 'backPainConditionDaysAgo',
    variables: {
      // Always has a value: the cauda equina card names the episode, a recent back pain Condition, or neither.
      'backPain.context': (s) => {
        const e = s.facts.episode;
        if (e) return `Episode: ${e.condition.display} (${e.condition.reference}), started ${e.start ?? 'on an unknown date'}.`;
        const r = s.facts.recentBackPain;
        if (r) return `Back pain: ${r.display} (${r.reference}), dated ${r.date ?? 'unknown'}; no open episode is recorded.`;
        return 'No back pain episode is recorded; the lumbar imaging order is the reason for this check.';
      },
    },
  },
];

export const FINDING_VARIABLES = Object.assign({}, ...FINDING_VIEWS.map((v) => v.variables)) as Record<FindingVariableName, Variable>;
