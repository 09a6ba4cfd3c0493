/**
 * The words a card template can use, as {{name}} placeholders. Each is computed here from the
 * facts, so templates stay plain text and an unknown name is caught when the files are loaded.
 */
import type { DraftOrder, PatientFacts } from '../facts/types.js';
import { dayRange, isoDay } from '../facts/dates.js';
import { daysInWords, paramText, PARAM_PLACEHOLDER, type RuleParams } from '../knowledge/params.js';
import type { FindingsFile, InstrumentsFile } from '../knowledge/schemas.js';
import { CARE_VARIABLES, LIST_VARIABLES } from './care-variables.js';
import { FINDING_VARIABLES } from './finding-views.js';
import { escapeMarkdown, Markdown } from './markdown.js';

export { escapeMarkdown };

export interface CardScope {
  facts: PatientFacts;
  userReference: string;
  order?: DraftOrder;
  /** Every lumbar imaging order in scope, for actions that repeat per order (a patient-scoped card on an imaging service). */
  orders?: readonly DraftOrder[];
  /** STarT Back and SCOPiC definitions, for variables that show items or sessions. */
  instruments?: InstrumentsFile;
  /** Red-flag definitions, for each flag's urgency and the look-back windows. */
  findings?: FindingsFile;
  /** The parameters of the rule the card belongs to ({{rule.params.<name>}}). */
  params?: RuleParams;
}

type Variable = (scope: CardScope) => string | Markdown | undefined;

const VARIABLES: Record<string, Variable> = {
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
    return e.start !== undefined && e.durationDays !== undefined ? `started ${e.start} (${e.durationDays} days ago)` : 'start date not recorded';
  },
  'episode.duration': (s) => {
    const e = s.facts.episode;
    if (!e) return undefined;
    return e.start !== undefined && e.durationDays !== undefined
      ? `since ${e.start} (${e.durationDays} days, about ${Math.floor(e.durationDays / 7)} weeks)`
      : 'start date not recorded';
  },
  'episode.weeks': (s) => (s.facts.episode?.durationDays === undefined ? undefined : Math.floor(s.facts.episode.durationDays / 7).toString()),
  'order.reference': (s) => s.order?.reference,
  'order.display': (s) => s.order?.display,
  ...FINDING_VARIABLES,
  ...CARE_VARIABLES,
};

/**
 * Dates a number of days on, written in the card file so the number stays data: {{today.plus.28.days}},
 * or a rule parameter: {{episode.start.plus.rule.params.earlyDays}}.
 */
const DATE_OFFSET = /^(today|episode\.start)\.plus\.(?:(\d{1,4})\.days|(rule\.params\.[a-z][A-Za-z0-9]*))$/;

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
  return VARIABLES[name] ?? dateOffset(name) ?? ruleParam(name);
}

/** The rule parameter a placeholder reads, directly or as a date offset, for the loader to check it exists. */
export function paramOfPlaceholder(name: string): string | undefined {
  const direct = PARAM_PLACEHOLDER.exec(name)?.[1];
  if (direct) return direct;
  const m = DATE_OFFSET.exec(name);
  return m?.[3] ? PARAM_PLACEHOLDER.exec(m[3])?.[1] : undefined;
}

export function isListVariable(name: string): boolean {
  return Object.hasOwn(LIST_VARIABLES, name);
}

export function isCardVariable(name: string): boolean {
  return variable(name) !== undefined || isListVariable(name);
}

/** Every variable name, for error messages and editors. */
export const CARD_VARIABLE_NAMES: readonly string[] = [
  ...Object.keys(VARIABLES),
  ...Object.keys(LIST_VARIABLES),
  'today.plus.<n>.days',
  'episode.start.plus.<n>.days',
  'rule.params.<name>',
  'rule.params.<name>.value',
  'episode.start.plus.rule.params.<name>',
];

/** A string that is exactly one list placeholder becomes that list (of References); anything else is not a list. */
export function listValue(text: string, scope: CardScope): unknown[] | undefined {
  const m = /^\{\{\s*([A-Za-z0-9_.]+)\s*\}\}$/.exec(text);
  const name = m?.[1];
  if (name === undefined || !isListVariable(name)) return undefined;
  const value = LIST_VARIABLES[name]?.(scope);
  if (value === undefined) throw new MissingVariableError(name);
  return value;
}

export const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

export class MissingVariableError extends Error {
  constructor(readonly variable: string) {
    super(`card variable "${variable}" has no value for this patient`);
  }
}


/** Fills {{name}} placeholders; a variable without a value is a bug in a rule or template, never a silent blank. */
export function fill(text: string, scope: CardScope, escape: (v: string) => string = (v) => v): string {
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

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}
