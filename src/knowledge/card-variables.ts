/**
 * The words a card template may use as {{name}} placeholders: declared here, with the loader that
 * checks templates against them; src/cards/variables.ts computes each from the facts, in tables
 * typed by these names, so a name without a value (or a value without a name) does not compile.
 */
import { PARAM_PLACEHOLDER } from './params.js';

/** The variables of the finding groups of rules/findings.json (src/cards/finding-views.ts). */
export const FINDING_VARIABLE_NAMES = [
  'redFlags.checked',
  'redFlags.textChecked',
  'redFlags.found',
  'redFlags.urgency',
  'redFlags.screen',
  'caudaEquina.signs',
  'caudaEquina.list',
  'caudaEquina.window',
  'priorImaging.display',
  'priorImaging.reference',
  'priorImaging.date',
  'priorImaging.daysAgo',
  'backPain.context',
] as const;

/** Variables that stand for text, in the order editors and messages list them. */
export const TEXT_VARIABLE_NAMES = [
  'today',
  'patient.reference',
  'user.reference',
  'episode.display',
  'episode.reference',
  'episode.start',
  'episode.days',
  'episode.since',
  'episode.duration',
  'episode.weeks',
  'order.reference',
  'order.display',
  ...FINDING_VARIABLE_NAMES,
  'startback.risk',
  'startback.date',
  'startback.result',
  'startback.problems',
  'startback.items',
  'scopic.group',
  'scopic.sessions',
  'scopic.items',
  'scopic.missing',
  'scopic.missingCodes',
  'chronicPain.display',
  'chronicPain.reference',
  'chronicPain.since',
  'chronicPain.list',
  'phq9.result',
  'selfHarm.answer',
  'selfHarm.letter',
  'gad7.result',
  'moodScores.last',
] as const;

/**
 * Variables that stand for a list of References: a template uses one as the whole value of a field,
 * e.g. "supportingInfo": "{{stratification.evidence}}".
 */
export const LIST_VARIABLE_NAMES = [
  'startback.evidence',
  'stratification.evidence',
  'mood.evidence',
  'caudaEquina.references',
  'chronicPain.references',
] as const;

export type FindingVariableName = (typeof FINDING_VARIABLE_NAMES)[number];
export type TextVariableName = (typeof TEXT_VARIABLE_NAMES)[number];
export type ListVariableName = (typeof LIST_VARIABLE_NAMES)[number];

const TEXT_NAMES: ReadonlySet<string> = new Set(TEXT_VARIABLE_NAMES);
const LIST_NAMES: ReadonlySet<string> = new Set(LIST_VARIABLE_NAMES);

/**
 * Dates a number of days on, written in the card file so the number stays data: {{today.plus.28.days}},
 * or a rule parameter: {{episode.start.plus.rule.params.earlyDays}}.
 */
export const DATE_OFFSET = /^(today|episode\.start)\.plus\.(?:(\d{1,4})\.days|(rule\.params\.[a-z][A-Za-z0-9]*))$/;

export const PLACEHOLDER = /\{\{\s*([A-Za-z0-9_.]+)\s*\}\}/g;

export function placeholdersIn(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
}

export function isTextVariable(name: string): name is TextVariableName {
  return TEXT_NAMES.has(name);
}

export function isListVariable(name: string): name is ListVariableName {
  return LIST_NAMES.has(name);
}

export function isCardVariable(name: string): boolean {
  return isTextVariable(name) || DATE_OFFSET.test(name) || PARAM_PLACEHOLDER.test(name) || isListVariable(name);
}

/** The rule parameter a placeholder reads, directly or as a date offset, for the loader to check it exists. */
export function paramOfPlaceholder(name: string): string | undefined {
  const direct = PARAM_PLACEHOLDER.exec(name)?.[1];
  if (direct) return direct;
  const m = DATE_OFFSET.exec(name);
  return m?.[3] ? PARAM_PLACEHOLDER.exec(m[3])?.[1] : undefined;
}

/** Every variable name, for error messages and editors. */
export const CARD_VARIABLE_NAMES: readonly string[] = [
  ...TEXT_VARIABLE_NAMES,
  ...LIST_VARIABLE_NAMES,
  'today.plus.<n>.days',
  'episode.start.plus.<n>.days',
  'rule.params.<name>',
  'rule.params.<name>.value',
  'episode.start.plus.rule.params.<name>',
];
