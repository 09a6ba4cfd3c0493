/**
 * Where each engine fact comes from: the FHIR resources (type/id, date) that set its value, so the
 * explain trace can answer "why did this card fire?" with the record, not just a number. A fact the
 * rule engine sees without an entry here has no explanation, and a test fails.
 */
import type { Evidence, PatientFacts, PatientRecord } from '../facts/types.js';
import { FINDING_EVIDENCE } from '../cards/finding-views.js';
import { CARE_FACT_EVIDENCE } from './care-evidence.js';

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

export const FACT_EVIDENCE: Readonly<Record<string, EvidenceOf>> = {
  ageYears: (f, r) =>
    typeof r.patient.birthDate === 'string' && f.ageYears !== undefined
      ? { evidence: [{ reference: f.patientReference, display: `birthDate ${r.patient.birthDate}`, date: r.patient.birthDate }], note: `age on ${f.today}` }
      : { evidence: [{ reference: f.patientReference, display: 'no usable birthDate' }], note: 'Unknown: the Patient has no usable birthDate.' },
  openEpisode: (f) => (f.episode ? { evidence: episode(f) } : { evidence: [], note: NO_EPISODE }),
  episodeDays: (f) => {
    if (!f.episode) return { evidence: [], note: NO_EPISODE };
    if (f.episode.start === undefined) return { evidence: episode(f), note: "Unknown: the episode's Condition has no full date (onset, onset period or recorded date)." };
    return { evidence: episode(f), note: `whole days from ${f.episode.start} to ${f.today}` };
  },
  sciatica: (f) =>
    f.episode
      ? { evidence: episode(f), note: f.episode.sciatica ? "the episode's code is in the sciatica value set" : "the episode's code is not in the sciatica value set" }
      : { evidence: [], note: NO_EPISODE },
  ...FINDING_EVIDENCE,
  ...CARE_FACT_EVIDENCE,
};

export function evidenceFor(fact: string, facts: PatientFacts, record: PatientRecord): FactEvidence {
  const of = FACT_EVIDENCE[fact];
  return of ? of(facts, record) : { evidence: [], note: `No explanation is defined for this fact (add it to src/explain/evidence.ts).` };
}
