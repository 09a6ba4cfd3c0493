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

/** PHQ-9 item 9, thoughts of self-harm: 0 not at all, 1 several days, 2 more than half the days, 3 nearly every day. */
export interface SelfHarmAnswer extends Score {
  answer: string;
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
  /** Those of them in the chronic primary pain value set (fibromyalgia, chronic widespread pain), where NICE NG193 applies. */
  chronicPrimaryPain: Evidence[];
  phq9?: Score;
  /** The PHQ-9 item 9 answer given with the latest PHQ-9, if recorded. */
  phq9Item9?: SelfHarmAnswer;
  gad7?: Score;
  /** Days back from today that count as this episode: its duration, or the look-back days when it has no start date. */
  episodeWindowDays?: number;
}
