/**
 * What each finding group of rules/findings.json (red flags, cauda equina signs, prior lumbar
 * imaging) and the back pain Condition behind it show outside the facts stage, declared once: the
 * engine fact's explanation for the trace, the card placeholders, and which placeholders need the
 * fact to hold (the loader refuses a rule that could fire without it).
 */
import type { FactEvidence } from '../explain/evidence.js';
import type { FindingHit, PatientFacts, TextChecked } from '../facts/types.js';
import { daysInWords } from '../knowledge/params.js';
import { escapeMarkdown, Markdown } from './markdown.js';
import type { CardScope } from './variables.js';

type Variable = (scope: CardScope) => string | Markdown | undefined;

export interface FindingView {
  /** The engine fact (engineFacts in src/facts/patient-facts.ts) this view explains. */
  fact: string;
  evidence(facts: PatientFacts): FactEvidence;
  variables: Record<string, Variable>;
  /** Placeholders (a trailing "." covers a family) that have a value only when the fact shows a finding. */
  guard?: {
    names: string[];
    /** "positive": a count of at least one; "known": a days-ago value that is not null. */
    holds: 'positive' | 'known';
    needs: string;
    add: string;
  };
}

const plural = (n: number, one: string, many: string): string => (n === 1 ? one : many);

/** How much was read by text only, in one sentence, so a card that says "no red flags" says it too. */
export function textCheckedSentence(t: TextChecked): string {
  const parts: string[] = [];
  parts.push(
    t.textOnly === 0
      ? 'Every entry read had a code in a known code system.'
      : `${t.textOnly} ${plural(t.textOnly, 'entry', 'entries')} had no code in a known code system and ${plural(t.textOnly, 'was', 'were')} checked by ${plural(t.textOnly, 'its', 'their')} text only.`,
  );
  if (t.unreadable.length) {
    parts.push(
      `${t.unreadable.length} ${plural(t.unreadable.length, 'entry', 'entries')} had neither a known code nor any text and could not be checked (${t.unreadable.join(', ')}).`,
    );
  }
  return parts.join(' ');
}

function evidenceList(hits: FindingHit[]): Markdown {
  return new Markdown(hits.map((h) => `- ${escapeMarkdown(h.display)} (${h.reference}${h.date ? `, ${h.date}` : ''}): ${escapeMarkdown(h.label)}`).join('\n'));
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

const items = (list: FindingHit[]) => list.map((h) => ({ reference: h.reference, display: h.display, ...(h.date ? { date: h.date } : {}), label: h.label }));

export const FINDING_VIEWS: readonly FindingView[] = [
  {
    fact: 'redFlagCount',
    evidence: (f) =>
      f.redFlags.length
        ? { evidence: items(f.redFlags) }
        : { evidence: [], note: `None found. Checked: ${f.redFlagsChecked.join('; ')}. ${textCheckedSentence(f.textChecked)}` },
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
    guard: { names: ['redFlags.found', 'redFlags.urgency'], holds: 'positive', needs: 'at least one red flag', add: '{"fact": "redFlagCount", "operator": "greaterThan", "value": 0}' },
  },
  {
    fact: 'caudaEquinaSignCount',
    evidence: (f) =>
      f.caudaEquinaSigns.length ? { evidence: items(f.caudaEquinaSigns) } : { evidence: [], note: 'None found in its window (rules/findings.json caudaEquina).' },
    variables: {
      'caudaEquina.signs': (s) => (s.facts.caudaEquinaSigns.length ? evidenceList(s.facts.caudaEquinaSigns) : undefined),
      /** The signs as plain text, for a referral letter. */
      'caudaEquina.list': (s) =>
        s.facts.caudaEquinaSigns.length ? s.facts.caudaEquinaSigns.map((h) => `${h.display} (${h.reference}${h.date ? `, ${h.date}` : ''})`).join('; ') : undefined,
      /** The cauda equina look-back window of rules/findings.json, in words. */
      'caudaEquina.window': (s) => {
        const w = s.findings?.caudaEquina.window;
        return w?.kind === 'days' ? daysInWords(w.days) : undefined;
      },
    },
    guard: {
      names: ['caudaEquina.signs', 'caudaEquina.references', 'caudaEquina.list'],
      holds: 'positive',
      needs: 'at least one cauda equina sign',
      add: '{"fact": "caudaEquinaSignCount", "operator": "greaterThan", "value": 0}',
    },
  },
  {
    fact: 'priorLumbarImagingDaysAgo',
    evidence: (f) =>
      f.priorLumbarImaging
        ? {
            evidence: [{ reference: f.priorLumbarImaging.reference, display: f.priorLumbarImaging.display, ...(f.priorLumbarImaging.date ? { date: f.priorLumbarImaging.date } : {}) }],
            note: `newest lumbar imaging, ${f.priorLumbarImaging.daysAgo} days before ${f.today}`,
          }
        : { evidence: [], note: 'Unknown: no dated lumbar imaging (rules/findings.json priorLumbarImaging: Procedure, ImagingStudy, DiagnosticReport) is in the record.' },
    variables: {
      'priorImaging.display': (s) => s.facts.priorLumbarImaging?.display,
      'priorImaging.reference': (s) => s.facts.priorLumbarImaging?.reference,
      'priorImaging.date': (s) => s.facts.priorLumbarImaging?.date,
      'priorImaging.daysAgo': (s) => s.facts.priorLumbarImaging?.daysAgo.toString(),
    },
    guard: { names: ['priorImaging.'], holds: 'known', needs: 'prior lumbar imaging', add: '{"fact": "priorLumbarImagingDaysAgo", "operator": "lessThanInclusive", "value": 365}' },
  },
  {
    fact: 'backPainConditionDaysAgo',
    evidence: (f) =>
      f.recentBackPain
        ? { evidence: [{ reference: f.recentBackPain.reference, display: f.recentBackPain.display, ...(f.recentBackPain.date ? { date: f.recentBackPain.date } : {}) }], note: `newest back pain Condition, active or not, ${f.recentBackPain.daysAgo} days before ${f.today}` }
        : { evidence: [], note: 'Unknown: no dated back pain or sciatica Condition (value sets back-pain and sciatica) is in the record.' },
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

export const FINDING_VARIABLES: Record<string, Variable> = Object.assign({}, ...FINDING_VIEWS.map((v) => v.variables)) as Record<string, Variable>;

export const FINDING_EVIDENCE: Readonly<Record<string, (facts: PatientFacts) => FactEvidence>> = Object.fromEntries(FINDING_VIEWS.map((v) => [v.fact, v.evidence]));
