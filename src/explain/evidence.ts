/**
 * Where each engine fact comes from: the FHIR resources (type/id, date) that set its value, so the
 * explain trace can answer "why did this card fire?" with the record, not just a number. Every fact
 * of src/knowledge/fact-docs.ts has an entry here, or the code does not compile.
 */
import { textCheckedSentence } from '../facts/findings.js';
import type { Evidence, FindingHit, PatientFacts, PatientRecord, Referral, ReferralKind, Score } from '../facts/types.js';
import type { EngineFactName } from '../knowledge/fact-docs.js';

export interface EvidenceItem extends Evidence {
  /** What the resource shows, when the fact is a count of findings (the red flag's name). */
  label?: string;
}

export interface FactEvidence {
  evidence: EvidenceItem[];
  /** Why the value is what it is when no resource shows it (nothing found, or unknown). */
  note?: string;
}

type EvidenceOf = (facts: PatientFacts, record: PatientRecord) => FactEvidence;

const episode = (f: PatientFacts): EvidenceItem[] => (f.episode ? [{ ...f.episode.condition }] : []);
const NO_EPISODE = 'No active back pain or sciatica Condition (value sets back-pain and sciatica) is in the record.';
const hitItems = (list: FindingHit[]): EvidenceItem[] =>
  list.map((h) => ({ reference: h.reference, display: h.display, ...(h.date ? { date: h.date } : {}), label: h.label }));
const item = (e: Evidence): Evidence => ({ reference: e.reference, display: e.display, ...(e.date ? { date: e.date } : {}) });
const none = (note: string): FactEvidence => ({ evidence: [], note });

const startBack: EvidenceOf = (f) => {
  const r = f.startBack;
  if (r)
    return {
      evidence: r.evidence.map(item),
      note:
        `newest usable STarT Back result since the episode started: total ${r.total}` +
        `${r.psychosocial !== undefined ? `, subscore ${r.psychosocial}` : ''}, ${r.risk} risk (cut-offs in ` +
        `rules/instruments.json)`,
    };
  const problems = f.startBackProblems;
  return none(problems.length ? `Unknown: ${problems.join(' ')}` : 'Unknown: no open back pain episode.');
};

const score =
  (name: string, pick: (f: PatientFacts) => Score | undefined): EvidenceOf =>
  (f) => {
    const s = pick(f);
    return s
      ? { evidence: [item(s)], note: `latest ${name}: ${s.value}, ${s.daysAgo} days before ${f.today}` }
      : none(`Unknown: no ${name} total is recorded.`);
  };

const referrals =
  (kinds: ReferralKind[], what: string, describe: (list: Referral[], f: PatientFacts) => string): EvidenceOf =>
  (f) => {
    const list = kinds.flatMap((k) => f.referrals[k]);
    return list.length
      ? { evidence: list.map(item), note: describe(list, f) }
      : none(`No ${what} (active, on-hold or completed) is in the record.`);
  };

const inPlace = (f: PatientFacts): string =>
  f.episode?.start
    ? `counts when open (active, on-hold) or dated on or after the episode start ${f.episode.start}`
    : f.episode
      ? `counts when open (active, on-hold) or dated in the last ${f.episodeWindowDays ?? '?'} days: the ` +
        `episode has no start date (rules/instruments.json undatedEpisodeLookbackDays)`
      : 'Unknown: no open back pain episode.';

export const FACT_EVIDENCE: Readonly<Record<EngineFactName, EvidenceOf>> = {
  ageYears: (f, r) =>
    typeof r.patient.birthDate === 'string' && f.ageYears !== undefined
      ? {
          evidence: [{ reference: f.patientReference, display: `birthDate ${r.patient.birthDate}`, date: r.patient.birthDate }],
          note: `age on ${f.today}`,
        }
      : {
          evidence: [{ reference: f.patientReference, display: 'no usable birthDate' }],
          note: 'Unknown: the Patient has no usable birthDate.',
        },
  openEpisode: (f) => (f.episode ? { evidence: episode(f) } : { evidence: [], note: NO_EPISODE }),
  episodeDays: (f) => {
    if (!f.episode) return { evidence: [], note: NO_EPISODE };
    if (f.episode.start === undefined)
      return { evidence: episode(f), note: "Unknown: the episode's Condition has no full date (onset, onset period or recorded date)." };
    return { evidence: episode(f), note: `whole days from ${f.episode.start} to ${f.today}` };
  },
  sciatica: (f) =>
    f.episode
      ? {
          evidence: episode(f),
          note: f.episode.sciatica
            ? "the episode's code is in the sciatica value set"
            : "the episode's code is not in the sciatica value set",
        }
      : { evidence: [], note: NO_EPISODE },
  redFlagCount: (f) =>
    f.redFlags.length
      ? { evidence: hitItems(f.redFlags) }
      : { evidence: [], note: `None found. Checked: ${f.redFlagsChecked.join('; ')}. ${textCheckedSentence(f.textChecked)}` },
  caudaEquinaSignCount: (f) =>
    f.caudaEquinaSigns.length
      ? { evidence: hitItems(f.caudaEquinaSigns) }
      : { evidence: [], note: 'None found in its window (rules/findings.json caudaEquina).' },
  priorLumbarImagingDaysAgo: (f) =>
    f.priorLumbarImaging
      ? {
          evidence: [
            {
              reference: f.priorLumbarImaging.reference,
              display: f.priorLumbarImaging.display,
              ...(f.priorLumbarImaging.date ? { date: f.priorLumbarImaging.date } : {}),
            },
          ],
          note: `newest lumbar imaging, ${f.priorLumbarImaging.daysAgo} days before ${f.today}`,
        }
      : {
          evidence: [],
          note:
            'Unknown: no dated lumbar imaging (rules/findings.json priorLumbarImaging: Procedure, ImagingStudy, ' +
            'DiagnosticReport) is in the record.',
        },
  backPainConditionDaysAgo: (f) =>
    f.recentBackPain
      ? {
          evidence: [
            {
              reference: f.recentBackPain.reference,
              display: f.recentBackPain.display,
              ...(f.recentBackPain.date ? { date: f.recentBackPain.date } : {}),
            },
          ],
          note: `newest back pain Condition, active or not, ${f.recentBackPain.daysAgo} days before ${f.today}`,
        }
      : { evidence: [], note: 'Unknown: no dated back pain or sciatica Condition (value sets back-pain and sciatica) is in the record.' },
  deceased: (f, r) =>
    f.deceased
      ? {
          evidence: [
            {
              reference: f.patientReference,
              display: r.patient.deceasedDateTime ? `deceasedDateTime ${r.patient.deceasedDateTime}` : 'deceasedBoolean true',
            },
          ],
        }
      : none('The Patient has no deceased date or flag.'),
  startbackRisk: startBack,
  startbackTotal: startBack,
  startbackPsychosocial: startBack,
  scopicGroup: (f) => {
    const s = f.scopic;
    if (!s) return none('Unknown: SCOPiC is decided only for a sciatica episode with a usable STarT Back result.');
    const evidence = [...(f.startBack?.evidence ?? []), ...s.items.map((i) => i.evidence)].map(item);
    const summary = s.items.map((i) => `${i.display} ${i.positive ? 'positive' : 'negative'}`).join('; ');
    return {
      evidence,
      note:
        `${summary || 'no items recorded'}${s.missing.length ? `; missing: ${s.missing.join('; ')}` : ''} ` +
        `(rules/instruments.json scopic)`,
    };
  },
  physioReferralInPlace: referrals(['physiotherapy'], 'physiotherapy referral', (_l, f) => inPlace(f)),
  fastTrackInPlace: referrals(['spinalSpecialist', 'lumbarMri'], 'spinal specialist referral or lumbar MRI', (_l, f) => inPlace(f)),
  chronicPainCondition: (f) => {
    const list = f.chronicPain;
    return list.length ? { evidence: list.map(item) } : none('No active Condition in the chronic-pain value set.');
  },
  chronicPrimaryPain: (f) => {
    const list = f.chronicPrimaryPain;
    return list.length
      ? { evidence: list.map(item) }
      : none(
          'No active Condition in the chronic-primary-pain value set (chronic secondary pain, such as after ' +
            'trauma or surgery, is not in it).',
        );
  },
  phq9Score: score('PHQ-9', (f) => f.phq9),
  phq9DaysAgo: score('PHQ-9', (f) => f.phq9),
  gad7Score: score('GAD-7', (f) => f.gad7),
  gad7DaysAgo: score('GAD-7', (f) => f.gad7),
  moodScoreDaysAgo: (f) => {
    const list = [f.phq9, f.gad7].filter((s): s is Score => s !== undefined);
    return list.length
      ? { evidence: list.map(item), note: 'days since the newer of the latest PHQ-9 and GAD-7' }
      : none('Unknown: no PHQ-9 or GAD-7 total is recorded.');
  },
  therapyReferralDaysAgo: referrals(
    ['psychologicalTherapy'],
    'psychological therapy referral',
    (l) => `newest authored ${l[0]?.daysAgo ?? '?'} days ago`,
  ),
  therapyReferralOpen: referrals(
    ['psychologicalTherapy'],
    'psychological therapy referral',
    (l) => `${l.filter((r) => r.status !== 'completed').length} open`,
  ),
  exerciseReferralDaysAgo: referrals(['exercise'], 'exercise referral', (l) => `newest authored ${l[0]?.daysAgo ?? '?'} days ago`),
  exerciseReferralOpen: referrals(['exercise'], 'exercise referral', (l) => `${l.filter((r) => r.status !== 'completed').length} open`),
};

export function evidenceFor(fact: string, facts: PatientFacts, record: PatientRecord): FactEvidence {
  const of = (FACT_EVIDENCE as Readonly<Record<string, EvidenceOf>>)[fact];
  return of ? of(facts, record) : { evidence: [], note: `No explanation is defined for this fact (add it to src/explain/evidence.ts).` };
}
