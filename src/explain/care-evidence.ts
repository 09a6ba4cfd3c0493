/** Where the patient-view facts come from, for the explain trace (see evidence.ts). */
import type { CareFacts, Referral, ReferralKind, Score } from '../facts/care-types.js';
import type { Evidence, PatientFacts, PatientRecord } from '../facts/types.js';
import type { FactEvidence } from './evidence.js';

type EvidenceOf = (facts: PatientFacts, record: PatientRecord) => FactEvidence;

const item = (e: Evidence): Evidence => ({ reference: e.reference, display: e.display, ...(e.date ? { date: e.date } : {}) });
const none = (note: string): FactEvidence => ({ evidence: [], note });
const careOf = (f: PatientFacts): CareFacts | undefined => f.care;

const startBack: EvidenceOf = (f) => {
  const r = careOf(f)?.startBack;
  if (r) return { evidence: r.evidence.map(item), note: `newest usable STarT Back result since the episode started: total ${r.total}${r.psychosocial !== undefined ? `, subscore ${r.psychosocial}` : ''}, ${r.risk} risk (cut-offs in rules/instruments.json)` };
  const problems = careOf(f)?.startBackProblems ?? [];
  return none(problems.length ? `Unknown: ${problems.join(' ')}` : 'Unknown: no open back pain episode.');
};

const score =
  (name: string, pick: (c: CareFacts) => Score | undefined): EvidenceOf =>
  (f) => {
    const s = careOf(f) ? pick(careOf(f) as CareFacts) : undefined;
    return s ? { evidence: [item(s)], note: `latest ${name}: ${s.value}, ${s.daysAgo} days before ${f.today}` } : none(`Unknown: no ${name} total is recorded.`);
  };

const referrals =
  (kinds: ReferralKind[], what: string, describe: (list: Referral[], f: PatientFacts) => string): EvidenceOf =>
  (f) => {
    const list = kinds.flatMap((k) => careOf(f)?.referrals[k] ?? []);
    return list.length ? { evidence: list.map(item), note: describe(list, f) } : none(`No ${what} (active, on-hold or completed) is in the record.`);
  };

const inPlace = (f: PatientFacts): string =>
  f.episode?.start
    ? `counts when open (active, on-hold) or dated on or after the episode start ${f.episode.start}`
    : f.episode
      ? `counts when open (active, on-hold) or dated in the last ${f.care?.episodeWindowDays ?? '?'} days: the episode has no start date (rules/instruments.json undatedEpisodeLookbackDays)`
      : 'Unknown: no open back pain episode.';

export const CARE_FACT_EVIDENCE: Readonly<Record<string, EvidenceOf>> = {
  deceased: (f, r) =>
    careOf(f)?.deceased
      ? { evidence: [{ reference: f.patientReference, display: r.patient.deceasedDateTime ? `deceasedDateTime ${r.patient.deceasedDateTime}` : 'deceasedBoolean true' }] }
      : none('The Patient has no deceased date or flag.'),
  startbackRisk: startBack,
  startbackTotal: startBack,
  startbackPsychosocial: startBack,
  scopicGroup: (f) => {
    const s = careOf(f)?.scopic;
    if (!s) return none('Unknown: SCOPiC is decided only for a sciatica episode with a usable STarT Back result.');
    const evidence = [...(careOf(f)?.startBack?.evidence ?? []), ...s.items.map((i) => i.evidence)].map(item);
    const items = s.items.map((i) => `${i.display} ${i.positive ? 'positive' : 'negative'}`).join('; ');
    return { evidence, note: `${items || 'no items recorded'}${s.missing.length ? `; missing: ${s.missing.join('; ')}` : ''} (rules/instruments.json scopic)` };
  },
  physioReferralInPlace: referrals(['physiotherapy'], 'physiotherapy referral', (_l, f) => inPlace(f)),
  fastTrackInPlace: referrals(['spinalSpecialist', 'lumbarMri'], 'spinal specialist referral or lumbar MRI', (_l, f) => inPlace(f)),
  chronicPainCondition: (f) => {
    const list = careOf(f)?.chronicPain ?? [];
    return list.length ? { evidence: list.map(item) } : none('No active Condition in the chronic-pain value set.');
  },
  chronicPrimaryPain: (f) => {
    const list = careOf(f)?.chronicPrimaryPain ?? [];
    return list.length
      ? { evidence: list.map(item) }
      : none('No active Condition in the chronic-primary-pain value set (chronic secondary pain, such as after trauma or surgery, is not in it).');
  },
  phq9Score: score('PHQ-9', (c) => c.phq9),
  phq9DaysAgo: score('PHQ-9', (c) => c.phq9),
  gad7Score: score('GAD-7', (c) => c.gad7),
  gad7DaysAgo: score('GAD-7', (c) => c.gad7),
  moodScoreDaysAgo: (f) => {
    const list = [careOf(f)?.phq9, careOf(f)?.gad7].filter((s): s is Score => s !== undefined);
    return list.length ? { evidence: list.map(item), note: 'days since the newer of the latest PHQ-9 and GAD-7' } : none('Unknown: no PHQ-9 or GAD-7 total is recorded.');
  },
  therapyReferralDaysAgo: referrals(['psychologicalTherapy'], 'psychological therapy referral', (l) => `newest authored ${l[0]?.daysAgo ?? '?'} days ago`),
  therapyReferralOpen: referrals(['psychologicalTherapy'], 'psychological therapy referral', (l) => `${l.filter((r) => r.status !== 'completed').length} open`),
  exerciseReferralDaysAgo: referrals(['exercise'], 'exercise referral', (l) => `newest authored ${l[0]?.daysAgo ?? '?'} days ago`),
  exerciseReferralOpen: referrals(['exercise'], 'exercise referral', (l) => `${l.filter((r) => r.status !== 'completed').length} open`),
};
