/** What a card's placeholders are filled from: one patient's facts, and the rule and order the card is for. */
import type { DraftOrder, PatientFacts } from '../facts/types.js';
import type { RuleParams } from '../knowledge/params.js';
import type { FindingsFile, InstrumentsFile } from '../knowledge/schemas.js';
import type { Markdown } from './markdown.js';

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

/** A placeholder's value for a card, or undefined when this patient has none. */
export type Variable = (scope: CardScope) => string | Markdown | undefined;
