/** Facts for stratified care (STarT Back, SCOPiC) and the chronic pain service. */
import type { Evidence } from './types.js';

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

export interface ScopicItemValue {
  code: string;
  display: string;
  value: number | boolean;
  positive: boolean;
  evidence: Evidence;
}

export interface ScopicFacts {
  /** Absent when the items recorded cannot decide the group. */
  group?: 1 | 2 | 3;
  items: ScopicItemValue[];
  /** Displays of the items with no usable value since the episode started. */
  missing: string[];
}

export interface DatedEvidence extends Evidence {
  date: string;
  daysAgo: number;
}

export interface Score extends DatedEvidence {
  value: number;
}

export interface Referral extends DatedEvidence {
  status: string;
}

export type ReferralKind = 'physiotherapy' | 'psychologicalTherapy' | 'exercise' | 'spinalSpecialist' | 'lumbarMri';

export interface CareFacts {
  deceased: boolean;
  startBack?: StartBackResult;
  /** Why no STarT Back result could be used, in words a card can show (empty when one was used). */
  startBackProblems: string[];
  /** Recorded STarT Back results that could not be scored (a subset of startBackProblems). */
  startBackUnscorable: string[];
  /** Only for a sciatica episode with a usable STarT Back result. */
  scopic?: ScopicFacts;
  /** Referrals (and for lumbar MRI, imaging done) per kind, newest first; only active, on-hold or completed ones. */
  referrals: Record<ReferralKind, Referral[]>;
  /** Active chronic pain Conditions, newest first. */
  chronicPain: Evidence[];
  phq9?: Score;
  gad7?: Score;
  /** Days back from today that count as this episode: its duration, or the look-back days when it has no start date. */
  episodeWindowDays?: number;
}
