/**
 * "Saddle anaesthesia: absent". Structured examination forms record a sign that was looked for and
 * not found as the sign's code with a negative answer: valueBoolean false, a SNOMED CT qualifier
 * (Absent, No, Negative), an HL7 yes/no "N", or the same words as text. Read as the sign, such an
 * answer would send every examined patient to emergency assessment.
 */
import type { Observation } from 'fhir/r4.js';
import { canonicalSystem, SNOMED } from '../knowledge/code-systems.js';
import { asArray, str } from './resources.js';

/** SNOMED CT qualifier values: 2667000 Absent, 373067005 No, 260385009 Negative. */
const NEGATIVE_QUALIFIERS = new Set(['2667000', '373067005', '260385009']);
const YES_NO = 'http://terminology.hl7.org/CodeSystem/v2-0136';
/** The whole answer, not a word in it: "No" is an answer, "Numbness, no relief" is not. */
const NEGATIVE_WORDS = /^\s*(no|n|absent|negative|not present|none|nil|not detected|denies)\s*\.?\s*$/i;

/** True when the Observation's value says the finding its code names is absent. */
export function answersAbsent(obs: Observation): boolean {
  if (obs.valueBoolean === false) return true;
  if (typeof obs.valueString === 'string' && NEGATIVE_WORDS.test(obs.valueString)) return true;
  const value = obs.valueCodeableConcept;
  if (!value || typeof value !== 'object') return false;
  for (const c of asArray(value.coding)) {
    const code = str(c?.code)?.trim();
    if (!code) continue;
    if (canonicalSystem(c.system) === SNOMED && NEGATIVE_QUALIFIERS.has(code)) return true;
    if (c.system === YES_NO && code.toUpperCase() === 'N') return true;
    if (NEGATIVE_WORDS.test(str(c.display) ?? '')) return true;
  }
  return NEGATIVE_WORDS.test(str(value.text) ?? '');
}
