/**
 * The words a card template can use, as {{name}} placeholders. Each is computed here from the
 * facts, so templates stay plain text and an unknown name is caught when the files are loaded.
 */
import type { Reference } from 'fhir/r4.js';
import { dayRange, isoDay } from '../facts/dates.js';
import { startBackMaxima } from '../facts/startback.js';
import type { Evidence, Score } from '../facts/types.js';
import {
  CARD_VARIABLE_NAMES,
  DATE_OFFSET,
  isListVariable,
  isTextVariable,
  placeholdersIn,
  PLACEHOLDER,
  type ListVariableName,
  type TextVariableName,
} from '../knowledge/card-variables.js';
import { paramText, PARAM_PLACEHOLDER } from '../knowledge/params.js';
import { FINDING_VARIABLES } from './finding-views.js';
import { escapeMarkdown, Markdown } from './markdown.js';
import type { CardScope, Variable } from './scope.js';

// The vocabulary is declared in src/knowledge; the renderer and its tests read it here, with the values.
export { CARD_VARIABLE_NAMES, escapeMarkdown, placeholdersIn };
export type { CardScope };

type ListVariable = (scope: CardScope) => Reference[] | undefined;

function dated(e: Evidence): string {
  return `${e.date ? `${e.date}, ` : ''}${e.reference}`;
}

function scoreText(name: string, score: Score | undefined): string {
  return score ? `${name} ${score.value} on ${score.date} (${score.reference})` : `${name}: none recorded`;
}

function references(evidence: Evidence[]): Reference[] {
  const seen = new Set<string>();
  return evidence
    .filter((e) => !seen.has(e.reference) && seen.add(e.reference))
    .map((e) => ({ reference: e.reference, display: e.display }));
}

const VARIABLES: Record<TextVariableName, Variable> = {
  today: (s) => s.facts.today,
  'patient.reference': (s) => s.facts.patientReference,
  'user.reference': (s) => s.userReference,
  'episode.display': (s) => s.facts.episode?.condition.display,
  'episode.reference': (s) => s.facts.episode?.condition.reference,
  'episode.start': (s) => (s.facts.episode ? (s.facts.episode.start ?? 'an unknown date') : undefined),
  'episode.days': (s) => s.facts.episode?.durationDays?.toString(),
  // Safe for an undated episode (its STarT Back result can still count, design.md: Unknown episode start).
  'episode.since': (s) => {
    const e = s.facts.episode;
    if (!e) return undefined;
    return e.start !== undefined && e.durationDays !== undefined
      ? `started ${e.start} (${e.durationDays} days ago)`
      : 'start date not recorded';
  },
  'episode.duration': (s) => {
    const e = s.facts.episode;
    if (!e) return undefined;
    return e.start !== undefined && e.durationDays !== undefined
      ? `since ${e.start} (${e.durationDays} days, about ${Math.floor(e.durationDays / 7)} weeks)`
      : 'start date not recorded';
  },
  'episode.weeks': (s) =>
    s.facts.episode?.durationDays === undefined ? undefined : Math.floor(s.facts.episode.durationDays / 7).toString(),
  'order.reference': (s) => s.order?.reference,
  'order.display': (s) => s.order?.display,
  ...FINDING_VARIABLES,
  'startback.risk': (s) => s.facts.startBack?.risk,
  'startback.date': (s) => s.facts.startBack?.date,
  'startback.result': (s) => {
    const r = s.facts.startBack;
    if (!r) return undefined;
    const max = s.instruments ? startBackMaxima(s.instruments.startBack) : undefined;
    const of = (n: number, m: number | undefined) => (m === undefined ? `${n}` : `${n} of ${m}`);
    const sub = r.psychosocial !== undefined ? `, psychosocial subscore ${of(r.psychosocial, max?.psychosocial)}` : '';
    return (
      `STarT Back total ${of(r.total, max?.total)}${sub}: ${r.risk} risk, on ${r.date} (` +
      `${r.evidence.map((e) => e.reference).join(', ')})`
    );
  },
  'startback.problems': (s) => {
    const problems = s.facts.startBackProblems;
    if (problems.length) return problems.map((p) => `- ${p}`).join('\n');
    return s.facts.startBack ? '- A usable STarT Back result is recorded.' : '- No back pain episode is open.';
  },
  'startback.items': (s) =>
    s.instruments?.startBack.items
      .map(
        (i) =>
          `${i.linkId}. ${i.text} (` +
          `${i.type === 'boolean' ? 'agree / disagree' : i.answers.map((a) => a.display.toLowerCase()).join(' / ')})`,
      )
      .join('\n'),
  'scopic.group': (s) => s.facts.scopic?.group?.toString(),
  'scopic.sessions': (s) => {
    const group = s.facts.scopic?.group;
    const sessions = s.instruments?.scopic.physioSessions;
    if (!sessions) return undefined;
    return group === 1 ? `${sessions.group1}` : group === 2 ? `${sessions.group2}` : undefined;
  },
  'scopic.items': (s) => {
    const scopic = s.facts.scopic;
    if (!scopic) return 'not assessed (SCOPiC applies to sciatica with a usable STarT Back result)';
    const recorded = scopic.items.map(
      (i) =>
        `${i.display}: ${typeof i.value === 'boolean' ? (i.value ? 'yes' : 'no') : i.value}, ` +
        `${i.positive ? 'positive' : 'negative'} (${dated(i.evidence)})`,
    );
    return [...recorded, ...scopic.missing.map((m) => `${m}: not recorded`)].join('; ');
  },
  'scopic.missing': (s) => {
    const missing = s.facts.scopic?.missing ?? [];
    return missing.length ? missing.join('; ') : 'none';
  },
  'scopic.missingCodes': (s) => {
    const missing = new Set(s.facts.scopic?.missing ?? []);
    const items = s.instruments?.scopic.items.filter((i) => missing.has(i.display));
    return items?.length
      ? items
          .map(
            (i) =>
              `- ${i.display}: ${i.question} Record as an Observation coded ${s.instruments?.findingSystem.url}|` +
              `${i.code} (` +
              `${i.type === 'boolean' ? 'valueBoolean' : `valueInteger ${i.minValue} to ${i.maxValue}`}).`,
          )
          .join('\n')
      : '- Nothing: every SCOPiC item is recorded.';
  },
  'chronicPain.display': (s) => s.facts.chronicPain[0]?.display,
  'chronicPain.reference': (s) => s.facts.chronicPain[0]?.reference,
  'chronicPain.since': (s) => (s.facts.chronicPain[0] ? (s.facts.chronicPain[0]?.date ?? 'an unknown date') : undefined),
  'chronicPain.list': (s) => {
    const list = s.facts.chronicPain;
    return list?.length ? list.map((c) => `${c.display} (${c.date ? `since ${c.date}, ` : ''}${c.reference})`).join('; ') : undefined;
  },
  'phq9.result': (s) => scoreText('PHQ-9', s.facts.phq9),
  /** The PHQ-9 item 9 answer given with the latest PHQ-9, as the card's facts show it. */
  'selfHarm.answer': (s) => {
    const c = s.facts;
    const a = c.phq9Item9;
    return a ? `answered "${a.answer}" (${a.value} of 3) on ${a.date} (${a.reference})` : 'not recorded with the latest PHQ-9';
  },
  /**
   * The same for the referral letter: when the record has no answer, gaps the clinician fills in
   * before sending, so the letter never implies the question was asked when the record does not say so.
   */
  'selfHarm.letter': (s) => {
    const c = s.facts;
    const a = c.phq9Item9;
    if (a)
      return (
        `answered "${a.answer}" (${a.value} of 3) on ${a.date} (${a.reference}). Asked again before ` +
        `referring: [answer / action taken].`
      );
    return (
      'not recorded in the record. Asked before referring: [not at all / several days / more than half the ' +
      'days / nearly every day]. Action taken if not "not at all": [...].'
    );
  },
  'gad7.result': (s) => scoreText('GAD-7', s.facts.gad7),
  'moodScores.last': (s) => {
    const c = s.facts;
    const scores: [string, Score][] = [];
    if (c.phq9) scores.push(['PHQ-9', c.phq9]);
    if (c.gad7) scores.push(['GAD-7', c.gad7]);
    const last = scores.sort((a, b) => a[1].daysAgo - b[1].daysAgo)[0];
    return last ? `The last one is ${scoreText(last[0], last[1])}, ${last[1].daysAgo} days ago.` : 'No PHQ-9 or GAD-7 is recorded.';
  },
};

/** Variables that stand for a list of References (see LIST_VARIABLE_NAMES). */
const LIST_VARIABLES: Record<ListVariableName, ListVariable> = {
  'startback.evidence': (s) => {
    const r = s.facts.startBack;
    return r ? references(r.evidence) : undefined;
  },
  'stratification.evidence': (s) => {
    const c = s.facts;
    if (!c?.startBack) return undefined;
    return references([...c.startBack.evidence, ...(c.scopic?.items.map((i) => i.evidence) ?? [])]);
  },
  'mood.evidence': (s) => references([s.facts.phq9, s.facts.gad7].filter((x): x is Score => x !== undefined)),
  'caudaEquina.references': (s) => (s.facts.caudaEquinaSigns.length ? references(s.facts.caudaEquinaSigns) : undefined),
  'chronicPain.references': (s) => {
    const list = s.facts.chronicPain;
    return list?.length ? references(list) : undefined;
  },
};

/** {{today.plus.28.days}}, {{episode.start.plus.rule.params.earlyDays}}: see DATE_OFFSET. */
function dateOffset(name: string): Variable | undefined {
  const m = DATE_OFFSET.exec(name);
  if (!m) return undefined;
  return (s) => {
    const days = m[2] !== undefined ? Number(m[2]) : Number(paramText(`${m[3]}.value`, s.params));
    const from = m[1] === 'today' ? s.facts.today : s.facts.episode?.start;
    const day = dayRange(from)?.earliest;
    return day === undefined || !Number.isFinite(days) ? undefined : isoDay(day + days);
  };
}

function ruleParam(name: string): Variable | undefined {
  return PARAM_PLACEHOLDER.test(name) ? (s) => paramText(name, s.params) : undefined;
}

function variable(name: string): Variable | undefined {
  return (isTextVariable(name) ? VARIABLES[name] : undefined) ?? dateOffset(name) ?? ruleParam(name);
}

/** A string that is exactly one list placeholder becomes that list (of References); anything else is not a list. */
export function listValue(text: string, scope: CardScope): unknown[] | undefined {
  if (!text.startsWith('{{')) return undefined;
  const m = /^\{\{\s*([A-Za-z0-9_.]+)\s*\}\}$/.exec(text);
  const name = m?.[1];
  if (name === undefined || !isListVariable(name)) return undefined;
  const value = LIST_VARIABLES[name](scope);
  if (value === undefined) throw new MissingVariableError(name);
  return value;
}

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`card variable "${variable}" has no value for this patient`);
  }
}

/** Fills {{name}} placeholders; a variable without a value is a bug in a rule or template, never a silent blank. */
export function fill(text: string, scope: CardScope, escape: (v: string) => string = (v) => v): string {
  if (!text.includes('{{')) return text;
  // Literal text at even indexes, variable names at odd ones.
  const split = text.split(PLACEHOLDER);
  if (split.length === 1) return text;
  let out = '';
  for (let i = 0; i < split.length; i++) {
    const piece = split[i] ?? '';
    if (i % 2 === 0) {
      out += piece;
      continue;
    }
    if (isListVariable(piece)) throw new Error(`card variable "${piece}" is a list: use it as the whole value of a field, not inside text`);
    const value = variable(piece)?.(scope);
    if (value === undefined) throw new MissingVariableError(piece);
    out += value instanceof Markdown ? value.text : escape(value);
  }
  return out;
}
