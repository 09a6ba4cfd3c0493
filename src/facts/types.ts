/**
 * What the facts stage hands to the rules and cards: one patient's facts, each family's part
 * declared by the module that computes it (patient, episode, findings, imaging, startback, scopic,
 * mood, referrals, chronic-pain).
 */
import type { ChronicPainFacts } from './chronic-pain.js';
import type { Episode, RecentBackPain } from './episode.js';
import type { RedFlagFacts } from './findings.js';
import type { ImagingEvidence } from './imaging.js';
import type { MoodFacts } from './mood.js';
import type { Referrals } from './referrals.js';
import type { ScopicFacts } from './scopic.js';
import type { StartBackFacts } from './startback.js';

export type { DatedEvidence, Evidence, PatientRecord, ValueSetLookup } from './record.js';
export type { DraftOrder } from './draft-orders.js';
export type { Episode, RecentBackPain } from './episode.js';
export type { FindingHit, TextChecked } from './findings.js';
export type { ImagingEvidence } from './imaging.js';
export type { Score, SelfHarmAnswer } from './mood.js';
export type { Referral, ReferralKind } from './referrals.js';
export type { ScopicFacts, ScopicItemValue } from './scopic.js';
export type { StartBackResult, StartBackRisk } from './startback.js';

export interface PatientFacts extends RedFlagFacts, StartBackFacts, MoodFacts, ChronicPainFacts {
  today: string;
  patientReference: string;
  ageYears?: number;
  deceased: boolean;
  episode?: Episode;
  /** Days back from today that count as this episode: its duration, or the look-back days when it has no start date. */
  episodeWindowDays?: number;
  /** The newest back pain or sciatica Condition (active or not) dated on or before today. */
  recentBackPain?: RecentBackPain;
  priorLumbarImaging?: ImagingEvidence;
  /** Only for a sciatica episode with a usable STarT Back result. */
  scopic?: ScopicFacts;
  referrals: Referrals;
  /** Resources left out because they name another patient. */
  otherPatientResources: number;
  /** Why some rule inputs are unknown, for the explain trace and the log. */
  unknowns: string[];
}
