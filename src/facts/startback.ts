/**
 * Keele STarT Back: total, psychosocial subscore and risk group, from a QuestionnaireResponse to
 * the project's STarT Back Questionnaire or from total (and subscore) Observations. The items,
 * their scores and the cut-offs come from rules/instruments.json.
 */
import type { Observation, QuestionnaireResponse, QuestionnaireResponseItem } from 'fhir/r4.js';
import type { InstrumentsFile, StartBackDefinition } from '../knowledge/schemas.js';
import type { ValueSet } from '../knowledge/valuesets.js';
import { isoDay } from './dates.js';
import type { EpisodeWindow } from './episode.js';
import { integerValue, observationCounts, observationDate, resultDay, sameMoment } from './observations.js';
import type { Evidence, PatientRecord, ValueSetLookup } from './record.js';
import { asArray, referenceTo } from './resources.js';

export type StartBackRisk = 'low' | 'medium' | 'high';

/** A STarT Back result the rules can use. */
export interface StartBackResult {
  total: number;
  /** Absent only for a low total, where the subscore cannot change the group. */
  psychosocial?: number;
  risk: StartBackRisk;
  date: string;
  /** The QuestionnaireResponse, or the total Observation and the subscore Observation it pairs with. */
  evidence: Evidence[];
}

export interface StartBackFacts {
  startBack?: StartBackResult;
  /** Why no STarT Back result could be used, in words a card can show (empty when one was used, or there is no episode). */
  startBackProblems: string[];
  /** Recorded STarT Back results that could not be scored (a subset of startBackProblems). */
  startBackUnscorable: string[];
}

export interface StartBackScore {
  total: number;
  /** Absent when only a total was recorded. */
  psychosocial?: number;
}

/** Low, medium or high; undefined when the total is above the low cut-off and there is no subscore to tell medium from high. */
export function startBackRisk(score: StartBackScore, cutoffs: StartBackDefinition['risk']): StartBackRisk | undefined {
  if (score.total <= cutoffs.lowMaxTotal) return 'low';
  if (score.psychosocial === undefined) return undefined;
  return score.psychosocial >= cutoffs.highMinPsychosocial ? 'high' : 'medium';
}

function itemMax(item: StartBackDefinition['items'][number]): number {
  return item.type === 'boolean' ? 1 : Math.max(...item.answers.map((a) => a.score));
}

/** The highest total and subscore the instrument allows, to reject impossible recorded values. */
export function startBackMaxima(def: StartBackDefinition): { total: number; psychosocial: number } {
  return {
    total: def.items.reduce((sum, i) => sum + itemMax(i), 0),
    psychosocial: def.items.filter((i) => i.psychosocial).reduce((sum, i) => sum + itemMax(i), 0),
  };
}

export type ScoreOutcome = ({ ok: true } & Required<StartBackScore>) | { ok: false; problem: string };

/**
 * Every item by linkId, the first in document order winning, however deep groups and answers nest
 * them. Walked with an explicit stack: the nesting is the sender's, and recursion as deep as a
 * 1 MB body allows overflows the call stack (a 500 for a client's data).
 */
function answersByLinkId(items: QuestionnaireResponseItem[] | undefined): Map<string, QuestionnaireResponseItem> {
  const into = new Map<string, QuestionnaireResponseItem>();
  const pending: unknown[] = [...asArray(items)].reverse();
  while (pending.length) {
    const item = pending.pop() as QuestionnaireResponseItem | null | undefined;
    if (!item || typeof item !== 'object') continue;
    if (typeof item.linkId === 'string' && !into.has(item.linkId)) into.set(item.linkId, item);
    const children = [...asArray(item.item), ...asArray(item.answer).flatMap((a) => asArray(a?.item))];
    for (let i = children.length - 1; i >= 0; i--) pending.push(children[i]);
  }
  return into;
}

function plural(n: number, one: string, many: string): string {
  return n === 1 ? one : many;
}

/** Scores the 9 answers; every item must be answered with a value the Questionnaire allows. */
export function scoreStartBackResponse(qr: QuestionnaireResponse, def: StartBackDefinition, findingSystem: string): ScoreOutcome {
  const answers = answersByLinkId(qr.item);
  let total = 0;
  let psychosocial = 0;
  const unanswered: string[] = [];
  for (const item of def.items) {
    const answer = asArray(answers.get(item.linkId)?.answer)[0];
    let score: number | undefined;
    if (item.type === 'boolean') {
      if (typeof answer?.valueBoolean === 'boolean') score = answer.valueBoolean ? 1 : 0;
    } else {
      const coding = answer?.valueCoding;
      const fromUs = coding && (coding.system === undefined || coding.system === findingSystem);
      score = fromUs ? item.answers.find((a) => a.code === coding.code)?.score : undefined;
    }
    if (score === undefined) {
      unanswered.push(item.linkId);
      continue;
    }
    total += score;
    if (item.psychosocial) psychosocial += score;
  }
  if (unanswered.length) {
    return {
      ok: false,
      problem:
        `${plural(unanswered.length, 'item', 'items')} ${unanswered.join(', ')} ` +
        `${plural(unanswered.length, 'is', 'are')} not answered`,
    };
  }
  return { ok: true, total, psychosocial };
}

/** One recorded STarT Back result, usable or not, with the resources it came from. */
export interface StartBackCandidate {
  day: number;
  /** 0 for a QuestionnaireResponse (the answers themselves), 1 for Observations: on the same day the answers win. */
  rank: number;
  evidence: Evidence[];
  outcome: ScoreOutcome | ({ ok: true } & StartBackScore);
}

function isStartBackResponse(qr: QuestionnaireResponse, url: string): boolean {
  const q = qr.questionnaire;
  return typeof q === 'string' && (q === url || q.startsWith(`${url}|`));
}

export function candidatesFromResponses(
  responses: QuestionnaireResponse[],
  def: StartBackDefinition,
  findingSystem: string,
  today: number,
): StartBackCandidate[] {
  const out: StartBackCandidate[] = [];
  for (const qr of responses) {
    if (!isStartBackResponse(qr, def.questionnaire.url)) continue;
    if (qr.status === 'entered-in-error' || qr.status === 'stopped') continue;
    const day = resultDay(qr.authored, today);
    if (day === undefined) continue;
    const evidence: Evidence = { reference: referenceTo(qr), display: 'STarT Back questionnaire', date: isoDay(day) };
    const outcome: ScoreOutcome =
      qr.status === 'completed' || qr.status === 'amended'
        ? scoreStartBackResponse(qr, def, findingSystem)
        : { ok: false, problem: `it is ${String(qr.status ?? 'without a status')}, not completed` };
    out.push({ day, rank: 0, evidence: [evidence], outcome });
  }
  return out;
}

function isPsychosocialCode(concept: Observation['code'] | undefined, code: string, findingSystem: string): boolean {
  return asArray(concept?.coding).some((c) => c?.system === findingSystem && c.code === code);
}

export function candidatesFromObservations(
  observations: Observation[],
  def: StartBackDefinition,
  totals: ValueSet,
  findingSystem: string,
  today: number,
): StartBackCandidate[] {
  const max = startBackMaxima(def);
  const subscoreCode = def.psychosocialCode.code;
  const subscores = observations.filter((o) => observationCounts(o) && isPsychosocialCode(o.code, subscoreCode, findingSystem));
  const out: StartBackCandidate[] = [];
  for (const obs of observations) {
    if (!observationCounts(obs) || !totals.match(obs.code)) continue;
    const when = observationDate(obs);
    const day = resultDay(when, today);
    if (day === undefined) continue;
    const evidence: Evidence[] = [{ reference: referenceTo(obs), display: 'STarT Back total score', date: isoDay(day) }];
    const total = integerValue(obs);
    if (total === undefined || total < 0 || total > max.total) {
      out.push({ day, rank: 1, evidence, outcome: { ok: false, problem: `its total is not a whole number from 0 to ${max.total}` } });
      continue;
    }
    // The subscore is a component of the total, or its own Observation taken at the same moment.
    let psychosocial: number | undefined;
    const component = asArray(obs.component).find((c) => c && isPsychosocialCode(c.code, subscoreCode, findingSystem));
    if (component) {
      psychosocial = integerValue(component);
    } else {
      const paired = subscores
        .filter((s) => sameMoment(observationDate(s), when))
        .sort((a, b) => referenceTo(a).localeCompare(referenceTo(b)))[0];
      if (paired) {
        psychosocial = integerValue(paired);
        evidence.push({ reference: referenceTo(paired), display: def.psychosocialCode.display, date: isoDay(day) });
      }
    }
    const nonPsychosocialMax = max.total - max.psychosocial;
    if (
      psychosocial !== undefined &&
      (psychosocial < 0 || psychosocial > max.psychosocial || psychosocial > total || total - psychosocial > nonPsychosocialMax)
    ) {
      out.push({
        day,
        rank: 1,
        evidence,
        outcome: { ok: false, problem: `its psychosocial subscore ${psychosocial} does not fit its total ${total}` },
      });
      continue;
    }
    out.push({ day, rank: 1, evidence, outcome: { ok: true, total, ...(psychosocial !== undefined ? { psychosocial } : {}) } });
  }
  return out;
}

export interface StartBackSelection {
  result?: StartBackResult;
  /** Why no result could be used, in words for the card. */
  problems: string[];
  /** The part of problems about recorded results that could not be scored: what the explain trace lists as unknown. */
  unscorable: string[];
}

function describe(c: StartBackCandidate): string {
  const first = c.evidence[0];
  return `The STarT Back result of ${isoDay(c.day)} (${first?.reference ?? 'unknown'})`;
}

/**
 * The newest usable result dated on or after the episode start. For an episode with no start date
 * the caller passes the start of its look-back days (`undatedLookbackDays`), so a recent result counts.
 */
export function selectStartBack(
  candidates: StartBackCandidate[],
  episodeStartDay: number | undefined,
  cutoffs: StartBackDefinition['risk'],
  undatedLookbackDays?: number,
): StartBackSelection {
  if (episodeStartDay === undefined) {
    return { problems: ['There is no open back pain episode, so no STarT Back result can be tied to one.'], unscorable: [] };
  }
  const ordered = [...candidates].sort(
    (a, b) => b.day - a.day || a.rank - b.rank || (a.evidence[0]?.reference ?? '').localeCompare(b.evidence[0]?.reference ?? ''),
  );
  const problems: string[] = [];
  for (const c of ordered.filter((x) => x.day >= episodeStartDay)) {
    if (!c.outcome.ok) {
      problems.push(`${describe(c)} cannot be scored: ${c.outcome.problem}.`);
      continue;
    }
    const risk = startBackRisk(c.outcome, cutoffs);
    if (!risk) {
      problems.push(
        `${describe(c)} has a total of ${c.outcome.total} but no psychosocial subscore, which is needed to tell medium from high risk.`,
      );
      continue;
    }
    return {
      result: {
        total: c.outcome.total,
        ...(c.outcome.psychosocial !== undefined ? { psychosocial: c.outcome.psychosocial } : {}),
        risk,
        date: isoDay(c.day),
        evidence: c.evidence,
      },
      problems: [],
      unscorable: [],
    };
  }
  const unscorable = [...problems];
  if (problems.length === 0) {
    const older = ordered[0];
    const since =
      undatedLookbackDays === undefined
        ? `since this episode started on ${isoDay(episodeStartDay)}`
        : `in the last ${undatedLookbackDays} days (the episode has no start date, so results since ` +
          `${isoDay(episodeStartDay)} count as this episode's)`;
    problems.push(`No STarT Back result is recorded ${since}${older ? ` (the last one, on ${isoDay(older.day)}, was before it)` : ''}.`);
  }
  return { problems, unscorable };
}

/** The newest usable STarT Back result of this episode, or why there is none; nothing without an episode. */
export function startBackFacts(
  record: PatientRecord,
  window: EpisodeWindow | undefined,
  instruments: InstrumentsFile,
  valueSet: ValueSetLookup,
  today: number,
): StartBackFacts {
  if (!window) return { startBackProblems: [], startBackUnscorable: [] };
  const def = instruments.startBack;
  const system = instruments.findingSystem.url;
  const candidates = [
    ...candidatesFromResponses(record.questionnaireResponses, def, system, today),
    ...candidatesFromObservations(record.observations, def, valueSet(def.totalValueSet), system, today),
  ];
  const selection = selectStartBack(candidates, window.startDay, def.risk, window.dated ? undefined : window.days);
  return {
    ...(selection.result ? { startBack: selection.result } : {}),
    startBackProblems: selection.problems,
    startBackUnscorable: selection.unscorable,
  };
}
