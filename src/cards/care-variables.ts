/**
 * Card variables of the patient-view services: STarT Back and SCOPiC results, mood scores, chronic
 * pain Conditions, and the references a referral's supportingInfo and reasonReference list.
 */
import type { Reference } from 'fhir/r4.js';
import type { CareFacts, Score } from '../facts/care-types.js';
import { startBackMaxima } from '../facts/startback.js';
import type { Evidence } from '../facts/types.js';
import type { CardScope } from './variables.js';

type Variable = (scope: CardScope) => string | undefined;
type ListVariable = (scope: CardScope) => Reference[] | undefined;

const care = (s: CardScope): CareFacts | undefined => s.facts.care;

function dated(e: Evidence): string {
  return `${e.date ? `${e.date}, ` : ''}${e.reference}`;
}

function scoreText(name: string, score: Score | undefined): string {
  return score ? `${name} ${score.value} on ${score.date} (${score.reference})` : `${name}: none recorded`;
}

function references(evidence: Evidence[]): Reference[] {
  const seen = new Set<string>();
  return evidence.filter((e) => !seen.has(e.reference) && seen.add(e.reference)).map((e) => ({ reference: e.reference, display: e.display }));
}

export const CARE_VARIABLES: Record<string, Variable> = {
  'startback.risk': (s) => care(s)?.startBack?.risk,
  'startback.date': (s) => care(s)?.startBack?.date,
  'startback.result': (s) => {
    const r = care(s)?.startBack;
    if (!r) return undefined;
    const max = s.instruments ? startBackMaxima(s.instruments.startBack) : undefined;
    const of = (n: number, m: number | undefined) => (m === undefined ? `${n}` : `${n} of ${m}`);
    const sub = r.psychosocial !== undefined ? `, psychosocial subscore ${of(r.psychosocial, max?.psychosocial)}` : '';
    return `STarT Back total ${of(r.total, max?.total)}${sub}: ${r.risk} risk, on ${r.date} (${r.evidence.map((e) => e.reference).join(', ')})`;
  },
  'startback.problems': (s) => {
    const problems = care(s)?.startBackProblems ?? [];
    if (problems.length) return problems.map((p) => `- ${p}`).join('\n');
    return care(s)?.startBack ? '- A usable STarT Back result is recorded.' : '- No back pain episode is open.';
  },
  'startback.items': (s) =>
    s.instruments?.startBack.items
      .map((i) => `${i.linkId}. ${i.text} (${i.type === 'boolean' ? 'agree / disagree' : i.answers.map((a) => a.display.toLowerCase()).join(' / ')})`)
      .join('\n'),
  'scopic.group': (s) => care(s)?.scopic?.group?.toString(),
  'scopic.sessions': (s) => {
    const group = care(s)?.scopic?.group;
    const sessions = s.instruments?.scopic.physioSessions;
    if (!sessions) return undefined;
    return group === 1 ? `${sessions.group1}` : group === 2 ? `${sessions.group2}` : undefined;
  },
  'scopic.items': (s) => {
    const scopic = care(s)?.scopic;
    if (!scopic) return 'not assessed (SCOPiC applies to sciatica with a usable STarT Back result)';
    const recorded = scopic.items.map(
      (i) => `${i.display}: ${typeof i.value === 'boolean' ? (i.value ? 'yes' : 'no') : i.value}, ${i.positive ? 'positive' : 'negative'} (${dated(i.evidence)})`,
    );
    return [...recorded, ...scopic.missing.map((m) => `${m}: not recorded`)].join('; ');
  },
  'scopic.missing': (s) => {
    const missing = care(s)?.scopic?.missing ?? [];
    return missing.length ? missing.join('; ') : 'none';
  },
  'scopic.missingCodes': (s) => {
    const missing = new Set(care(s)?.scopic?.missing ?? []);
    const items = s.instruments?.scopic.items.filter((i) => missing.has(i.display));
    return items?.length
      ? items.map((i) => `- ${i.display}: ${i.question} Record as an Observation coded ${s.instruments?.findingSystem.url}|${i.code} (${i.type === 'boolean' ? 'valueBoolean' : `valueInteger ${i.minValue} to ${i.maxValue}`}).`).join('\n')
      : '- Nothing: every SCOPiC item is recorded.';
  },
  'chronicPain.display': (s) => care(s)?.chronicPain[0]?.display,
  'chronicPain.reference': (s) => care(s)?.chronicPain[0]?.reference,
  'chronicPain.since': (s) => (care(s)?.chronicPain[0] ? (care(s)?.chronicPain[0]?.date ?? 'an unknown date') : undefined),
  'chronicPain.list': (s) => {
    const list = care(s)?.chronicPain;
    return list?.length ? list.map((c) => `${c.display} (${c.date ? `since ${c.date}, ` : ''}${c.reference})`).join('; ') : undefined;
  },
  'phq9.result': (s) => (care(s) ? scoreText('PHQ-9', care(s)?.phq9) : undefined),
  /** The PHQ-9 item 9 answer given with the latest PHQ-9, as the card's facts show it. */
  'selfHarm.answer': (s) => {
    const c = care(s);
    if (!c) return undefined;
    const a = c.phq9Item9;
    return a ? `answered "${a.answer}" (${a.value} of 3) on ${a.date} (${a.reference})` : 'not recorded with the latest PHQ-9';
  },
  /**
   * The same for the referral letter: when the record has no answer, gaps the clinician fills in
   * before sending, so the letter never implies the question was asked when the record does not say so.
   */
  'selfHarm.letter': (s) => {
    const c = care(s);
    if (!c) return undefined;
    const a = c.phq9Item9;
    if (a) return `answered "${a.answer}" (${a.value} of 3) on ${a.date} (${a.reference}). Asked again before referring: [answer / action taken].`;
    return 'not recorded in the record. Asked before referring: [not at all / several days / more than half the days / nearly every day]. Action taken if not "not at all": [...].';
  },
  'gad7.result': (s) => (care(s) ? scoreText('GAD-7', care(s)?.gad7) : undefined),
  'moodScores.last': (s) => {
    const c = care(s);
    if (!c) return undefined;
    const scores: [string, Score][] = [];
    if (c.phq9) scores.push(['PHQ-9', c.phq9]);
    if (c.gad7) scores.push(['GAD-7', c.gad7]);
    const last = scores.sort((a, b) => a[1].daysAgo - b[1].daysAgo)[0];
    return last ? `The last one is ${scoreText(last[0], last[1])}, ${last[1].daysAgo} days ago.` : 'No PHQ-9 or GAD-7 is recorded.';
  },
};

/** Variables that stand for a list of References: a template uses one as the whole value of a field, e.g. "supportingInfo": "{{stratification.evidence}}". */
export const LIST_VARIABLES: Record<string, ListVariable> = {
  'startback.evidence': (s) => {
    const r = care(s)?.startBack;
    return r ? references(r.evidence) : undefined;
  },
  'stratification.evidence': (s) => {
    const c = care(s);
    if (!c?.startBack) return undefined;
    return references([...c.startBack.evidence, ...(c.scopic?.items.map((i) => i.evidence) ?? [])]);
  },
  'mood.evidence': (s) => references([care(s)?.phq9, care(s)?.gad7].filter((x): x is Score => x !== undefined)),
  'caudaEquina.references': (s) => (s.facts.caudaEquinaSigns.length ? references(s.facts.caudaEquinaSigns) : undefined),
  'chronicPain.references': (s) => {
    const list = care(s)?.chronicPain;
    return list?.length ? references(list) : undefined;
  },
};
